"""A rubric asking for data the month does not have is a finding, not silent "no data" full marks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from svcqa.errors import InputError
from svcqa.jobs.score import run_score
from svcqa.rubric import load_rubric_text

from mismatch_month import GOOD_SPEED, HEADER, RUBRIC, TICKETS


def _run(
    make_workbook: Callable[..., Path],
    tmp_path: Path,
    filter_text: str,
    speed_header: str = GOOD_SPEED,
    **kwargs,
):
    book = make_workbook({"工单": [HEADER, *TICKETS]})
    rubric = load_rubric_text(RUBRIC.format(filter=filter_text, speed_header=speed_header))
    return run_score(
        [book], rubric=rubric, month=None, out_dir=tmp_path / "out", use_history=False, **kwargs
    )


def _mismatches(run) -> list[tuple[str, str]]:
    return [(n.code, n.message) for n in run.mismatches]


def _cycle(run) -> dict[str, tuple[float | None, float]]:
    """(cycle value, cycle points) per branch."""
    out = {}
    for branch in run.scorecard.branches:
        kpi = next(k for k in branch.kpis if k.id == "cycle")
        out[branch.branch] = (kpi.value, kpi.points)
    return out


def test_a_mistyped_text_filter_value_names_the_spelling_the_data_has(make_workbook, tmp_path):
    """`priority = "low"` where the data says `Low` is filter-matches-nothing with the values held and the fix."""
    run = _run(make_workbook, tmp_path, 'priority = "low"')
    assert _mismatches(run) == [
        (
            "filter-matches-nothing",
            'KPI cycle (Cycle): filter priority = "low" on tickets.priority: "low" occurs in no '
            "row of the month; no row passes the filter, so every branch is scored as when_empty "
            '= full. The column holds "Low" ×3, "High" ×1, "Critical" ×1. Did you mean "Low" for '
            '"low"? Write priority = "Low". Filters match the exact spelling of the cell: write '
            "the value as the data has it",
        )
    ]
    note = run.mismatches[0]
    assert (note.table, note.column, note.value) == ("tickets", "priority", "low")
    assert _cycle(run) == {"A": (None, 10.0), "B": (None, 10.0)}  # when_empty = full, as before


def test_a_flag_filtered_with_y_says_write_true_or_false(make_workbook, tmp_path):
    """`answered = "Y"` on a flag column is filter-not-boolean naming true/false and the counts."""
    run = _run(make_workbook, tmp_path, 'answered = "Y"')
    assert _mismatches(run) == [
        (
            "filter-not-boolean",
            'KPI cycle (Cycle): filter answered = "Y" on tickets.answered, a yes/no column: "Y" '
            "is not true or false, so it matches no row; no row passes the filter, so every "
            "branch is scored as when_empty = full. The column holds true ×3, false ×2. Write "
            "answered = true or answered = false (TOML booleans, no quotes)",
        )
    ]


def test_a_flag_filtered_with_true_matches_the_true_rows(make_workbook, tmp_path):
    """`answered = true` keeps T1 (A, 1 day) and T3, T5 (B, 2 days each): no finding."""
    run = _run(make_workbook, tmp_path, "answered = true")
    assert _mismatches(run) == []
    # B: mean 2 days on a linear curve full at 1, zero at 3 -> 10 x (3 - 2) / 2 = 5 points.
    assert _cycle(run) == {"A": (1.0, 10.0), "B": (2.0, 5.0)}


def test_a_flag_filtered_with_1_matches_nothing_and_says_so(make_workbook, tmp_path):
    """A number on a flag column no longer matches the true rows silently: booleans only."""
    run = _run(make_workbook, tmp_path, "answered = 1")
    assert [code for code, _ in _mismatches(run)] == ["filter-not-boolean"]
    assert _cycle(run) == {"A": (None, 10.0), "B": (None, 10.0)}


def test_a_list_of_values_matches_any_of_them(make_workbook, tmp_path):
    """`priority = ["High", "Critical"]` keeps T2 (A, 1 day) and T5 (B, 2 days): no finding."""
    run = _run(make_workbook, tmp_path, 'priority = ["High", "Critical"]')
    assert _mismatches(run) == []
    assert _cycle(run) == {"A": (1.0, 10.0), "B": (2.0, 5.0)}


def test_one_mistyped_value_of_a_list_is_named_and_the_rest_still_counts(make_workbook, tmp_path):
    """In `["High", "critical "]` only the second matches nothing; High's row still scores A."""
    run = _run(make_workbook, tmp_path, 'priority = ["High", "critical "]')
    assert _mismatches(run) == [
        (
            "filter-matches-nothing",
            'KPI cycle (Cycle): filter priority = ["High", "critical "] on tickets.priority: '
            '"critical " occurs in no row of the month; the filter keeps 1 row(s) on the other '
            'value(s). The column holds "Low" ×3, "High" ×1, "Critical" ×1. Did you mean '
            '"Critical" for "critical "? Write priority = "Critical". Filters match the exact '
            "spelling of the cell: write the value as the data has it",
        )
    ]
    assert _cycle(run) == {"A": (1.0, 10.0), "B": (None, 10.0)}


def test_a_full_width_value_is_matched_exactly_but_hinted(make_workbook, tmp_path):
    """`ＬＯＷ` (full width) matches no row (exact comparison) and the finding suggests `Low`."""
    run = _run(make_workbook, tmp_path, 'priority = "ＬＯＷ"')
    [(code, message)] = _mismatches(run)
    assert code == "filter-matches-nothing"
    assert 'Did you mean "Low" for "ＬＯＷ"? Write priority = "Low".' in message


def test_a_value_with_no_near_spelling_lists_the_values_without_a_guess(make_workbook, tmp_path):
    """`priority = "Urgent"` lists what the column holds and guesses nothing."""
    run = _run(make_workbook, tmp_path, 'priority = "Urgent"')
    [(_, message)] = _mismatches(run)
    assert 'The column holds "Low" ×3, "High" ×1, "Critical" ×1. Filters match' in message
    assert "Did you mean" not in message


def test_an_alias_that_misses_its_header_is_a_missing_column(make_workbook, tmp_path):
    """The alias `Speed of answer (s)` for `Speed of answer in seconds` is kpi-column-missing."""
    run = _run(make_workbook, tmp_path, 'priority = "Low"', speed_header="Speed of answer (s)")
    assert _mismatches(run) == [
        (
            "kpi-column-missing",
            "KPI speed (Speed) needs column speed of the tickets table (declared in the rubric; "
            'header spellings: "speed", "Speed of answer (s)"), which the month\'s tickets sheet '
            "does not have; every branch is scored as when_empty = full. The tickets table has: "
            "ticket_id, branch, accepted_at, completed_at, priority, answered. Map the header "
            'with [aliases.tickets] speed = ["<header as in the sheet>"] in the rubric or with '
            "--aliases",
        )
    ]
    speed = [k for b in run.scorecard.branches for k in b.kpis if k.id == "speed"]
    assert [(k.value, k.points) for k in speed] == [(None, 10.0), (None, 10.0)]


def test_a_rubric_whose_filters_all_match_has_no_mismatch(make_workbook, tmp_path):
    """Every filter value present and every column found: no mismatch finding at all."""
    run = _run(make_workbook, tmp_path, 'priority = "Low", answered = true')
    assert _mismatches(run) == []
    # Low and answered: T1 (A, 1 day), T3 (B, 2 days). Speed: A (20+40)/2 = 30 -> 10 x 30/40.
    assert _cycle(run) == {"A": (1.0, 10.0), "B": (2.0, 5.0)}
    speed = {b.branch: next(k for k in b.kpis if k.id == "speed") for b in run.scorecard.branches}
    assert (speed["A"].value, speed["A"].points) == (30.0, 7.5)


def test_a_kpi_on_an_absent_table_is_named_once_per_table(make_workbook, tmp_path):
    """Two KPIs on the absent scores table give one kpi-table-missing naming both."""
    text = RUBRIC.format(filter='priority = "Low"', speed_header=GOOD_SPEED).replace(
        "max = 20", "max = 30"
    ) + "\n".join(
        [
            "[columns.scores.audit_score]",
            'type = "number"',
            "[[kpis]]",
            'id = "audit"',
            'label = "Audit"',
            "points = 5",
            'metric = { kind = "direct_score", column = "audit_score" }',
            'curve = { kind = "linear", full = 5, zero = 0 }',
            "[[kpis]]",
            'id = "visit"',
            'label = "Visit"',
            "points = 5",
            'when_empty = "zero"',
            'metric = { kind = "direct_score", column = "audit_score" }',
            'curve = { kind = "linear", full = 5, zero = 0 }',
        ]
    )
    book = make_workbook({"工单": [HEADER, *TICKETS]})
    run = run_score([book], rubric=load_rubric_text(text), out_dir=tmp_path, use_history=False)
    assert [(n.code, n.table) for n in run.mismatches] == [("kpi-table-missing", "scores")]
    assert run.mismatches[0].message.startswith(
        "KPI audit (Audit, when_empty = full), visit (Visit, when_empty = zero) read the scores "
        "table, which the month's files do not have; every branch is scored as when_empty."
    )


@pytest.mark.parametrize(
    ("filter_text", "speed_header", "codes"),
    [
        ('priority = "low"', GOOD_SPEED, ["filter-matches-nothing"]),
        ('answered = "Y"', GOOD_SPEED, ["filter-not-boolean"]),
        ('priority = "Low"', "Speed of answer (s)", ["kpi-column-missing"]),
    ],
)
def test_strict_refuses_a_mismatch_after_writing_the_outputs(
    make_workbook, tmp_path, filter_text, speed_header, codes
):
    """Under strict each mismatch is a rubric-mismatch error listing the findings; outputs exist."""
    with pytest.raises(InputError) as caught:
        _run(make_workbook, tmp_path, filter_text, speed_header, strict=True)
    assert caught.value.code == "rubric-mismatch"
    assert [reason.split("]")[0].lstrip("[") for reason in caught.value.reasons] == codes
    assert str(caught.value).startswith(
        "1 finding(s) of the rubric asking for data the month does not have, and --strict was given;"
    )
    assert (tmp_path / "out" / "scorecard.json").is_file()


def test_strict_passes_a_rubric_whose_filters_all_match(make_workbook, tmp_path):
    """Strict with nothing mismatched and no rejects runs through."""
    run = _run(make_workbook, tmp_path, 'priority = "Low"', strict=True)
    assert run.mismatches == []
