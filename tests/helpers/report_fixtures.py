"""Hand-built scored months for the report tests: 8 branches over 2026-08..2026-10 with evidence.

The numbers follow the gd-mobile-aftersales preset (SPEC 2.1): metric values are drawn from a
seeded generator per branch "quality", points come from the preset's formulas, and every lost
point has evidence rows (overdue tickets, reworks, valid complaints, absences, violations ...)
located by file, sheet and Excel row. One branch is last three months running (contract
review), one is in its grace month, one complaint text tries script injection and another a
spreadsheet formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from svcqa.models import EVIDENCE_COLUMNS, BranchResult, KpiResult, Month, Scorecard, TableStats

RUBRIC_ID = "gd-mobile-aftersales"
RUBRIC_NAME = "广东移动售后服务供应商考核"
FILE = "2026-{m:02d}.xlsx"
SCRIPT_TEXT = "<script>alert(1)</script>"
FORMULA_TEXT = "=cmd|' /C calc'!A0"


@dataclass(frozen=True)
class KpiSpec:
    id: str
    label: str
    group: str
    max: float
    unit: str
    curve: dict


KPIS = [
    KpiSpec(
        "exchange_cycle",
        "换机平均服务周期",
        "客户感知",
        12,
        "days",
        {"kind": "linear", "full": 3, "zero": 7, "better": "lower"},
    ),
    KpiSpec(
        "warranty_cycle",
        "保修平均服务周期",
        "客户感知",
        12,
        "days",
        {"kind": "linear", "full": 5, "zero": 7, "better": "lower"},
    ),
    KpiSpec(
        "nonwarranty_cycle",
        "非保修平均服务周期",
        "客户感知",
        6,
        "days",
        {"kind": "linear", "full": 5, "zero": 7, "better": "lower"},
    ),
    KpiSpec(
        "complaint_rate",
        "客户投诉",
        "客户感知",
        30,
        "rate",
        {"kind": "linear", "full": 0.03, "zero": 0.05, "better": "lower"},
    ),
    KpiSpec(
        "rework_rate",
        "维修质量(返修率)",
        "内部运营",
        10,
        "rate",
        {"kind": "linear", "full": 0.05, "zero": 0.10, "better": "lower"},
    ),
    KpiSpec(
        "exchange_overdue",
        "换机超期扣罚",
        "内部运营",
        5,
        "rate",
        {"kind": "linear", "full": 0.05, "zero": 0.10, "better": "lower"},
    ),
    KpiSpec(
        "warranty_overdue",
        "保修超期扣罚",
        "内部运营",
        5,
        "rate",
        {"kind": "linear", "full": 0.05, "zero": 0.10, "better": "lower"},
    ),
    KpiSpec("attendance", "出勤状况", "内部运营", 5, "count", {"kind": "deduct", "per": 1.0}),
    KpiSpec("discipline", "工作纪律", "内部运营", 5, "count", {"kind": "deduct", "per": 1.0}),
    KpiSpec(
        "cooperation", "工作配合", "内部运营", 10, "rating", {"kind": "rating", "scale_max": 10}
    ),
]

# name, quality (0 best .. 1 worst), ticket volume, grace month in 2026-10
BRANCHES = [
    ("广州天河（一）服务点", 0.05, 900, False),
    ("广州越秀服务中心", 0.15, 700, False),
    ("深圳福田华强北店", 0.25, 1200, False),
    ("佛山禅城授权网点", 0.35, 500, False),
    ("珠海香洲服务点", 0.45, 350, False),
    ("惠州惠城服务点", 0.55, 420, False),
    ("东莞虎门服务中心", 0.80, 1500, False),
    ("中山石岐新网点", 0.30, 120, True),
]
CATEGORIES = [
    "维修质量",
    "服务态度",
    "维修时长",
    "收费争议",
    "备件缺货",
    "换机流程",
    "预约爽约",
    "数据丢失",
    "配件质量",
    "信息泄露",
    "其他",
    "门店环境",
]
GRADES = [(90, "优秀", 1.05), (80, "良好", 1.00), (60, "合格", 0.95), (0, "不合格", 0.85)]


def branch_key(name: str) -> str:
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", name).split())


def _linear(x: float, full: float, zero: float, points: float) -> float:
    return round(float(np.clip((zero - x) / (zero - full), 0, 1) * points), 2)


def _metrics(
    rng: np.random.Generator, quality: float, volume: int
) -> dict[str, tuple[float | None, int, float | None]]:
    """(value, basis, numerator) per KPI, worse with quality."""
    q = min(max(quality, 0.0), 1.0)
    exch_n = int(volume * 0.3)
    warr_n = int(volume * 0.5)
    non_n = volume - exch_n - warr_n
    out: dict[str, tuple[float | None, int, float | None]] = {
        "exchange_cycle": (round(2.2 + 6.5 * q + rng.uniform(-0.3, 0.3), 2), exch_n, None),
        "warranty_cycle": (round(4.3 + 3.5 * q + rng.uniform(-0.2, 0.2), 2), warr_n, None),
        # The smallest branch has no paid repairs: "no data", full marks by rule.
        "nonwarranty_cycle": (None, 0, None)
        if volume < 150
        else (round(4.0 + 3.2 * q + rng.uniform(-0.2, 0.2), 2), non_n, None),
    }
    complaints = int(round(volume * (0.012 + 0.07 * q**1.5)))
    reworks = int(round(volume * (0.03 + 0.09 * q)))
    exch_over = int(round(exch_n * (0.02 + 0.12 * q)))
    warr_over = int(round(warr_n * (0.02 + 0.10 * q)))
    out["complaint_rate"] = (complaints / volume, volume, complaints)
    out["rework_rate"] = (reworks / volume, volume, reworks)
    out["exchange_overdue"] = (exch_over / exch_n, exch_n, exch_over)
    out["warranty_overdue"] = (warr_over / warr_n, warr_n, warr_over)
    out["attendance"] = (float(int(round(6 * q**2))), 22, None)
    out["discipline"] = (float(int(round(4 * q**2))), 0, None)
    out["cooperation"] = (round(10 - 5 * q + rng.uniform(-0.3, 0.3), 1), 2, None)
    return out


def _points(spec: KpiSpec, value: float | None) -> float:
    if value is None:
        return float(spec.max)
    kind = spec.curve["kind"]
    if kind == "linear":
        return _linear(value, spec.curve["full"], spec.curve["zero"], spec.max)
    if kind == "deduct":
        return round(max(spec.max - spec.curve["per"] * value, 0.0), 2)
    return round(float(np.clip(value * spec.max / spec.curve["scale_max"], 0, spec.max)), 2)


def _evidence_rows(
    month: Month,
    key: str,
    spec: KpiSpec,
    value: float | None,
    basis: int,
    numerator: float | None,
    lost: float,
    rng: np.random.Generator,
    counter: list[int],
) -> list[dict]:
    """Rows behind the lost points of one KPI."""
    if lost <= 0 or value is None:
        return []
    m = month.month
    rows: list[dict] = []

    def loc(sheet: str) -> dict:
        counter[0] += 1
        return {"file": FILE.format(m=m), "sheet": sheet, "row": 3 + counter[0]}

    def day(i: int) -> str:
        return f"{month.year}-{m:02d}-{(i % 28) + 1:02d}"

    if spec.id.endswith("_cycle"):
        # The slowest completed tickets of that service type pulled the mean over the threshold.
        n = max(3, int(basis * 0.08))
        for i in range(n):
            cycle = round(spec.curve["full"] + 0.5 + rng.uniform(0, 6), 2)
            rows.append(
                {
                    "kind": "slow_ticket",
                    "ref": f"GD{m:02d}{counter[0] + 10000:06d}",
                    "date": day(i),
                    "value": cycle,
                    "category": spec.label[:2],
                    "detail": f"服务周期 {cycle:.2f} 天，超过满分标准 {spec.curve['full']} 天",
                    **loc("工单明细"),
                }
            )
    elif spec.id.endswith("_overdue"):
        for i in range(int(numerator or 0)):
            age = round(10 + rng.uniform(0.1, 12), 2)
            still_open = i % 4 == 0
            detail = (
                f"未完成，月末账龄 {age:.2f} 天"
                if still_open
                else f"服务周期 {age:.2f} 天，超过 10 天"
            )
            rows.append(
                {
                    "kind": "overdue_ticket",
                    "ref": f"GD{m:02d}{counter[0] + 20000:06d}",
                    "date": day(i),
                    "value": age,
                    "category": "换机" if spec.id.startswith("exchange") else "保修",
                    "detail": detail,
                    **loc("工单明细"),
                }
            )
    elif spec.id == "rework_rate":
        for i in range(int(numerator or 0)):
            gap = int(rng.integers(3, 90))
            rows.append(
                {
                    "kind": "rework",
                    "ref": f"GD{m:02d}{counter[0] + 30000:06d}",
                    "date": day(i),
                    "value": float(gap),
                    "category": "保修",
                    "detail": f"返修：同一设备 IMEI 8615{counter[0]:010d} 于 {gap} 天前完成维修（工单 GD{m - 1:02d}{counter[0] + 5000:06d}）",
                    **loc("工单明细"),
                }
            )
    elif spec.id == "complaint_rate":
        weights = np.linspace(3, 0.5, len(CATEGORIES))
        weights /= weights.sum()
        for i in range(int(numerator or 0)):
            category = str(rng.choice(CATEGORIES, p=weights))
            rows.append(
                {
                    "kind": "complaint",
                    "ref": f"TS{m:02d}{counter[0] + 40000:06d}",
                    "date": day(i),
                    "value": np.nan,
                    "category": category,
                    "detail": f"客户反映{category}问题，经核实有效",
                    **loc("投诉明细"),
                }
            )
    elif spec.id == "attendance":
        for i in range(int(value)):
            rows.append(
                {
                    "kind": "absence",
                    "ref": f"员工{i + 1:02d}",
                    "date": day(i * 3),
                    "value": 1.0,
                    "category": "缺勤",
                    "detail": "现场检查时不在岗",
                    **loc("出勤检查"),
                }
            )
    elif spec.id == "discipline":
        for i in range(int(value)):
            rows.append(
                {
                    "kind": "violation",
                    "ref": f"员工{i + 1:02d}",
                    "date": day(i * 5 + 1),
                    "value": 1.0,
                    "category": "违规",
                    "detail": "未按规定登记备件领用",
                    **loc("纪律检查"),
                }
            )
    elif spec.id == "cooperation":
        for rater, delta in (("客服中心-王工", -0.3), ("区域经理-李工", 0.3)):
            rows.append(
                {
                    "kind": "rating",
                    "ref": rater,
                    "date": day(27),
                    "value": round(value + delta, 1),
                    "category": "工作配合",
                    "detail": "月度配合评分",
                    **loc("配合评分"),
                }
            )
    for row in rows:
        row.update({"branch_key": key, "kpi_id": spec.id})
    return rows


def build_month(
    month: Month,
    *,
    previous: Scorecard | None = None,
    streaks: dict[str, int] | None = None,
    generated_at: datetime | None = None,
) -> Scorecard:
    """One scored month of the 8 branches (grace branch only in 2026-10)."""
    rng = np.random.default_rng(month.year * 100 + month.month)
    counter = [0]
    branches: list[BranchResult] = []
    evidence: list[dict] = []
    prev = {b.branch_key: b for b in previous.branches} if previous else {}
    for name, quality, volume, grace in BRANCHES:
        if grace and month != Month(2026, 10):
            continue
        key = branch_key(name)
        metrics = _metrics(
            rng, quality + 0.03 * (month.month - 10) * (1 if quality < 0.75 else 0), volume
        )
        kpis = []
        for spec in KPIS:
            value, basis, numerator = metrics[spec.id]
            points = _points(spec, value)
            kpis.append(
                KpiResult(
                    id=spec.id,
                    label=spec.label,
                    group=spec.group,
                    value=value,
                    basis=basis,
                    points=points,
                    max=spec.max,
                    no_data=value is None,
                    low_volume=basis < 30 and spec.unit == "rate",
                    unit=spec.unit,
                    curve=dict(spec.curve),
                    numerator=numerator,
                    note="partial_quarter"
                    if spec.id == "rework_rate" and month == Month(2026, 10)
                    else "",
                )
            )
            evidence += _evidence_rows(
                month, key, spec, value, basis, numerator, round(spec.max - points, 2), rng, counter
            )
        kpi_total = round(sum(k.points for k in kpis), 2)
        incentive = 0.0
        if quality < 0.1:
            incentive = 2.0
            evidence.append(
                {
                    "branch_key": key,
                    "kpi_id": "incentive",
                    "kind": "incentive",
                    "ref": "JL-001",
                    "date": f"{month}-15",
                    "value": 2.0,
                    "category": "表扬",
                    "detail": "客户来信表扬，维修及时",
                    "file": FILE.format(m=month.month),
                    "sheet": "正负激励",
                    "row": 4,
                }
            )
        if quality > 0.75:
            incentive = -3.0
            evidence.append(
                {
                    "branch_key": key,
                    "kpi_id": "incentive",
                    "kind": "incentive",
                    "ref": "JL-002",
                    "date": f"{month}-20",
                    "value": -3.0,
                    "category": "通报",
                    "detail": "服务热线抽检发现推诿客户，通报扣分",
                    "file": FILE.format(m=month.month),
                    "sheet": "正负激励",
                    "row": 5,
                }
            )
        total = round(float(np.clip(kpi_total + incentive, 0, 100)), 2)
        p = prev.get(key)
        branches.append(
            BranchResult(
                branch=name,
                branch_key=key,
                assessed=not grace,
                total=total,
                kpis=kpis,
                kpi_total=kpi_total,
                incentive_points=incentive,
                region=name[:2],
                echelon="一梯队" if volume >= 700 else "二梯队",
                prev_total=p.total if p else None,
                prev_rank=p.rank if p else None,
                flags=["grace_month"] if grace else [],
            )
        )
    # Injection attempts in one ordinary branch's complaints (shown as text, never run).
    target = branch_key("深圳福田华强北店")
    for i, text in enumerate((SCRIPT_TEXT, FORMULA_TEXT)):
        evidence.append(
            {
                "branch_key": target,
                "kpi_id": "complaint_rate",
                "kind": "complaint",
                "ref": f"TS-X{i}",
                "date": f"{month}-0{i + 2}",
                "value": np.nan,
                "category": text,
                "detail": text,
                "file": FILE.format(m=month.month),
                "sheet": "投诉明细",
                "row": 900 + i,
            }
        )
    _rank(branches, streaks or {})
    frame = pd.DataFrame(evidence, columns=EVIDENCE_COLUMNS)
    return Scorecard(
        month=month,
        rubric_id=RUBRIC_ID,
        rubric_name=RUBRIC_NAME,
        rubric_max=100,
        branches=branches,
        inputs={"tickets": TableStats(7000, 6900, 60, 40)},
        evidence=frame,
        generated_at=generated_at,
    )


def _rank(branches: list[BranchResult], streaks: dict[str, int]) -> None:
    """Rank assessed branches (ties share the better rank), grade, coefficient, flags, in place."""
    assessed = [b for b in branches if b.assessed]
    totals = sorted((b.total for b in assessed), reverse=True)
    for b in assessed:
        b.rank = totals.index(b.total) + 1
        b.grade, b.coefficient = next((g, c) for floor, g, c in GRADES if b.total >= floor)
    worst = max(b.rank for b in assessed)
    for b in assessed:
        if b.rank == worst:
            b.last_place_streak = streaks.get(b.branch_key, 0) + 1
            b.flags += ["last_place", "rectification_required"]
            if b.last_place_streak >= 3:
                b.flags.append("contract_review")
        elif b.grade == "不合格":
            b.flags.append("rectification_required")
    branches.sort(key=lambda b: (b.rank is None, b.rank or 0, b.branch))


def build_history(
    generated_at: datetime | None = None,
) -> tuple[Scorecard, Scorecard, pd.DataFrame]:
    """(2026-10 scorecard, 2026-09 scorecard, trend over 2026-08..2026-10)."""
    months = [Month(2026, 8), Month(2026, 9), Month(2026, 10)]
    cards: list[Scorecard] = []
    streaks: dict[str, int] = {}
    for month in months:
        card = build_month(
            month, previous=cards[-1] if cards else None, streaks=streaks, generated_at=generated_at
        )
        streaks = {b.branch_key: b.last_place_streak for b in card.branches if b.last_place_streak}
        cards.append(card)
    trend = pd.DataFrame(
        [
            {
                "month": str(card.month),
                "branch_key": b.branch_key,
                "branch": b.branch,
                "total": b.total,
                "rank": b.rank,
                "grade": b.grade,
                "coefficient": b.coefficient,
                "assessed": b.assessed,
                "flags": ",".join(b.flags),
            }
            for card in cards
            for b in card.branches
        ]
    )
    return cards[-1], cards[-2], trend


def build_large(n_branches: int = 500, month: Month | None = None) -> Scorecard:
    """A month of many branches for timing ``--all`` (same shapes as ``build_month``)."""
    month = month or Month(2026, 10)
    rng = np.random.default_rng(7)
    counter = [0]
    branches: list[BranchResult] = []
    evidence: list[dict] = []
    for i in range(n_branches):
        name = f"测试网点{i + 1:03d}（{['广州', '深圳', '佛山', '东莞'][i % 4]}）"
        key = branch_key(name)
        quality = float(rng.uniform(0, 1))
        metrics = _metrics(rng, quality, int(rng.integers(100, 1500)))
        kpis = []
        for spec in KPIS:
            value, basis, numerator = metrics[spec.id]
            points = _points(spec, value)
            kpis.append(
                KpiResult(
                    id=spec.id,
                    label=spec.label,
                    group=spec.group,
                    value=value,
                    basis=basis,
                    points=points,
                    max=spec.max,
                    no_data=value is None,
                    unit=spec.unit,
                    curve=dict(spec.curve),
                    numerator=numerator,
                )
            )
            evidence += _evidence_rows(
                month, key, spec, value, basis, numerator, round(spec.max - points, 2), rng, counter
            )
        kpi_total = round(sum(k.points for k in kpis), 2)
        branches.append(
            BranchResult(
                branch=name,
                branch_key=key,
                assessed=True,
                total=kpi_total,
                kpis=kpis,
                kpi_total=kpi_total,
            )
        )
    _rank(branches, {})
    return Scorecard(
        month=month,
        rubric_id=RUBRIC_ID,
        rubric_name=RUBRIC_NAME,
        rubric_max=100,
        branches=branches,
        inputs={},
        evidence=pd.DataFrame(evidence, columns=EVIDENCE_COLUMNS),
    )
