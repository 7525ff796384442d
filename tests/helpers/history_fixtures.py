"""Hand-built scorecards, month data and stores for the history tests (no ingest or scoring)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from svcqa.history import HistoryStore
from svcqa.models import (
    EVIDENCE_COLUMNS,
    ROW_ISSUE_COLUMNS,
    BranchResult,
    Finding,
    KpiResult,
    Month,
    MonthData,
    Scorecard,
    SourceFile,
    TableStats,
)

RUBRIC_SOURCE = 'id = "test-rubric"\nname = "测试考核"\n[kpis.rework_rate]\npoints = 10\n'
RUBRIC_SHA = "ab" * 32
# What the store reads of a rubric (its id, TOML text and hash), without building a real one.
RUBRIC = SimpleNamespace(id="test-rubric", source_text=RUBRIC_SOURCE, sha256=RUBRIC_SHA)
NOW = datetime(2026, 11, 2, 8, 30, 0)

# branch key -> display name
BRANCHES = {"天河网点": "天河 网点", "越秀网点": "越秀网点", "海珠网点": "海珠网点"}


def kpis(seed: int) -> list[KpiResult]:
    """Two KPIs with every field set, values varying with ``seed``."""
    return [
        KpiResult(
            id="exchange_cycle",
            label="换机平均服务周期",
            group="工单管理",
            value=3.5 + seed / 10,
            basis=40 + seed,
            points=round(12 - seed / 4, 2),
            max=12.0,
            unit="days",
            curve={"kind": "linear", "full": 3, "zero": 7},
            note="",
        ),
        KpiResult(
            id="rework_rate",
            label="维修质量(返修率)",
            group="技术指标",
            value=None if seed == 0 else 0.05 + seed / 100,
            basis=0 if seed == 0 else 200,
            points=10.0 if seed == 0 else 7.5,
            max=10.0,
            no_data=seed == 0,
            low_volume=seed == 2,
            unit="rate",
            curve={"kind": "linear", "full": 0.05, "zero": 0.1, "bands": [[0.05, 10], [0.1, 0]]},
            numerator=None if seed == 0 else 10.0 + seed,
            note="quarter to date 2026-07..2026-09",
        ),
    ]


def scorecard(
    month: Month, ranks: dict[str, int | None], *, shift: float = 0.0, evidence_rows: int = 3
) -> Scorecard:
    """A scorecard where each branch has the given rank (None: grace month, not assessed)."""
    branches = []
    for i, (key, rank) in enumerate(ranks.items()):
        total = round(95.0 - 10 * (rank or 0) + shift, 2)
        branches.append(
            BranchResult(
                branch=BRANCHES.get(key, key),
                branch_key=key,
                assessed=rank is not None,
                total=total,
                kpis=kpis(i),
                rank=rank,
                grade=None if rank is None else ("优秀" if total >= 90 else "良好"),
                coefficient=None if rank is None else 1.05,
                flags=["last_place", "rectification_required"]
                if rank == max(r for r in ranks.values() if r)
                else [],
                kpi_total=total - 1.0,
                incentive_points=1.0,
                region="广州",
                echelon="一梯队",
                prev_total=None if i == 0 else 80.5,
                prev_rank=None if i == 0 else 2,
                last_place_streak=1 if rank == max(r for r in ranks.values() if r) else 0,
            )
        )
    keys = list(ranks)
    evidence = pd.DataFrame(
        {
            "branch_key": [keys[i % len(keys)] for i in range(evidence_rows)],
            "kpi_id": ["rework_rate"] * evidence_rows,
            "kind": ["rework"] * evidence_rows,
            "ref": [f"T{i:04d}" for i in range(evidence_rows)],
            "date": [f"{month}-0{1 + i % 9} 10:00" for i in range(evidence_rows)],
            "value": [float(i) + 0.25 for i in range(evidence_rows)],
            "category": ["warranty"] * evidence_rows,
            "detail": [f"follows ticket P{i}" for i in range(evidence_rows)],
            "file": ["m.xlsx"] * evidence_rows,
            "sheet": ["工单"] * evidence_rows,
            "row": np.arange(3, 3 + evidence_rows, dtype="int64"),
        },
        columns=EVIDENCE_COLUMNS,
    )
    period_counts = pd.DataFrame(
        {
            "kpi_id": ["rework_rate"] * len(keys),
            "branch_key": keys,
            "numerator": [float(5 + i) for i in range(len(keys))],
            "basis": [100 + i for i in range(len(keys))],
        }
    )
    return Scorecard(
        month=month,
        rubric_id="test-rubric",
        rubric_name="测试考核",
        rubric_max=100.0,
        branches=branches,
        inputs={
            "tickets": TableStats(rows=12, used=10, excluded=1, rejected=1),
            "complaints": TableStats(rows=2, used=2),
        },
        evidence=evidence,
        notes=[
            Finding(code="partial_quarter", message="quarter to date from 1 month", table="tickets")
        ],
        generated_at=datetime(2026, 11, 2, 8, 0, 0),
        period_counts=period_counts,
    )


def tickets(
    month: Month,
    completed: list[pd.Timestamp | None],
    *,
    prefix: str = "T",
    branch: str = "天河网点",
) -> pd.DataFrame:
    """Canonical ticket rows accepted in ``month`` (or one day before a completion) with device ids."""
    n = len(completed)
    completed_at = pd.Series(pd.to_datetime(completed), dtype="datetime64[ns]")
    accepted = completed_at.fillna(month.start + pd.Timedelta(days=1)) - pd.Timedelta(hours=26)
    return pd.DataFrame(
        {
            "ticket_id": [f"{prefix}{i:05d}" for i in range(n)],
            "branch": [BRANCHES.get(branch, branch)] * n,
            "branch_key": [branch] * n,
            "service_type": ["warranty"] * n,
            "accepted_at": accepted,
            "completed_at": completed_at,
            "device_id": [f"86{i:013d}" for i in range(n)],
            "_file": [f"{month}.xlsx"] * n,
            "_sheet": ["工单"] * n,
            "_row": np.arange(3, 3 + n, dtype="int64"),
        }
    )


def month_data(month: Month, ticket_frame: pd.DataFrame | None = None) -> MonthData:
    frame = (
        ticket_frame
        if ticket_frame is not None
        else tickets(month, [month.start + pd.Timedelta(days=3, hours=5)])
    )
    return MonthData(
        month=month,
        month_source="option",
        tables={"tickets": frame},
        stats={"tickets": TableStats(rows=len(frame) + 1, used=len(frame), rejected=1)},
        rejects=pd.DataFrame(columns=ROW_ISSUE_COLUMNS),
        excluded=pd.DataFrame(columns=ROW_ISSUE_COLUMNS),
        sources=[
            SourceFile(
                path=f"/data/{month}.xlsx", name=f"{month}.xlsx", size=2048, sha256="cd" * 32
            )
        ],
    )


def save(
    store: HistoryStore, card: Scorecard, data: MonthData | None = None, *, now: datetime = NOW
) -> int:
    return store.save(
        card,
        data if data is not None else month_data(card.month),
        rubric=RUBRIC,
        tool_version="0.1.0",
        now=now,
    )


def open_store(path: Path, **kwargs: object) -> HistoryStore:
    return HistoryStore(path, **kwargs)  # type: ignore[arg-type]


def assert_scorecards_equal(left: Scorecard, right: Scorecard) -> None:
    for name in (
        "month",
        "rubric_id",
        "rubric_name",
        "rubric_max",
        "branches",
        "inputs",
        "notes",
        "generated_at",
    ):
        assert getattr(left, name) == getattr(right, name), name
    pd.testing.assert_frame_equal(left.evidence, right.evidence)
    if right.period_counts is None:
        assert left.period_counts is None
    else:
        pd.testing.assert_frame_equal(left.period_counts, right.period_counts)


def table_rows(path: Path, month: str) -> dict[str, list[tuple]]:
    """Rows of the month's active run in every per-run table, without run ids."""
    conn = sqlite3.connect(path)
    try:
        (run_id,) = conn.execute(
            "SELECT id FROM runs WHERE month = ? AND status = 'active'", (month,)
        ).fetchone()
        rows = {}
        for table in (
            "branch_results",
            "kpi_results",
            "period_counts",
            "evidence_blobs",
            "ticket_chunks",
        ):
            columns = [
                c[1] for c in conn.execute(f"PRAGMA table_info({table})") if c[1] != "run_id"
            ]
            rows[table] = sorted(
                conn.execute(
                    f"SELECT {', '.join(columns)} FROM {table} WHERE run_id = ?", (run_id,)
                ).fetchall(),
                key=repr,
            )
        return rows
    finally:
        conn.close()


JUL, AUG, SEP, OCT = Month(2026, 7), Month(2026, 8), Month(2026, 9), Month(2026, 10)


def three_months() -> dict[Month, tuple[Scorecard, MonthData]]:
    """Jul-Sep: 天河 last in Jul and Aug, 越秀 last in Sep, 海珠 new in Aug (grace month)."""
    plans = {
        JUL: {"天河网点": 2, "越秀网点": 1},
        AUG: {"天河网点": 2, "越秀网点": 1, "海珠网点": None},
        SEP: {"天河网点": 1, "越秀网点": 3, "海珠网点": 2},
    }
    out = {}
    for month, ranks in plans.items():
        done = [month.start + pd.Timedelta(days=d, hours=9) for d in (2, 15, 27)] + [None]
        out[month] = (
            scorecard(month, ranks, shift=month.month),
            month_data(month, tickets(month, done, prefix=f"T{month.month:02d}-")),
        )
    return out
