"""The period computation (svcqa.scoring.period) and the [period] rule, on small hand-made months."""

from __future__ import annotations

import pandas as pd
import pytest

from svcqa.errors import RubricError
from svcqa.rubric import load_rubric_text
from svcqa.scoring.period import SurveyScore, period_scorecard, survey_scores

from conftest import ROOT

PRESET = (ROOT / "svcqa" / "rubric" / "presets" / "gd-mobile-aftersales.toml").read_text(
    encoding="utf-8"
)
MONTHS = ["2026-07", "2026-08", "2026-09"]


def rubric(period: str = ""):
    return load_rubric_text(PRESET + ("\n[period]\n" + period if period else ""))


def results(rows: list[tuple[str, str, float, bool]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"month": m, "branch_key": b, "branch": b, "total": t, "assessed": a}
            for m, b, t, a in rows
        ]
    )


def by_key(card) -> dict:
    return {r.branch_key: r for r in card.rows}


def test_grace_and_missing_months_are_listed_not_counted_and_rounding_is_half_up_once() -> None:
    """A: 80.00 and 80.01 assessed, mean 80.005 -> 80.01 (half up, once); B: a grace month
    listed but left out; C: a missing month listed but not zero-filled."""
    card = period_scorecard(
        results(
            [
                ("2026-07", "A", 80.00, True),
                ("2026-08", "A", 80.01, True),
                ("2026-09", "A", 10.00, False),
                ("2026-07", "B", 50.00, False),
                ("2026-08", "B", 70.00, True),
                ("2026-09", "B", 90.00, True),
                ("2026-07", "C", 95.00, True),
                ("2026-09", "C", 85.00, True),
            ]
        ),  # fmt: skip
        MONTHS,
        rubric(),
    )
    rows = by_key(card)
    assert rows["A"].score == 80.01
    assert rows["B"].score == 80.0 and rows["B"].months[0]["status"] == "grace"
    assert "grace_months" in rows["B"].flags
    assert rows["C"].score == 90.0 and rows["C"].missing == ["2026-08"]
    assert rows["C"].months[1] == {"month": "2026-08", "total": None, "status": "missing"}
    assert [r.branch_key for r in card.rows] == ["C", "A", "B"]
    assert [(r.rank, r.grade) for r in card.rows] == [(1, "优秀"), (2, "良好"), (3, "良好")]
    assert "last_place" in rows["B"].flags and "last_place" not in rows["A"].flags


def test_ties_share_the_better_rank_and_share_last_place() -> None:
    """Two branches on the same score share rank 2 (1, 2, 2) and both are last."""
    card = period_scorecard(
        results(
            [
                ("2026-07", "A", 91.0, True),
                ("2026-07", "B", 70.0, True),
                ("2026-07", "C", 70.0, True),
            ]
        ),  # fmt: skip
        MONTHS[:1],
        rubric(),
    )
    assert [(r.branch_key, r.rank) for r in card.rows] == [("A", 1), ("B", 2), ("C", 2)]
    assert [r.flags for r in card.rows] == [[], ["last_place"], ["last_place"]]


def test_survey_is_scaled_by_scale_max_and_missing_or_unknown_rows_are_findings() -> None:
    """Survey 4.5 on a 5-point scale is 90: 0.4 x 90 + 0.6 x 80 = 84; a branch with no survey
    score has none (no rank, no grade); a survey row for an unknown branch is a finding."""
    rule = "monthly_weight = 0.6\nsurvey = { weight = 0.4, scale_max = 5 }\n"
    card = period_scorecard(
        results([("2026-07", "A", 80.0, True), ("2026-07", "B", 70.0, True)]),
        MONTHS[:1],
        rubric(rule),
        survey={"A": SurveyScore(4.5), "Z": SurveyScore(3.0, "s.xlsx", "满意度", 7)},
    )
    rows = by_key(card)
    assert (rows["A"].score, rows["A"].rank, rows["A"].grade) == (84.0, 1, "良好")
    assert (rows["B"].score, rows["B"].rank, rows["B"].grade) == (None, None, None)
    assert rows["B"].flags == ["no_survey"]
    assert [(f.code, f.row) for f in card.findings] == [
        ("survey-missing", None),
        ("survey-unknown-branch", 7),
    ]


def test_survey_scores_leave_out_blank_and_out_of_range_values_with_findings() -> None:
    """Blank and out-of-range survey scores are not used and each is a finding with its row."""
    frame = pd.DataFrame(
        {
            "branch_key": ["A", "B", "C"],
            "score": [88.0, float("nan"), 101.0],
            "_file": "s.xlsx",
            "_sheet": "满意度",
            "_row": [2, 3, 4],
        }
    )
    scores, findings = survey_scores(frame, "score", 100)
    assert scores == {"A": SurveyScore(88.0, "s.xlsx", "满意度", 2, "A")}
    assert [(f.code, f.row, f.value) for f in findings] == [
        ("survey-score-invalid", 3, ""),
        ("survey-score-invalid", 4, "101"),
    ]


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("monthly_weight = 0.5\n", "period.monthly_weight (line"),
        ("monthly_weight = 0.7\nsurvey = { weight = 0.4 }\n", "add up to 1.1"),
        ("survey = { weight = 1.5 }\n", "period.survey.weight (line"),
        ('survey = { weight = 0.4, table = "nope" }\n', "unknown table 'nope'"),
        ('survey = { weight = 0.4, column = "nope" }\n', "unknown column 'nope' of table survey"),
        ("survey = { weight = 0.4, scale_max = 0 }\n", "period.survey.scale_max (line"),
        ("weight = 0.4\n", "unknown key 'weight'"),
    ],
)
def test_period_rule_problems_name_the_key_and_line(rule: str, problem: str) -> None:
    """A bad [period] rule is a rubric problem naming its key and line."""
    with pytest.raises(RubricError) as caught:
        rubric(rule)
    assert any(problem in reason for reason in caught.value.reasons)


def test_unicom_preset_has_the_40_60_rule_of_seed_000() -> None:
    """The Unicom preset blends satisfaction 40 % with the monthly score 60 %."""
    from svcqa.rubric import load_rubric

    rule = load_rubric("unicom-branch-monthly").period
    assert rule.monthly_weight == 0.6 and rule.survey is not None
    assert (rule.survey.weight, rule.survey.table, rule.survey.column) == (0.4, "survey", "score")
