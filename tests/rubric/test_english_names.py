"""A rubric's English names: name_en, grade label_en, KPI label_en and group_en are read and
checked by the loader, read back from a stored rubric text, and shown by ``in_language`` only in
English, each falling back to the name itself when the rubric gives none."""

from __future__ import annotations

import pandas as pd
import pytest

from svcqa.errors import RubricError
from svcqa.models import (
    EVIDENCE_COLUMNS,
    BranchResult,
    EnglishNames,
    KpiResult,
    Month,
    Scorecard,
    in_language,
)
from svcqa.rubric import list_presets, load_rubric_text
from svcqa.rubric.english import english_names

RUBRIC = """
id = "mini"
name = "迷你考核"
name_en = "Mini assessment"
max = 20

[[grades]]
name = "好"
label_en = "Good"
min = 10
coefficient = 1.0

[[grades]]
name = "差"
min = 0
coefficient = 0.9

[[kpis]]
id = "cycle"
label = "周期"
label_en = "Cycle"
group = "客户感知"
group_en = "Customer perception"
points = 10
metric = { kind = "mean_cycle_days" }
curve = { kind = "linear", full = 3, zero = 7 }

[[kpis]]
id = "rework"
label = "返修"
group = "客户感知"
points = 10
metric = { kind = "rework_rate" }
curve = { kind = "ratio", invert = true }
"""


def _card(text: str) -> Scorecard:
    """Two branches of a hand-made month under ``text``'s names: one 好, one 差."""

    def kpis() -> list[KpiResult]:
        return [
            KpiResult("cycle", "周期", "客户感知", 4.0, 10, 7.5, 10.0),
            KpiResult("rework", "返修", "客户感知", 0.1, 10, 9.0, 10.0),
        ]

    return Scorecard(
        month=Month(2026, 10),
        rubric_id="mini",
        rubric_name="迷你考核",
        rubric_max=20.0,
        branches=[
            BranchResult("甲", "甲", True, 16.5, kpis(), rank=1, grade="好", coefficient=1.0),
            BranchResult("乙", "乙", True, 5.0, kpis(), rank=2, grade="差", coefficient=0.9),
        ],
        inputs={},
        evidence=pd.DataFrame(columns=EVIDENCE_COLUMNS),
        english=english_names(text),
    )


def test_the_loader_reads_the_english_names() -> None:
    """name_en, each grade's and KPI's label_en and group_en land on the Rubric and its english."""
    rubric = load_rubric_text(RUBRIC)
    assert rubric.name_en == "Mini assessment"
    assert [g.label_en for g in rubric.grades] == ["Good", ""]
    assert [(k.label_en, k.group_en) for k in rubric.kpis] == [
        ("Cycle", "Customer perception"),
        ("", ""),
    ]
    assert rubric.english == EnglishNames(
        rubric="Mini assessment",
        kpis={"cycle": "Cycle"},
        grades={"好": "Good"},
        groups={"客户感知": "Customer perception"},
    )
    document = rubric.as_dict()
    assert document["name_en"] == "Mini assessment" and document["language"] == "zh"
    assert document["grades"][0]["label_en"] == "Good"


def test_an_english_name_that_is_not_text_is_a_problem_with_its_key() -> None:
    """A number where an English name belongs is refused, naming the key and its line."""
    bad = RUBRIC.replace('label_en = "Good"', "label_en = 3").replace(
        'group_en = "Customer perception"', "group_en = true"
    )
    with pytest.raises(RubricError) as info:
        load_rubric_text(bad)
    reasons = " | ".join(info.value.reasons)
    assert "grades[0].label_en (line 9): must be a non-empty text value, found 3" in reasons
    assert "kpis[0].group_en (line 23): must be a non-empty text value, found True" in reasons


def test_a_text_without_english_names_or_not_toml_gives_none() -> None:
    """A stored text from before the English names (or not readable) gives empty names."""
    assert english_names('id = "x"\nname = "旧"\n') == EnglishNames()
    assert english_names("this is = = not toml") == EnglishNames()
    assert english_names("") == EnglishNames()


def test_in_language_shows_english_names_and_falls_back_to_the_names() -> None:
    """In English: the rubric name, grade, KPI labels and groups by their English names, the
    ones without by their own; the card it came from is left as scored."""
    card = _card(RUBRIC)
    shown = in_language(card, "en")
    assert shown.rubric_name == "Mini assessment"
    assert [b.grade for b in shown.branches] == ["Good", "差"]
    assert [(k.label, k.group) for k in shown.branches[0].kpis] == [
        ("Cycle", "Customer perception"),
        ("返修", "Customer perception"),
    ]
    assert [k.points for k in shown.branches[1].kpis] == [7.5, 9.0]
    assert card.rubric_name == "迷你考核" and [b.grade for b in card.branches] == ["好", "差"]
    assert card.branches[0].kpis[0].label == "周期"


def test_in_language_is_the_card_itself_in_chinese_and_without_names() -> None:
    """Chinese shows the card as scored; English without any English name shows the names."""
    card = _card(RUBRIC)
    assert in_language(card, "zh") is card
    bare = in_language(_card('id = "mini"'), "en")
    assert bare.rubric_name == "迷你考核" and [b.grade for b in bare.branches] == ["好", "差"]
    assert [k.label for k in bare.branches[0].kpis] == ["周期", "返修"]


def test_every_preset_names_itself_its_grades_kpis_and_groups_in_english() -> None:
    """The four presets give name_en, every grade's and KPI's label_en and every group's
    group_en, none of them holding a CJK character."""
    presets = list_presets()
    assert len(presets) == 4
    for rubric in presets:
        names = rubric.english
        assert names.rubric and names.rubric != rubric.name, rubric.id
        assert set(names.grades) == {g.name for g in rubric.grades}, rubric.id
        assert set(names.kpis) == {k.id for k in rubric.kpis}, rubric.id
        assert set(names.groups) == {k.group for k in rubric.kpis if k.group}, rubric.id
        texts = [names.rubric, *names.grades.values(), *names.kpis.values(), *names.groups.values()]
        assert all(t.isascii() for t in texts), rubric.id
