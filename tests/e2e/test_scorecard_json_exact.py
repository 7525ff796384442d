"""scorecard.json carries KPI values unrounded, so points can be recomputed from them exactly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from svcqa.cli import app

runner = CliRunner()

RUBRIC = """
id = "esc"
name = "Escalations"
max = 10

[[grades]]
name = "ok"
min = 0
coefficient = 1.0

[columns.tickets.escalated]
type = "flag"
aliases = ["Escalated"]

[[kpis]]
id = "escalation_rate"
label = "Escalation rate"
points = 10
metric = { kind = "flag_rate", table = "tickets", column = "escalated" }
curve = { kind = "linear", full = 0, zero = 0.05 }
"""


def _linear_points(value: float, full: float, zero: float, points: float) -> float:
    """The rubric's linear curve by hand: full points at `full`, none at `zero`, half up to 0.01."""
    share = min(max((zero - value) / (zero - full), 0.0), 1.0)
    return round(share * points + 1e-9, 2)


def test_a_value_of_one_in_35_recomputes_the_json_points(
    make_workbook: Callable[..., Path], tmp_path: Path
) -> None:
    """1 escalation in 35 tickets is 1/35 in the JSON, and the curve on it gives the JSON's points."""
    header = ["工单号", "网点", "受理时间", "完成时间", "Escalated"]
    rows = [
        [f"T{i}", "A", f"2026-10-{1 + i % 28:02d} 09:00", f"2026-10-{1 + i % 28:02d} 18:00", "N"]
        for i in range(35)
    ]
    rows[7][4] = "Y"
    book = make_workbook({"工单": [header, *rows]})
    rubric = tmp_path / "esc.toml"
    rubric.write_text(RUBRIC, encoding="utf-8")
    out = tmp_path / "out"
    args = ["score", str(book), "-r", str(rubric), "--no-history", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output

    card = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))
    kpi = card["branches"][0]["kpis"][0]
    # Neither scoring nor the JSON rounds a KPI's value: 1/35 comes out as 1/35.
    assert kpi["value"] == 1 / 35  # as computed, not rounded (0.0286 would give 4.28 points)
    assert kpi["basis"] == 35 and kpi["numerator"] == 1
    curve = kpi["curve"]
    assert (curve["kind"], curve["full"], curve["zero"]) == ("linear", 0, 0.05)
    recomputed = _linear_points(kpi["value"], curve["full"], curve["zero"], kpi["max"])
    assert recomputed == kpi["points"] == 4.29  # 10 x (1 - (1/35) / 0.05) = 4.2857
    # The old 4-decimal value would have recomputed to a different score.
    assert _linear_points(0.0286, 0, 0.05, 10) == 4.28
    assert card["branches"][0]["total"] == 4.29
