"""The scorecard outputs: JSON shape, CSV safety, XLSX read back cell by cell."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from svcqa.models import EVIDENCE_COLUMNS, BranchResult, KpiResult, Month, Scorecard, TableStats
from svcqa.render.scorecard import (
    scorecard_document,
    write_scorecard_csv,
    write_scorecard_json,
    write_scorecard_xlsx,
)


def _kpi(points: float, value: float = 4.0, kpi_id: str = "exchange_cycle") -> KpiResult:
    return KpiResult(
        id=kpi_id,
        label="换机平均服务周期",
        group="内部运营",
        value=value,
        basis=3,
        points=points,
        max=12,
        unit="days",
        curve={"kind": "linear", "full": 3, "zero": 7},
    )


def _scorecard(
    names: tuple[str, ...] = ("广州天河(一)服务点", '=HYPERLINK("http://x")'),
) -> Scorecard:
    branches = [
        BranchResult(
            branch=names[0],
            branch_key="k1",
            assessed=True,
            total=93.42,
            kpis=[_kpi(9.0)],
            rank=1,
            grade="优秀",
            coefficient=1.05,
            kpi_total=93.42,
        ),
        BranchResult(
            branch=names[1],
            branch_key="k2",
            assessed=True,
            total=55.0,
            kpis=[_kpi(0.0, value=7.5)],
            rank=2,
            grade="不合格",
            coefficient=0.85,
            flags=["last_place", "rectification_required"],
            kpi_total=55.0,
            prev_total=60.0,
            prev_rank=2,
            last_place_streak=2,
        ),
    ]
    return Scorecard(
        month=Month(2026, 10),
        rubric_id="gd-mobile-aftersales",
        rubric_name="广东移动售后服务供应商考核",
        rubric_max=100,
        branches=branches,
        inputs={"tickets": TableStats(10, 8, 1, 1)},
        evidence=pd.DataFrame(columns=EVIDENCE_COLUMNS),
    )


def test_json_document_has_the_documented_shape(tmp_path: Path) -> None:
    """The JSON document carries schema, month, rubric, inputs and ranked branches with KPI detail."""
    doc = scorecard_document(_scorecard(), month_source="option")
    assert doc["schema"] == "svcqa.scorecard/1"
    assert doc["month"] == "2026-10"
    assert doc["rubric"] == {
        "id": "gd-mobile-aftersales",
        "name": "广东移动售后服务供应商考核",
        "max": 100,
    }
    assert doc["inputs"]["tickets"] == {"rows": 10, "used": 8, "excluded": 1, "rejected": 1}
    first = doc["branches"][0]
    assert (first["rank"], first["total"], first["grade"], first["coefficient"]) == (
        1,
        93.42,
        "优秀",
        1.05,
    )
    kpi = first["kpis"][0]
    assert {k: kpi[k] for k in ("id", "value", "basis", "points", "max", "no_data")} == {
        "id": "exchange_cycle",
        "value": 4.0,
        "basis": 3,
        "points": 9.0,
        "max": 12,
        "no_data": False,
    }
    assert kpi["lost"] == 3.0 and kpi["curve"] == {"kind": "linear", "full": 3, "zero": 7}
    path = write_scorecard_json(_scorecard(), tmp_path / "s.json", month_source="option")
    assert json.loads(path.read_text(encoding="utf-8")) == doc
    # Written as json.dumps would (orjson), numpy numbers included.
    assert path.read_text(encoding="utf-8") == json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    card = _scorecard()
    card.branches[0].kpis[0] = dataclasses.replace(
        card.branches[0].kpis[0], value=np.float64(4.0), basis=np.int64(3)
    )
    assert write_scorecard_json(card, tmp_path / "n.json", month_source="option").read_text(
        encoding="utf-8"
    ) == path.read_text(encoding="utf-8")


def test_json_carries_kpi_values_and_numerators_unrounded(tmp_path: Path) -> None:
    """A KPI value of 1/35 and a numerator of 2/3 come back from scorecard.json bit for bit."""
    card = _scorecard()
    card.branches[0].kpis[0] = dataclasses.replace(
        card.branches[0].kpis[0], value=1 / 35, numerator=2 / 3, points=4.29
    )
    path = write_scorecard_json(card, tmp_path / "s.json")
    kpi = json.loads(path.read_text(encoding="utf-8"))["branches"][0]["kpis"][0]
    assert kpi["value"] == 1 / 35 and kpi["value"] != 0.0286
    assert kpi["numerator"] == 2 / 3
    assert kpi["points"] == 4.29


def test_csv_neutralises_formula_like_branch_names(tmp_path: Path) -> None:
    """A branch name starting with '=' is written to CSV with a leading quote, never as a formula."""
    path = write_scorecard_csv(_scorecard(), tmp_path / "s.csv")
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:3] == ["排名", "网点", "总分"]
    assert rows[2][1] == '\'=HYPERLINK("http://x")'
    assert rows[1][1] == "广州天河(一)服务点"


def test_xlsx_summary_cells_read_back_as_values_and_text(tmp_path: Path) -> None:
    """The XLSX summary sheet holds numbers as numbers and input text as string cells, not formulas."""
    path = write_scorecard_xlsx(_scorecard(), tmp_path / "s.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["排名汇总", "指标明细", "评分规则", "数据核对"]
    ws = wb["排名汇总"]
    assert ws["A2"].value == "排名" and ws["C3"].value == 93.42 and ws["E4"].value == 0.85
    assert ws["B4"].data_type == "s" and ws["B4"].value.startswith("=HYPERLINK")
    assert ws.freeze_panes == "C3"
    assert ws._charts, "the summary sheet carries a native chart of totals"
    detail = wb["指标明细"]
    assert detail["L3"].value == 12.0  # all 12 points lost for the second branch
    assert not list(tmp_path.glob(".*tmp")), "no temporary files are left behind"
