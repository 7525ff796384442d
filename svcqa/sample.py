"""A deterministic, realistic sample month: the exports of SPEC section 4, warts included.

``write_sample_month`` writes ``<out>/<YYYY-MM>.xlsx`` with one sheet per table (Chinese sheet
names and headers taken from ``svcqa.schema``'s aliases, so ingest recognises them). The content
is a pure function of ``(seed, month, branches, tickets, complaint_rate)``:

* The roster (names, regions, echelons, sizes, underlying quality, staff) depends on the seed and
  the branch count only, so consecutive months share it. Each month adds one newcomer signed
  within that month (its grace month); the other ``branches - 1`` branches are the same every
  month. One fixed branch is much weaker than the rest so "last place three months running"
  shows up; a few others are clearly bad.
* Rework tickets reference devices that the *fresh* tickets of this month or of the two previous
  months (same seed and sizes) really contain, completed 1-89 days before the rework was
  accepted. Fresh tickets never reuse a device id, so deriving reworks from device ids gives
  exactly the ``是否返修`` ground truth once the earlier months are in the history store.
* A small fixed set of planned defects (``planned_defects``) is written at rows that depend on
  the row counts only: unparseable dates, completion before acceptance, duplicate ticket ids,
  unknown service types, rows of the previous month, unknown attendance statuses.

Everything per row is generated with numpy; the only per-row Python loop is the unavoidable one
that hands cells to xlsxwriter (``constant_memory`` mode, rows streamed to disk).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from svcqa.errors import UsageError
from svcqa.models import Month
from svcqa.output import atomic_target
from svcqa.schema import TABLES

# ---------------------------------------------------------------------------------------------
# Limits and layout
# ---------------------------------------------------------------------------------------------

EXCEL_MAX_ROWS = 1_048_576
TICKET_HEADER_ROW = 3  # Excel row of the tickets header: title row, blank row, header
COMPLAINT_HEADER_ROW = 2  # title row, header
MAX_TICKETS = EXCEL_MAX_ROWS - TICKET_HEADER_ROW
MIN_TICKETS = 100
MIN_BRANCHES = 3
MAX_BRANCHES = 1000
EXPORT_LAG_DAYS = 5  # exports are pulled on the 5th of the next month: later completions are blank
REWORK_WINDOW_DAYS = 89  # sources completed 1..89 days before the rework (rule: within 90 days)
WEAK_QUALITY = 0.22  # the one clearly weakest branch (quality runs 0 worst .. 1 best)
NEWCOMER_POOL = 24  # distinct newcomer names, one per calendar month, cycling every two years


def _header(table: str, column: str, text: str) -> tuple[str, str]:
    """A (canonical column, header text) pair, checked against the schema's aliases."""
    aliases = TABLES[table].column(column).aliases
    if text not in aliases:  # a schema change must not silently break the sample files
        raise AssertionError(f"{text!r} is not an alias of {table}.{column}: {aliases}")
    return column, text


SHEETS: dict[str, str] = {
    name: TABLES[name].label for name in TABLES if name not in ("scores", "survey")
}

HEADERS: dict[str, list[tuple[str, str]]] = {
    "tickets": [
        _header("tickets", "ticket_id", "工单号"),
        _header("tickets", "branch", "网点名称"),
        _header("tickets", "service_type", "服务类型"),
        _header("tickets", "accepted_at", "受理时间"),
        _header("tickets", "completed_at", "完成时间"),
        _header("tickets", "device_id", "IMEI"),
        _header("tickets", "is_rework", "是否返修"),
        _header("tickets", "rating", "客户评分"),
    ],
    "complaints": [
        _header("complaints", "complaint_id", "投诉单号"),
        _header("complaints", "branch", "网点名称"),
        _header("complaints", "received_at", "投诉时间"),
        _header("complaints", "is_valid", "是否有效"),
        _header("complaints", "category", "投诉类别"),
        _header("complaints", "description", "投诉内容"),
    ],
    "attendance": [
        _header("attendance", "date", "检查日期"),
        _header("attendance", "branch", "网点名称"),
        _header("attendance", "staff", "姓名"),
        _header("attendance", "status", "出勤状态"),
    ],
    "discipline": [
        _header("discipline", "date", "日期"),
        _header("discipline", "branch", "网点名称"),
        _header("discipline", "violation", "违纪事项"),
        _header("discipline", "points", "扣分"),
    ],
    "cooperation": [
        _header("cooperation", "branch", "网点名称"),
        _header("cooperation", "rating", "评分"),
        _header("cooperation", "rater", "评分人"),
    ],
    "incentives": [
        _header("incentives", "date", "日期"),
        _header("incentives", "branch", "网点名称"),
        _header("incentives", "points", "分值"),
        _header("incentives", "reason", "原因"),
    ],
    "branches": [
        _header("branches", "branch", "网点名称"),
        _header("branches", "region", "区域"),
        _header("branches", "echelon", "梯队"),
        _header("branches", "contract_start", "签约日期"),
    ],
}

# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------

_CITIES: dict[str, tuple[str, ...]] = {
    "广州": ("天河", "越秀", "海珠", "白云", "番禺", "花都", "荔湾", "黄埔"),
    "深圳": ("福田", "南山", "罗湖", "宝安", "龙岗", "龙华"),
    "佛山": ("禅城", "南海", "顺德"),
    "东莞": ("南城", "东城", "虎门", "长安"),
    "珠海": ("香洲", "斗门"),
    "中山": ("石岐", "小榄"),
    "惠州": ("惠城", "惠阳"),
    "江门": ("蓬江", "新会"),
    "汕头": ("龙湖", "金平"),
    "湛江": ("赤坎", "霞山"),
    "茂名": ("茂南",),
    "肇庆": ("端州",),
    "清远": ("清城",),
    "韶关": ("浈江",),
    "梅州": ("梅江",),
    "揭阳": ("榕城",),
    "潮州": ("湘桥",),
    "阳江": ("江城",),
    "河源": ("源城",),
    "云浮": ("云城",),
}
_ORDINALS = (
    tuple("一二三四五六七八九十") + tuple(f"十{c}" for c in "一二三四五六七八九") + ("二十",)
)
_SUFFIXES = ("服务点", "服务中心", "授权服务店", "营业厅")
_SURNAMES = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁")
_GIVEN = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华飞玲晶婷辉鹏斌健宇浩凯俊帆琳雪梅欣怡嘉豪"
)
_RATERS = (
    "客服中心-陈晓燕",
    "客服中心-林志强",
    "渠道部-黄丽娟",
    "渠道部-郑伟",
    "市场部-何敏",
    "质量部-刘洋",
)

_COMPLAINT_CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("维修质量", ("维修后仍无法开机", "更换屏幕后触摸失灵", "修好后一周又出现同样故障")),
    ("服务态度", ("工作人员态度冷淡", "接待人员不耐烦，推诿", "电话回访时语气生硬")),
    ("维修时长", ("维修超过十天仍未完成", "承诺三天取机，实际拖延", "配件到货慢，等待时间长")),
    ("收费争议", ("保修期内被要求收费", "收费与报价不一致", "检测费未事先告知")),
    ("配件问题", ("更换的电池疑似非原装", "配件缺货无法维修", "更换后摄像头有杂点")),
    ("换机政策", ("符合换机条件却不给换", "换机需提供材料过多", "换机后新机有划痕")),
    ("预约与排队", ("预约后到店仍排队一小时", "取号系统故障", "网上预约无法使用")),
    ("数据丢失", ("维修后通讯录和照片丢失", "未提醒备份导致数据丢失", "刷机前未征得同意")),
    ("环境设施", ("网点环境脏乱", "没有等候座位", "空调故障，闷热")),
    ("信息告知不清", ("维修进度无人通知", "取机时间告知错误", "保修政策解释不清")),
    ("重复维修", ("同一故障已维修三次", "返修后问题依旧", "二次返修仍未解决")),
    ("其他", ("网点营业时间与公示不符", "发票开具延误", "停车不便")),
)
_VIOLATIONS = (
    "未按规定着工装",
    "上班时间玩手机",
    "未佩戴工牌",
    "未按流程登记工单",
    "服务台卫生不达标",
    "私自收取费用",
    "备件台账不清",
    "未按时上报数据",
)
_INCENTIVES_POS = ("客户表扬信", "及时处理重大投诉", "服务明星评选", "备件管理规范")
_INCENTIVES_NEG = (
    "系统录单不规范",
    "未按时回复督办单",
    "被客户在社交媒体曝光",
    "检查发现服务规范问题",
)

_TYPE_CODES = np.array(["exchange", "warranty", "non_warranty"], dtype=object)
_TYPE_SHARE = np.array([0.30, 0.50, 0.20])
_STATUS_CODES = np.array(["present", "absent", "late", "early_leave"], dtype=object)
_STATUS_TEXT = np.array(["正常", "缺勤", "迟到", "早退"], dtype=object)

# Cell kinds for the writer.
K_BLANK, K_STR, K_NUM, K_DATETIME, K_DATE, K_SERIAL = range(6)
_EPOCH_MIN = np.datetime64("1970-01-01T00:00", "m")
_EXCEL_EPOCH_DAYS = np.datetime64("1899-12-30", "D")

# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedDefect:
    """A deliberate bad (or out-of-month) row: where it is, as the user sees it in Excel."""

    sheet: str
    row: int  # Excel row number (1-based, title rows counted)
    column: str  # the header of the offending column
    value: str  # the cell as written (text form)
    code: str  # the reject code ingest should give it (``outside-month`` for excluded rows)

    def as_dict(self) -> dict[str, object]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "code": self.code,
        }


@dataclass(frozen=True)
class SampleMonth:
    """A generated month: canonical ground-truth frames plus the planned defects.

    ``tables`` hold canonical column names (``svcqa.schema``) with the truth behind every cell:
    the branch's canonical name in ``branch`` and the spelling written in ``branch_written``,
    real timestamps for every date whatever text form was written, and ``_row`` (Excel row).
    """

    month: Month
    seed: int
    tables: dict[str, pd.DataFrame]
    defects: tuple[PlannedDefect, ...]
    weak_branch: str
    newcomer: str
    roster: tuple[str, ...] = field(default=())


def write_sample_month(
    out_dir: Path,
    month: Month,
    *,
    branches: int = 40,
    tickets: int = 20000,
    seed: int = 1,
    rework_flag: bool = True,
    complaint_rate: float = 0.03,
) -> Path:
    """Write ``out_dir/<month>.xlsx`` and return its path (replaced atomically if present)."""
    sample = generate_sample_month(
        month, branches=branches, tickets=tickets, seed=seed, complaint_rate=complaint_rate
    )
    path = Path(out_dir) / f"{month}.xlsx"
    with atomic_target(path) as tmp:
        _write_workbook(tmp, sample, rework_flag=rework_flag)
    return path


def generate_sample_month(
    month: Month,
    *,
    branches: int = 40,
    tickets: int = 20000,
    seed: int = 1,
    complaint_rate: float = 0.03,
) -> SampleMonth:
    """Build the month's tables in memory (what ``write_sample_month`` writes)."""
    _check_arguments(branches, tickets, seed, complaint_rate)
    plan = _plan(seed, month, branches, tickets)
    tickets_df, ticket_defects = _tickets(plan)
    attendance_df, attendance_defects = _attendance(plan)
    tables = {
        "tickets": tickets_df,
        "complaints": _complaints(plan, tickets_df, complaint_rate),
        "attendance": attendance_df,
        "discipline": _discipline(plan),
        "cooperation": _cooperation(plan),
        "incentives": _incentives(plan),
        "branches": _branches(plan),
    }
    roster = plan.roster
    return SampleMonth(
        month=month,
        seed=seed,
        tables=tables,
        defects=tuple(ticket_defects + attendance_defects),
        weak_branch=str(roster.names[roster.weak]),
        newcomer=str(plan.names[-1]),
        roster=tuple(str(n) for n in plan.names),
    )


def planned_defects(
    month: Month, *, branches: int = 40, tickets: int = 20000, seed: int = 1
) -> list[PlannedDefect]:
    """The deliberate defects of a month, in sheet and row order (cheap: no workbook written)."""
    return list(generate_sample_month(month, branches=branches, tickets=tickets, seed=seed).defects)


def _check_arguments(branches: int, tickets: int, seed: int, complaint_rate: float) -> None:
    if not MIN_BRANCHES <= branches <= MAX_BRANCHES:
        raise UsageError(
            f"--branches {branches}: expected {MIN_BRANCHES} to {MAX_BRANCHES} branches"
        )
    if not MIN_TICKETS <= tickets <= MAX_TICKETS:
        raise UsageError(
            f"--tickets {tickets}: expected {MIN_TICKETS} to {MAX_TICKETS:,} "
            "(Excel's row limit minus the title, blank and header rows)"
        )
    if tickets < 5 * branches:
        raise UsageError(
            f"--tickets {tickets} is too few for {branches} branches: give at least {5 * branches}"
        )
    if seed < 0:
        raise UsageError(f"--seed {seed}: expected a non-negative integer")
    if not 0.0 <= complaint_rate <= 0.5:
        raise UsageError(
            f"--complaint-rate {complaint_rate}: expected a fraction between 0 and 0.5 (0.03 = 3 %)"
        )


# ---------------------------------------------------------------------------------------------
# Randomness: independent streams per (seed, month, purpose), so one table's draws never shift
# another's, and an earlier month's fresh tickets can be rebuilt on their own.
# ---------------------------------------------------------------------------------------------


def _rng(seed: int, month: Month | None, stream: str) -> np.random.Generator:
    year, mon = (month.year, month.month) if month else (0, 0)
    return np.random.default_rng(
        np.random.SeedSequence([seed, year, mon, zlib.crc32(stream.encode())])
    )


def _ordinal(month: Month) -> int:
    return month.year * 12 + month.month - 1


def _minutes(ts: pd.Timestamp | datetime) -> int:
    return int(
        (pd.Timestamp(ts).to_datetime64().astype("datetime64[m]") - _EPOCH_MIN).astype(np.int64)
    )


# ---------------------------------------------------------------------------------------------
# Roster (per seed and size; shared by all months)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Roster:
    names: np.ndarray  # core names (branches - 1), then the newcomer pool (NEWCOMER_POOL)
    regions: np.ndarray
    weight: np.ndarray  # relative ticket volume
    quality: np.ndarray  # 0 (worst) .. 1 (best)
    contract: np.ndarray  # datetime64[D] contract start of the core branches
    staff: tuple[np.ndarray, ...]  # staff names per branch (core + pool)
    weak: int  # index of the clearly weakest core branch


@lru_cache(maxsize=8)
def _roster(seed: int, branches: int) -> _Roster:
    rng = _rng(seed, None, f"roster-{branches}")
    pairs = [(city, district) for city, districts in _CITIES.items() for district in districts]
    total = branches - 1 + NEWCOMER_POOL
    combos = rng.permutation(len(pairs) * len(_ORDINALS))[:total]
    suffix = rng.integers(0, len(_SUFFIXES), total)
    names = np.array(
        [
            f"{pairs[c // len(_ORDINALS)][0]}{pairs[c // len(_ORDINALS)][1]}（{_ORDINALS[c % len(_ORDINALS)]}）{_SUFFIXES[s]}"
            for c, s in zip(combos, suffix)
        ],
        dtype=object,
    )
    regions = np.array([pairs[c // len(_ORDINALS)][0] for c in combos], dtype=object)
    weight = rng.lognormal(0.0, 0.45, total)
    quality = rng.beta(3.0, 1.3, total)
    core = branches - 1
    weak = int(rng.integers(0, core))
    # A few clearly bad branches besides the weakest, so the bottom of the ranking is not one name.
    others = np.setdiff1d(np.arange(core), [weak])
    bad = rng.choice(others, size=min(len(others), max(1, core // 13)), replace=False)
    quality[bad] = rng.uniform(0.45, 0.6, len(bad))
    quality[weak] = WEAK_QUALITY
    weight[weak] = max(weight[weak], 1.4)  # big enough that its rates are not small-sample noise
    contract = np.datetime64("2018-01-01", "D") + rng.integers(0, 8 * 365, total).astype(
        "timedelta64[D]"
    )
    staff_count = np.clip(np.round(3 + weight * 2.5), 3, 8).astype(int)
    staff = []
    for count in staff_count:  # per branch (<= 1000), not per row
        surname = rng.integers(0, len(_SURNAMES), count)
        given = rng.integers(0, len(_GIVEN), (count, 2))
        two = rng.random(count) < 0.6
        staff.append(
            np.array(
                [
                    _SURNAMES[s] + _GIVEN[g[0]] + (_GIVEN[g[1]] if t else "")
                    for s, g, t in zip(surname, given, two)
                ],
                dtype=object,
            )
        )
    return _Roster(names, regions, weight, quality, contract, tuple(staff), weak)


# ---------------------------------------------------------------------------------------------
# Month plan: who is in the month, how good they are this month, how many tickets each gets
# ---------------------------------------------------------------------------------------------

# Planned ticket-sheet defects, interleaved so they spread over the sheet.
_TICKET_EXTRAS = (
    "prev_month",
    "bad_date",
    "before",
    "duplicate",
    "unknown_type",
    "prev_month",
    "bad_date",
    "before",
    "duplicate",
    "unknown_type",
    "prev_month",
)


@dataclass(frozen=True)
class _Plan:
    seed: int
    month: Month
    tickets: int
    roster: _Roster
    index: np.ndarray  # roster index of each month branch (core..., newcomer)
    names: np.ndarray
    quality: np.ndarray
    start_day: np.ndarray  # first day (0-based) a branch takes tickets: the newcomer's signing day
    counts: np.ndarray  # regular tickets per branch
    reworks: np.ndarray  # of which reworks
    days: int

    @property
    def newcomer(self) -> int:
        return len(self.index) - 1


@lru_cache(maxsize=8)
def _plan(seed: int, month: Month, branches: int, tickets: int) -> _Plan:
    roster = _roster(seed, branches)
    rng = _rng(seed, month, "plan")
    core = branches - 1
    newcomer = core + _ordinal(month) % NEWCOMER_POOL
    index = np.append(np.arange(core), newcomer)
    days = month.last_day.day
    quality = np.clip(roster.quality[index] + rng.normal(0.0, 0.04, branches), 0.0, 1.0)
    quality[roster.weak] = WEAK_QUALITY  # no monthly luck for the weakest: it stays last
    quality[-1] = max(quality[-1], 0.45)  # a newcomer on probation is not a disaster
    start_day = np.zeros(branches, dtype=np.int64)
    start_day[-1] = int(rng.integers(3, 13))  # signed between the 4th and the 13th
    active = (days - start_day) / days
    share = roster.weight[index] * active
    regular = tickets - len(_TICKET_EXTRAS)
    counts = rng.multinomial(regular - 3 * branches, share / share.sum()) + 3
    rework_rate = 0.025 + 0.06 * (1.0 - quality) ** 1.3
    reworks = rng.binomial(counts, rework_rate)
    return _Plan(
        seed,
        month,
        tickets,
        roster,
        index,
        roster.names[index],
        quality,
        start_day,
        counts,
        reworks,
        days,
    )


# ---------------------------------------------------------------------------------------------
# Tickets
# ---------------------------------------------------------------------------------------------


def _ticket_attrs(
    plan: _Plan, rng: np.random.Generator, branch: np.ndarray
) -> dict[str, np.ndarray]:
    """Type, acceptance, cycle, completion, open flag and rating for tickets of ``branch``."""
    n = len(branch)
    q = plan.quality[branch]
    month_start = _minutes(plan.month.start)
    type_idx = np.minimum((rng.random(n)[:, None] > np.cumsum(_TYPE_SHARE)[None, :]).sum(axis=1), 2)
    start = plan.start_day[branch]
    day = start + np.floor(rng.random(n) * (plan.days - start)).astype(np.int64)
    hour = rng.choice(np.arange(8, 21), n, p=_HOUR_WEIGHTS)
    accepted = month_start + day * 1440 + hour * 60 + rng.integers(0, 60, n)
    # Mean cycle days per type (before the slow tail): best branches ~3.0 / 4.0 / 4.1 days,
    # the weakest (quality 0.3) ~4.9 / 5.3 / 5.4; the tail adds up to half a day more.
    slack = 1.0 - q
    mean = np.choose(type_idx, [3.0 + 2.7 * slack, 4.0 + 1.9 * slack, 4.1 + 1.8 * slack])
    cycle = rng.gamma(4.0, mean / 4.0)
    tail = (
        rng.random(n) < 0.008 + 0.05 * slack**1.5
    )  # the slow tail: parts on back-order, lost devices
    cycle = np.where(tail, rng.uniform(10.5, 24.0, n), cycle)
    cycle_min = np.maximum(45, np.round(cycle * 1440)).astype(np.int64)
    completed = accepted + cycle_min
    # Devices are handed back in opening hours: squeeze the time of day into 09:00-20:00,
    # keeping the original time when squeezing would put completion before acceptance.
    day_start = completed - completed % 1440
    squeezed = day_start + 9 * 60 + (completed % 1440) * 11 // 24
    completed = np.where(squeezed > accepted + 30, squeezed, completed)
    cutoff = _minutes(plan.month.end) + EXPORT_LAG_DAYS * 1440
    stuck = tail & (rng.random(n) < 0.3)  # some slow tickets are still open when exported
    is_open = (completed > cutoff) | stuck
    rating = np.clip(np.round(rng.normal(3.7 + 1.2 * q, 0.75)), 1, 5)
    rating = np.where(is_open | (rng.random(n) < 0.2), np.nan, rating)
    return {
        "type": type_idx,
        "accepted": accepted,
        "completed": completed,
        "open": is_open,
        "rating": rating,
    }


_HOUR_WEIGHTS = np.array([3, 8, 10, 10, 7, 7, 9, 10, 9, 8, 7, 6, 4], dtype=float)
_HOUR_WEIGHTS /= _HOUR_WEIGHTS.sum()


@dataclass(frozen=True)
class _Fresh:
    """Tickets on devices never seen before; the only rows later months draw reworks from."""

    branch: np.ndarray  # month-branch index
    attrs: dict[str, np.ndarray]
    device: np.ndarray  # int64 device numbers (see ``_imei``)


@lru_cache(maxsize=8)
def _fresh(seed: int, month: Month, branches: int, tickets: int) -> _Fresh:
    plan = _plan(seed, month, branches, tickets)
    branch = np.repeat(np.arange(branches), plan.counts - plan.reworks)
    attrs = _ticket_attrs(plan, _rng(seed, month, "fresh"), branch)
    device = _device_numbers(seed, month, np.arange(len(branch), dtype=np.int64))
    return _Fresh(branch, attrs, device)


def _device_numbers(seed: int, month: Month, serial: np.ndarray) -> np.ndarray:
    """14-digit IMEI bodies: "86", a month code, then a scrambled serial; unique per (month, serial).

    Multiplying by a number coprime to 10 modulo 10**10 is a bijection, so serials never collide
    inside a month, and the month code keeps months apart (for 100 months).
    """
    scrambled = (serial * 3_456_789_013 + seed * 7_919 + 1_234_567) % 10**10
    return 86 * 10**12 + (_ordinal(month) % 100) * 10**10 + scrambled


def _imei(body: np.ndarray) -> np.ndarray:
    """Append the Luhn check digit to 14-digit bodies (vectorised); returns 15-digit strings."""
    digits = np.stack([(body // 10**k) % 10 for k in range(14)], axis=1)  # least significant first
    doubled = digits[:, 0::2] * 2  # rightmost body digit is doubled (the check digit goes after it)
    total = (doubled // 10 + doubled % 10).sum(axis=1) + digits[:, 1::2].sum(axis=1)
    check = (10 - total % 10) % 10
    return (body * 10 + check).astype(str).astype(object)


def _rework_sources(plan: _Plan, branches: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(branch, completed minute, device) of completed fresh tickets of this and the two prior months.

    Only tickets the earlier workbooks show as completed qualify. The newcomer's slot belongs to
    a different branch in each month, so earlier months' newcomer tickets are left out.
    """
    parts = []
    for back, month in enumerate((plan.month, plan.month.prev(), plan.month.prev().prev())):
        fresh = _fresh(plan.seed, month, branches, plan.tickets)
        keep = ~fresh.attrs["open"]
        if back:
            keep &= fresh.branch != branches - 1
        parts.append((fresh.branch[keep], fresh.attrs["completed"][keep], fresh.device[keep]))
    branch = np.concatenate([p[0] for p in parts])
    completed = np.concatenate([p[1] for p in parts])
    device = np.concatenate([p[2] for p in parts])
    order = np.lexsort((completed, branch))
    return branch[order], completed[order], device[order]


def _tickets(plan: _Plan) -> tuple[pd.DataFrame, list[PlannedDefect]]:
    seed, month, branches = plan.seed, plan.month, len(plan.index)
    fresh = _fresh(seed, month, branches, plan.tickets)
    rng = _rng(seed, month, "rework")
    rw_branch = np.repeat(np.arange(branches), plan.reworks)
    rw = _ticket_attrs(plan, rng, rw_branch)
    # Reworks come back as in-warranty repairs, sometimes as exchanges after repeated failure.
    rw["type"] = np.where(rng.random(len(rw_branch)) < 0.8, 1, 0)
    src_branch, src_completed, src_device = _rework_sources(plan, branches)
    key = src_branch * (1 << 40) + src_completed
    lo = np.searchsorted(
        key, rw_branch * (1 << 40) + rw["accepted"] - REWORK_WINDOW_DAYS * 1440, "left"
    )
    hi = np.searchsorted(key, rw_branch * (1 << 40) + rw["accepted"] - 1440, "right")
    has_source = hi > lo
    pick = lo + np.floor(rng.random(len(rw_branch)) * np.maximum(hi - lo, 1)).astype(np.int64)
    pick = np.minimum(pick, len(key) - 1)
    # A rework without any earlier device at its branch (e.g. the newcomer early on) becomes an
    # ordinary ticket on a new device from a serial range fresh tickets never reach.
    spare = _device_numbers(seed, month, 5 * 10**9 + np.arange(len(rw_branch), dtype=np.int64))
    rw_device = np.where(has_source, src_device[pick] if len(key) else spare, spare)

    branch = np.concatenate([fresh.branch, rw_branch])
    attrs = {k: np.concatenate([fresh.attrs[k], rw[k]]) for k in fresh.attrs}
    device = np.concatenate([fresh.device, rw_device])
    is_rework = np.concatenate([np.zeros(len(fresh.branch), bool), has_source])
    # Exports list tickets in acceptance order.
    order = np.argsort(attrs["accepted"], kind="stable")
    branch, device, is_rework = branch[order], device[order], is_rework[order]
    attrs = {k: v[order] for k, v in attrs.items()}

    total = plan.tickets
    positions = np.array(
        [(i + 1) * total // (len(_TICKET_EXTRAS) + 1) for i in range(len(_TICKET_EXTRAS))]
    )
    regular_pos = np.setdiff1d(np.arange(total), positions)
    xrng = _rng(seed, month, "extras")

    def full(regular: np.ndarray, fill: object) -> np.ndarray:
        """Spread the regular rows over the sheet, leaving the planned rows to be filled below."""
        out = np.full(total, fill, dtype=regular.dtype)
        out[regular_pos] = regular
        return out

    f_branch = full(branch, 0)
    f_type = full(attrs["type"], 1)
    f_accepted = full(attrs["accepted"], 0)
    f_completed = full(attrs["completed"], 0)
    f_open = full(attrs["open"], False)
    f_rating = full(attrs["rating"], np.nan)
    f_device = full(device, 0)
    f_rework = full(is_rework, False)
    type_text = np.array(["换机", "保修", "非保修"], dtype=object)[f_type]
    type_text[(f_type == 2) & (xrng.random(total) < 0.15)] = "保外"
    seq = np.arange(1, total + 1)
    ticket_id = np.char.add(
        f"WX{month.year:04d}{month.month:02d}", np.char.zfill(seq.astype(str), 7)
    ).astype(object)
    acc_kind = xrng.choice(
        [K_DATETIME, K_STR + 10, K_STR + 20, K_STR + 30, K_SERIAL],
        total,
        p=[0.87, 0.05, 0.04, 0.02, 0.02],
    )
    com_kind = xrng.choice(
        [K_DATETIME, K_STR + 10, K_STR + 20, K_SERIAL], total, p=[0.90, 0.05, 0.04, 0.01]
    )
    bad_accepted: dict[int, str] = {}
    prev = month.prev()
    spare = _device_numbers(seed, month, 6 * 10**9 + np.arange(len(positions), dtype=np.int64))
    defects: list[PlannedDefect] = []
    core = branches - 1
    month_start = _minutes(month.start)
    bad_date_texts = iter((f"{month.year}-{month.month:02d}-32 09:15", "待补录"))
    unknown_types = iter(("咨询", "检测"))
    for k, (kind, pos) in enumerate(
        zip(_TICKET_EXTRAS, positions)
    ):  # 11 planned rows, not per-row work
        pos = int(pos)
        row = pos + TICKET_HEADER_ROW + 1
        f_branch[pos] = int(xrng.integers(0, core))
        f_device[pos] = spare[k]
        f_rework[pos] = False
        f_type[pos] = 1
        type_text[pos] = "保修"
        acc_kind[pos] = K_DATETIME
        com_kind[pos] = K_DATETIME
        f_open[pos] = False
        f_rating[pos] = float(xrng.integers(3, 6))
        day = int(xrng.integers(3, plan.days - 3))  # far enough from both month ends
        f_accepted[pos] = month_start + day * 1440 + int(xrng.integers(9 * 60, 18 * 60))
        f_completed[pos] = f_accepted[pos] + int(xrng.integers(1440, 4 * 1440))
        if kind == "prev_month":
            # Accepted on the previous month's last day: belongs to that month, excluded here.
            f_accepted[pos] = month_start - 1440 + int(xrng.integers(10 * 60, 20 * 60))
            f_completed[pos] = f_accepted[pos] + int(xrng.integers(1440, 3 * 1440))
            ticket_id[pos] = f"WX{prev.year:04d}{prev.month:02d}{9_000_000 + k:07d}"
            defects.append(
                PlannedDefect("工单", row, "受理时间", _fmt_iso(f_accepted[pos]), "outside-month")
            )
        elif kind == "bad_date":
            text = next(bad_date_texts)
            bad_accepted[pos] = text
            defects.append(PlannedDefect("工单", row, "受理时间", text, "bad-date"))
        elif kind == "before":
            f_completed[pos] = f_accepted[pos] - (2 * 1440 + 3 * 60)
            defects.append(
                PlannedDefect(
                    "工单", row, "完成时间", _fmt_iso(f_completed[pos]), "completed-before-accepted"
                )
            )
        elif kind == "duplicate":
            # The export repeated a row a few lines further down: the same ticket twice.
            src = pos - 5
            for arr in (
                f_branch,
                f_type,
                f_accepted,
                f_completed,
                f_open,
                f_rating,
                f_device,
                f_rework,
                type_text,
                acc_kind,
                com_kind,
            ):
                arr[pos] = arr[src]
            ticket_id[pos] = ticket_id[src]
            defects.append(
                PlannedDefect("工单", row, "工单号", str(ticket_id[pos]), "duplicate-id")
            )
        elif kind == "unknown_type":
            type_text[pos] = next(unknown_types)
            defects.append(
                PlannedDefect("工单", row, "服务类型", str(type_text[pos]), "unknown-service-type")
            )

    rng_names = _rng(seed, month, "spelling")
    written = _spellings(plan.names, f_branch, rng_names)
    accepted_ts = (f_accepted.astype("timedelta64[m]") + _EPOCH_MIN).astype("datetime64[ns]")
    completed_ts = np.where(
        f_open,
        np.datetime64("NaT", "ns"),
        (f_completed.astype("timedelta64[m]") + _EPOCH_MIN).astype("datetime64[ns]"),
    )
    bad_mask = np.zeros(total, bool)
    bad_mask[list(bad_accepted)] = True
    accepted_ts[bad_mask] = np.datetime64("NaT", "ns")
    frame = pd.DataFrame(
        {
            "ticket_id": ticket_id,
            "branch": plan.names[f_branch],
            "branch_written": written,
            "service_type": np.where(
                np.isin(type_text, ["咨询", "检测"]), None, _TYPE_CODES[f_type]
            ),
            "service_type_written": type_text,
            "accepted_at": accepted_ts,
            "completed_at": completed_ts,
            "device_id": _imei(f_device),
            "is_rework": f_rework,
            "rating": f_rating,
            "_row": np.arange(total) + TICKET_HEADER_ROW + 1,
            "_accepted_kind": acc_kind,
            "_completed_kind": np.where(f_open, K_BLANK, com_kind),
        }
    )
    frame.attrs["bad_accepted"] = bad_accepted
    return frame, defects


def _spellings(names: np.ndarray, branch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """How each row spells its branch: mostly the roster's, sometimes half-width or padded."""
    variants = np.stack(
        [
            names,
            np.array([n.replace("（", "(").replace("）", ")") for n in names], dtype=object),
            np.array([n.replace("（", "(").replace("）", ")") + " " for n in names], dtype=object),
            np.array([" " + n for n in names], dtype=object),
            np.array([n.replace("（", "\u3000（", 1) for n in names], dtype=object),
        ],
        axis=1,
    )
    pick = rng.choice(5, len(branch), p=[0.93, 0.03, 0.02, 0.01, 0.01])
    return variants[branch, pick]


# ---------------------------------------------------------------------------------------------
# The other tables (sizes scale with branches, not tickets; small per-branch loops are fine)
# ---------------------------------------------------------------------------------------------


def _complaints(plan: _Plan, tickets: pd.DataFrame, rate: float) -> pd.DataFrame:
    rng = _rng(plan.seed, plan.month, "complaints")
    q = plan.quality
    factor = 0.6 + 1.0 * (1.0 - q)
    factor = factor / np.average(factor, weights=plan.counts)
    expected = plan.counts * rate * factor
    count = rng.poisson(expected)
    # The weakest branch gets a fixed count (valid ones ~3.8 % of its tickets), not a Poisson
    # draw: with ~30 complaints the draw alone moves its complaint KPI by 10 points, and it must
    # stay last every month.
    weak = plan.roster.weak
    count[weak] = round(plan.counts[weak] * 0.038 / (0.55 + 0.2 * (1.0 - q[weak])))
    branch = np.repeat(np.arange(len(q)), count)
    n = len(branch)
    # Received some time in the branch's active period (the newcomer joins mid-month), 08:00-21:00.
    day = plan.start_day[branch] + np.floor(
        rng.random(n) * (plan.days - plan.start_day[branch])
    ).astype(np.int64)
    received = _minutes(plan.month.start) + day * 1440 + rng.integers(8 * 60, 21 * 60, n)
    valid_share = 0.55 + 0.2 * (1.0 - q[branch])
    valid = rng.random(n) < valid_share
    weak_rows = np.flatnonzero(branch == plan.roster.weak)
    valid[weak_rows] = np.arange(len(weak_rows)) < round(
        len(weak_rows) * (0.55 + 0.2 * (1.0 - q[plan.roster.weak]))
    )
    cat_weights = np.ones((len(q), len(_COMPLAINT_CATEGORIES)))
    cat_weights[:, [0, 2, 10]] += (
        3.0 * (1.0 - q)[:, None]
    )  # weak branches: quality, delays, repeats
    cat_weights /= cat_weights.sum(axis=1, keepdims=True)
    cat = (rng.random(n)[:, None] > np.cumsum(cat_weights[branch], axis=1)).sum(axis=1)
    cat = np.minimum(cat, len(_COMPLAINT_CATEGORIES) - 1)
    labels = np.array([c for c, _ in _COMPLAINT_CATEGORIES], dtype=object)
    texts = np.array([t for _, ts in _COMPLAINT_CATEGORIES for t in ts], dtype=object).reshape(
        len(labels), 3
    )
    desc = texts[cat, rng.integers(0, 3, n)]
    ask = np.array(["", "，要求尽快处理", "，要求退款", "，要求给个说法"], dtype=object)
    desc = desc + ask[rng.choice(4, n, p=[0.55, 0.25, 0.1, 0.1])]
    order = np.argsort(received, kind="stable")
    branch, received, valid, cat, desc = (
        branch[order],
        received[order],
        valid[order],
        cat[order],
        desc[order],
    )
    ids = np.char.add(
        f"TS{plan.month.year:04d}{plan.month.month:02d}",
        np.char.zfill(np.arange(1, n + 1).astype(str), 5),
    ).astype(object)
    return pd.DataFrame(
        {
            "complaint_id": ids,
            "branch": plan.names[branch],
            "branch_written": _spellings(plan.names, branch, rng),
            "received_at": (received.astype("timedelta64[m]") + _EPOCH_MIN).astype(
                "datetime64[ns]"
            ),
            "is_valid": valid,
            "category": labels[cat],
            "description": desc,
            "_row": np.arange(n) + COMPLAINT_HEADER_ROW + 1,
            "_received_kind": rng.choice(
                [K_DATETIME, K_STR + 10, K_STR + 20], n, p=[0.92, 0.04, 0.04]
            ),
        }
    )


def _attendance(plan: _Plan) -> tuple[pd.DataFrame, list[PlannedDefect]]:
    rng = _rng(plan.seed, plan.month, "attendance")
    roster = plan.roster
    frames = []
    for b, r in enumerate(plan.index):  # per branch
        staff = roster.staff[r]
        first = int(plan.start_day[b])
        checks = int(rng.integers(2, 5))
        days = np.sort(
            rng.choice(
                np.arange(first, plan.days), size=min(checks, plan.days - first), replace=False
            )
        )
        day = np.repeat(days, len(staff))
        name = np.tile(staff, len(days))
        slack = (1.0 - plan.quality[b]) ** 2
        status = np.zeros(len(day), dtype=np.int64)
        lam = np.array([0.05 + 1.2 * slack, 0.1 + 0.8 * slack, 0.05 + 0.4 * slack])
        counts = rng.poisson(lam)
        if r == roster.weak:
            counts = np.maximum(counts, [2, 2, 0])  # the weakest branch is visibly understaffed
        slots = rng.permutation(len(day))
        cursor = 0
        for code, c in enumerate(counts, start=1):
            c = int(min(c, len(day) - cursor))
            status[slots[cursor : cursor + c]] = code
            cursor += c
        frames.append(pd.DataFrame({"day": day, "b": b, "staff": name, "status": status}))
    att = (
        pd.concat(frames, ignore_index=True)
        .sort_values(["day", "b"], kind="stable")
        .reset_index(drop=True)
    )
    n = len(att)
    dates = (
        np.datetime64(plan.month.first_day, "D") + att["day"].to_numpy().astype("timedelta64[D]")
    ).astype("datetime64[ns]")
    status_text = _STATUS_TEXT[att["status"].to_numpy()].copy()
    status_code = _STATUS_CODES[att["status"].to_numpy()].copy()
    defects = []
    for pos, text in (
        (n // 3, "请假"),
        ((2 * n) // 3, "外出"),
    ):  # statuses the schema does not know
        status_text[pos] = text
        status_code[pos] = None
        defects.append(PlannedDefect("出勤", pos + 2, "出勤状态", text, "unknown-status"))
    row_branch = att["b"].to_numpy()
    return (
        pd.DataFrame(
            {
                "date": dates,
                "branch": plan.names[row_branch],
                "branch_written": _spellings(plan.names, row_branch, rng),
                "staff": att["staff"].to_numpy(),
                "status": status_code,
                "status_written": status_text,
                "_row": np.arange(n) + 2,
                "_date_kind": rng.choice([K_DATE, K_STR + 40, K_STR + 30], n, p=[0.92, 0.05, 0.03]),
            }
        ),
        defects,
    )


def _discipline(plan: _Plan) -> pd.DataFrame:
    rng = _rng(plan.seed, plan.month, "discipline")
    slack = (1.0 - plan.quality) ** 2
    count = rng.poisson(0.04 + 1.2 * slack)
    count[plan.roster.weak] = max(count[plan.roster.weak], 3)
    b = np.repeat(np.arange(len(count)), count)
    n = len(b)
    day = plan.start_day[b] + np.floor(rng.random(n) * (plan.days - plan.start_day[b])).astype(
        np.int64
    )
    order = np.lexsort((b, day))
    b, day = b[order], day[order]
    return pd.DataFrame(
        {
            "date": (
                np.datetime64(plan.month.first_day, "D") + day.astype("timedelta64[D]")
            ).astype("datetime64[ns]"),
            "branch": plan.names[b],
            "branch_written": plan.names[b],
            "violation": np.array(_VIOLATIONS, dtype=object)[rng.integers(0, len(_VIOLATIONS), n)],
            "points": rng.choice([1.0, 2.0, 0.5], n, p=[0.7, 0.15, 0.15]),
            "_row": np.arange(n) + 2,
        }
    )


def _cooperation(plan: _Plan) -> pd.DataFrame:
    rng = _rng(plan.seed, plan.month, "cooperation")
    q = plan.quality
    raters = rng.integers(1, 4, len(q))
    b = np.repeat(np.arange(len(q)), raters)
    rating = np.clip(np.round((5.0 + 4.4 * q[b] + rng.normal(0, 0.5, len(b))) * 2) / 2, 0, 10)
    # Each branch's raters are distinct people from the operator's staff.
    rater_idx = np.concatenate([rng.choice(len(_RATERS), k, replace=False) for k in raters])
    return pd.DataFrame(
        {
            "branch": plan.names[b],
            "branch_written": plan.names[b],
            "rating": rating,
            "rater": np.array(_RATERS, dtype=object)[rater_idx],
            "_row": np.arange(len(b)) + 2,
        }
    )


def _incentives(plan: _Plan) -> pd.DataFrame:
    rng = _rng(plan.seed, plan.month, "incentives")
    q = plan.quality
    pos = rng.random(len(q)) < 0.05 + 0.25 * q
    neg = rng.random(len(q)) < 0.05 + 0.6 * (1.0 - q) ** 2
    b = np.concatenate([np.flatnonzero(pos), np.flatnonzero(neg)])
    sign = np.concatenate([np.ones(pos.sum()), -np.ones(neg.sum())])
    points = np.where(
        sign > 0, rng.choice([1.0, 2.0], len(b)), rng.choice([-1.0, -2.0, -3.0], len(b))
    )
    reason = np.where(
        sign > 0,
        np.array(_INCENTIVES_POS, dtype=object)[rng.integers(0, len(_INCENTIVES_POS), len(b))],
        np.array(_INCENTIVES_NEG, dtype=object)[rng.integers(0, len(_INCENTIVES_NEG), len(b))],
    )
    day = plan.start_day[b] + np.floor(rng.random(len(b)) * (plan.days - plan.start_day[b])).astype(
        np.int64
    )
    order = np.lexsort((b, day))
    b, day, points, reason = b[order], day[order], points[order], reason[order]
    return pd.DataFrame(
        {
            "date": (
                np.datetime64(plan.month.first_day, "D") + day.astype("timedelta64[D]")
            ).astype("datetime64[ns]"),
            "branch": plan.names[b],
            "branch_written": plan.names[b],
            "points": points,
            "reason": reason,
            "_row": np.arange(len(b)) + 2,
        }
    )


def _branches(plan: _Plan) -> pd.DataFrame:
    roster = plan.roster
    weight = roster.weight[plan.index]
    rank = np.argsort(np.argsort(-weight, kind="stable"), kind="stable") / len(weight)
    echelon = np.where(rank < 0.25, "一梯队", np.where(rank < 0.7, "二梯队", "三梯队")).astype(
        object
    )
    # Core branches signed years ago (never after the month before last); the newcomer this month.
    latest = np.datetime64(plan.month.first_day, "D") - np.timedelta64(400, "D")
    contract = np.minimum(roster.contract[plan.index], latest)
    contract[-1] = np.datetime64(plan.month.first_day, "D") + np.timedelta64(
        int(plan.start_day[-1]), "D"
    )
    echelon[-1] = "三梯队"
    return pd.DataFrame(
        {
            "branch": plan.names,
            "branch_written": plan.names,
            "region": roster.regions[plan.index],
            "echelon": echelon,
            "contract_start": contract.astype("datetime64[ns]"),
            "_row": np.arange(len(plan.names)) + 2,
        }
    )


# ---------------------------------------------------------------------------------------------
# Text forms of dates (vectorised)
# ---------------------------------------------------------------------------------------------


def _fmt_iso(minute: int) -> str:
    """``2026-10-03 14:22`` for a minute count since the Unix epoch."""
    return str(np.datetime64(int(minute), "m")).replace("T", " ")


def _date_texts(ts: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Cell values for a datetime column: Excel serials (numbers) or text in the kind's form.

    K_STR+10: ``2026-10-03 14:22``; K_STR+20: ``2026/10/3 9:05``; K_STR+30: ``2026年10月3日``;
    K_STR+40: ``2026/10/3``. Datetime/date/serial kinds get the serial number.
    """
    s = pd.Series(ts)
    serial = ((ts.astype("datetime64[m]") - _EXCEL_EPOCH_DAYS) / np.timedelta64(1, "D")).astype(
        float
    )
    out = serial.astype(object)
    for code, render in (
        (K_STR + 10, lambda x: x.dt.strftime("%Y-%m-%d %H:%M")),
        (
            K_STR + 20,
            lambda x: (
                x.dt.year.astype(str)
                + "/"
                + x.dt.month.astype(str)
                + "/"
                + x.dt.day.astype(str)
                + " "
                + x.dt.hour.astype(str)
                + ":"
                + x.dt.minute.astype(str).str.zfill(2)
            ),
        ),
        (
            K_STR + 30,
            lambda x: (
                x.dt.year.astype(str)
                + "年"
                + x.dt.month.astype(str)
                + "月"
                + x.dt.day.astype(str)
                + "日"
            ),
        ),
        (
            K_STR + 40,
            lambda x: (
                x.dt.year.astype(str) + "/" + x.dt.month.astype(str) + "/" + x.dt.day.astype(str)
            ),
        ),
    ):
        mask = (kind == code) & ~pd.isna(ts)
        if mask.any():
            out[mask] = render(s[mask]).to_numpy(dtype=object)
    return out


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Col:
    header: str
    values: Sequence[object]
    kinds: np.ndarray | int  # one kind for the column, or one per row
    width: float = 12


def _written_kind(kind: np.ndarray, date_kind: int) -> np.ndarray:
    """Map generator kinds (K_STR + form code) onto writer kinds."""
    out = np.where(kind >= K_STR + 10, K_STR, kind)
    return np.where(out == K_DATETIME, date_kind, out)


def _sheet_columns(sample: SampleMonth, table: str, rework_flag: bool) -> list[_Col]:
    df = sample.tables[table]
    n = len(df)
    headers = dict(HEADERS[table])
    if table == "tickets":
        acc_kind = df["_accepted_kind"].to_numpy()
        acc = _date_texts(df["accepted_at"].to_numpy(), acc_kind)
        acc_w = _written_kind(acc_kind, K_DATETIME)
        for pos, text in df.attrs["bad_accepted"].items():
            acc[pos] = text
            acc_w[pos] = K_STR
        com_kind = df["_completed_kind"].to_numpy()
        com = _date_texts(df["completed_at"].to_numpy(), com_kind)
        rating = df["rating"].to_numpy()
        cols = [
            _Col(headers["ticket_id"], df["ticket_id"].tolist(), K_STR, 17),
            _Col(headers["branch"], df["branch_written"].tolist(), K_STR, 26),
            _Col(headers["service_type"], df["service_type_written"].tolist(), K_STR, 9),
            _Col(headers["accepted_at"], acc.tolist(), acc_w, 17),
            _Col(headers["completed_at"], com.tolist(), _written_kind(com_kind, K_DATETIME), 17),
            _Col(headers["device_id"], df["device_id"].tolist(), K_STR, 17),
        ]
        if rework_flag:
            cols.append(
                _Col(headers["is_rework"], np.where(df["is_rework"], "是", "否").tolist(), K_STR, 9)
            )
        cols.append(
            _Col(headers["rating"], rating.tolist(), np.where(np.isnan(rating), K_BLANK, K_NUM), 9)
        )
        return cols
    if table == "complaints":
        kind = df["_received_kind"].to_numpy()
        return [
            _Col(headers["complaint_id"], df["complaint_id"].tolist(), K_STR, 14),
            _Col(headers["branch"], df["branch_written"].tolist(), K_STR, 26),
            _Col(
                headers["received_at"],
                _date_texts(df["received_at"].to_numpy(), kind).tolist(),
                _written_kind(kind, K_DATETIME),
                17,
            ),
            _Col(headers["is_valid"], np.where(df["is_valid"], "是", "否").tolist(), K_STR, 9),
            _Col(headers["category"], df["category"].tolist(), K_STR, 12),
            _Col(headers["description"], df["description"].tolist(), K_STR, 34),
        ]
    if table == "attendance":
        kind = df["_date_kind"].to_numpy()
        return [
            _Col(
                headers["date"],
                _date_texts(df["date"].to_numpy(), kind).tolist(),
                _written_kind(kind, K_DATE),
                12,
            ),
            _Col(headers["branch"], df["branch_written"].tolist(), K_STR, 26),
            _Col(headers["staff"], df["staff"].tolist(), K_STR, 10),
            _Col(headers["status"], df["status_written"].tolist(), K_STR, 10),
        ]
    cols = []
    for name, header in HEADERS[table]:
        values = df[name].to_numpy()
        if name in ("date", "contract_start"):
            cols.append(_Col(header, _date_texts(values, np.full(n, K_DATE)).tolist(), K_DATE, 12))
        elif name == "branch":
            cols.append(_Col(header, df["branch_written"].tolist(), K_STR, 26))
        elif values.dtype.kind == "f":
            cols.append(_Col(header, values.tolist(), K_NUM, 8))
        else:
            cols.append(
                _Col(
                    header,
                    values.tolist(),
                    K_STR,
                    18 if name in ("violation", "reason", "rater") else 10,
                )
            )
    return cols


def _write_workbook(path: Path, sample: SampleMonth, *, rework_flag: bool) -> None:
    month = sample.month
    created = datetime(month.year, month.month, 1) + timedelta(
        days=month.last_day.day + EXPORT_LAG_DAYS, hours=8
    )
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    # A fixed creation time makes the file byte-for-byte reproducible.
    workbook.set_properties(
        {
            "title": f"{month.year}年{month.month}月服务质量数据(样例)",
            "author": "svcqa sample",
            "created": created,
        }
    )
    formats = {
        K_DATETIME: workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        K_DATE: workbook.add_format({"num_format": "yyyy-mm-dd"}),
    }
    title_format = workbook.add_format({"bold": True, "font_size": 14, "align": "center"})
    header_format = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    titles = {"tickets": "工单明细", "complaints": "投诉明细"}
    for table, sheet in SHEETS.items():
        cols = _sheet_columns(sample, table, rework_flag)
        ws = workbook.add_worksheet(sheet)
        for c, col in enumerate(cols):
            ws.set_column(c, c, col.width)
        row = 0
        if table in titles:
            ws.merge_range(
                0,
                0,
                0,
                len(cols) - 1,
                f"{month.year}年{month.month}月{titles[table]}",
                title_format,
            )
            row = TICKET_HEADER_ROW - 1 if table == "tickets" else COMPLAINT_HEADER_ROW - 1
        for c, col in enumerate(cols):
            ws.write_string(row, c, col.header, header_format)
        ws.freeze_panes(row + 1, 0)
        _write_rows(ws, row + 1, cols, formats)
    workbook.close()


def _write_rows(
    ws: xlsxwriter.worksheet.Worksheet, first: int, cols: list[_Col], formats: dict[int, object]
) -> None:
    """Stream the rows in order (constant_memory needs row order). The one per-cell loop."""
    if not cols or not len(cols[0].values):
        return
    write_string, write_number = ws.write_string, ws.write_number
    plans = []
    for c, col in enumerate(cols):
        if isinstance(col.kinds, int):
            plans.append((c, col.values, col.kinds, None))
        else:
            plans.append((c, col.values, -1, col.kinds.tolist()))
    n = len(cols[0].values)
    for i in range(n):
        r = first + i
        for c, values, uniform, kinds in plans:
            kind = uniform if kinds is None else kinds[i]
            if kind == K_STR:
                write_string(r, c, values[i])
            elif kind == K_NUM or kind == K_SERIAL:
                write_number(r, c, values[i])
            elif kind == K_DATETIME or kind == K_DATE:
                write_number(r, c, values[i], formats[kind])
            # K_BLANK: nothing written
