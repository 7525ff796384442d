"""Canonical tables and columns, their types and their default aliases (SPEC section 4).

This is the one place that says what a "tickets" table is. Ingest maps whatever headers an
export carries onto these names; scoring, history and rendering only ever see these names.
A rubric may add aliases or declare extra columns (see ``svcqa.rubric``); it never edits this.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Column types. Ingest parses each into one pandas dtype:
#   text     -> object (str, stripped; None when blank)
#   id       -> object (str; numbers written as integers: 1001.0 -> "1001"; leading zeros kept)
#   branch   -> object (display text) plus a "branch_key" column (NFKC, whitespace removed)
#   datetime -> datetime64[ns]  (Excel dates, serials, ISO / Chinese / slash text)
#   date     -> datetime64[ns]  (normalised to midnight)
#   number   -> float64         (full-width digits, thousands separators, "12.5%" -> 0.125)
#   flag     -> boolean (pandas nullable)  (是/否, Y/N, yes/no, 1/0, true/false, 有效/无效)
#   duration -> float64 in days (timedelta cells, "1:30:00", "2天3小时", plain numbers = days)
#   enum     -> object, one of the column's ``values`` (canonical English codes)
COLUMN_TYPES = ("text", "id", "branch", "datetime", "date", "number", "flag", "duration", "enum")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    aliases: tuple[str, ...]
    label: str = ""  # Chinese label shown in outputs
    # enum columns: canonical value -> accepted spellings (matched case-insensitively after NFKC)
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Table:
    name: str
    label: str
    sheet_aliases: tuple[str, ...]
    columns: tuple[Column, ...]
    required: tuple[str, ...]  # always required when the table is present
    id_column: str | None = None  # duplicates of this id: first kept, later rejected
    month_column: str | None = None  # rows outside the month are excluded by this column
    # "wide": one row per key_columns and one column per day (a 考勤表); ingest melts such a
    # sheet into one row per key and day: the day into month_column, the cell into value_column.
    layout: str = "long"
    key_columns: tuple[str, ...] = ()
    value_column: str | None = None

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


SERVICE_TYPES = {
    "exchange": ("换机", "换货", "exchange"),
    "warranty": ("保修", "保内", "保内维修", "warranty", "in_warranty"),
    "non_warranty": (
        "非保修",
        "保外",
        "保外维修",
        "非保",
        "non_warranty",
        "out_of_warranty",
        "paid",
    ),
}
SERVICE_TYPE_LABELS = {"exchange": "换机", "warranty": "保修", "non_warranty": "非保修"}

ATTENDANCE_STATUSES = {
    "present": ("正常", "出勤", "在岗", "√", "✓", "✔", "present", "ok"),
    "absent": ("缺勤", "旷工", "缺岗", "absent", "absence"),
    "late": ("迟到", "late"),
    "early_leave": ("早退", "early_leave", "early leave"),
}
ATTENDANCE_LABELS = {"present": "正常", "absent": "缺勤", "late": "迟到", "early_leave": "早退"}

_BRANCH = Column(
    "branch",
    "branch",
    ("网点", "网点名称", "服务网点", "服务商", "服务商名称", "营业厅", "分公司", "单位", "branch"),
    "网点",
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "tickets",
            "工单",
            ("工单", "工单明细", "工单清单", "服务工单", "tickets", "ticket"),
            (
                Column(
                    "ticket_id",
                    "id",
                    ("工单号", "工单编号", "服务单号", "单号", "ticket_id"),
                    "工单号",
                ),
                _BRANCH,
                Column(
                    "service_type",
                    "enum",
                    ("服务类型", "业务类型", "service_type"),
                    "服务类型",
                    SERVICE_TYPES,
                ),
                Column(
                    "accepted_at",
                    "datetime",
                    ("受理时间", "受理日期", "接单时间", "accepted_at"),
                    "受理时间",
                ),
                Column(
                    "completed_at",
                    "datetime",
                    ("完成时间", "结单时间", "完工时间", "交机时间", "completed_at"),
                    "完成时间",
                ),
                Column("device_id", "id", ("IMEI", "串号", "序列号", "device_id"), "IMEI"),
                Column("is_rework", "flag", ("是否返修", "返修", "is_rework"), "是否返修"),
                Column("rating", "number", ("客户评分", "满意度", "rating"), "客户评分"),
            ),
            required=("ticket_id", "branch", "accepted_at"),
            id_column="ticket_id",
            month_column="accepted_at",
        ),
        Table(
            "complaints",
            "投诉",
            ("投诉", "投诉明细", "投诉清单", "客户投诉", "complaints", "complaint"),
            (
                Column("complaint_id", "id", ("投诉单号", "投诉编号", "complaint_id"), "投诉单号"),
                _BRANCH,
                Column(
                    "received_at", "datetime", ("投诉时间", "受理时间", "received_at"), "投诉时间"
                ),
                Column("is_valid", "flag", ("是否有效", "有效投诉", "is_valid"), "是否有效"),
                Column("category", "text", ("投诉类别", "投诉类型", "category"), "投诉类别"),
                Column("description", "text", ("投诉内容", "description"), "投诉内容"),
            ),
            required=("branch", "received_at"),
            id_column="complaint_id",
            month_column="received_at",
        ),
        Table(
            "attendance",
            "出勤",
            ("出勤", "考勤", "出勤检查", "attendance"),
            (
                Column("date", "date", ("日期", "检查日期", "考勤日期", "date"), "日期"),
                _BRANCH,
                Column("staff", "text", ("人员", "姓名", "员工", "staff"), "人员"),
                Column(
                    "status",
                    "enum",
                    ("出勤状态", "状态", "status"),
                    "出勤状态",
                    ATTENDANCE_STATUSES,
                ),
            ),
            required=("date", "branch", "status"),
            month_column="date",
        ),
        Table(
            "discipline",
            "纪律",
            ("纪律", "工作纪律", "违纪", "discipline"),
            (
                Column("date", "date", ("日期", "检查日期", "date"), "日期"),
                _BRANCH,
                Column("violation", "text", ("违纪事项", "违规内容", "violation"), "违纪事项"),
                Column("points", "number", ("扣分", "points"), "扣分"),
            ),
            required=("branch", "violation"),
            month_column="date",
        ),
        Table(
            "cooperation",
            "工作配合",
            ("工作配合", "配合评分", "配合", "cooperation"),
            (
                _BRANCH,
                Column("rating", "number", ("评分", "得分", "配合评分", "rating", "score"), "评分"),
                Column("rater", "text", ("评分人", "rater"), "评分人"),
            ),
            required=("branch", "rating"),
        ),
        Table(
            "incentives",
            "正负激励",
            ("正负激励", "激励", "奖惩", "incentives"),
            (
                Column("date", "date", ("日期", "date"), "日期"),
                _BRANCH,
                Column("points", "number", ("分值", "加减分", "points"), "分值"),
                Column("reason", "text", ("原因", "事由", "reason"), "原因"),
            ),
            required=("branch", "points"),
            month_column="date",
        ),
        Table(
            "branches",
            "网点名单",
            ("网点名单", "网点清单", "服务商名单", "branches", "roster"),
            (
                _BRANCH,
                Column("region", "text", ("区域", "地市", "片区", "region"), "区域"),
                Column("echelon", "text", ("梯队", "echelon"), "梯队"),
                Column(
                    "contract_start",
                    "date",
                    ("签约日期", "合同开始日期", "合作开始日期", "contract_start"),
                    "签约日期",
                ),
            ),
            required=("branch",),
            id_column="branch",
        ),
        Table(
            # Scores handed over by other departments (Unicom-style inputs): one row per branch,
            # one number column per KPI, declared by the rubric.
            "scores",
            "部门评分",
            ("部门评分", "评分汇总", "scores"),
            (_BRANCH,),
            required=("branch",),
        ),
        Table(
            # A customer-satisfaction survey per branch (a separate study): read by `svcqa period`
            # when the rubric's [period] rule weighs it in, never by the monthly scorecard.
            "survey",
            "客户满意度",
            ("客户满意度", "满意度", "满意度调查", "客户满意度调查", "survey"),
            (
                _BRANCH,
                Column(
                    "score",
                    "number",
                    ("满意度得分", "客户满意度得分", "满意度", "客户满意度", "得分", "score"),
                    "满意度得分",
                ),
            ),
            required=("branch",),
            id_column="branch",
        ),
    )
}

# Always written next to the canonical columns of every used row.
SOURCE_COLUMNS = ("_file", "_sheet", "_row")
