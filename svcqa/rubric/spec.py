"""What a rubric may say, declared once: every section and key, metric kind and curve kind.

The loader validates against these declarations (the keys each section accepts, the metric and
curve kinds, the parameters each kind takes and which of them are required) and
``svcqa.rubric.reference`` renders them as docs/rubric.md, so the checks and the documentation
are one source. ``svcqa.scoring`` implements the kinds (a test keeps the two in step), and the
worked curve examples below are checked against the scoring curves by a test.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    """One key of a section or one parameter of a kind."""

    name: str
    type: str  # as a user writes it: text, number, whole number, true/false, list of text ...
    meaning: str  # one sentence
    required: bool = False
    default: str = ""  # as TOML text, or a phrase ("the lowest grade"); "" when required


@dataclass(frozen=True)
class Section:
    """A part of the file: the top level, a [table], an [[array of tables]] or a family of them."""

    header: str  # e.g. "[rectification]", "[[kpis]]", "[columns.TABLE.NAME]"; "" = top level
    meaning: str
    optional: bool
    keys: tuple[Key, ...] = ()

    @property
    def key_names(self) -> set[str]:
        return {k.name for k in self.keys}


@dataclass(frozen=True)
class MetricKind:
    """A metric kind: what it counts per branch, on which table, and the parameters it takes."""

    name: str
    table: str | None  # default table; None = the rubric must name one
    rate: bool  # numerator / basis (may be scored quarter to date)
    unit: str
    needs: tuple[str, ...]  # canonical columns it always reads (besides branch)
    counts: str  # what the value is, per branch
    blanks: str  # how blank cells and open items are treated, and when a branch has no data
    params: tuple[Key, ...] = ()  # beyond kind, table and filter (and quarter_to_date for rates)
    example: tuple[str, str] = ("", "")  # a worked example: the [kpis.metric] TOML, the working

    def all_params(self) -> tuple[Key, ...]:
        """Every key the kind's [kpis.metric] table accepts, ``kind`` included."""
        table = Key(
            "table",
            "text (a table name)",
            "The table the metric reads.",
            required=self.table is None,
            default=f'"{self.table}"' if self.table else "",
        )
        common = [KIND_KEY, table, FILTER_KEY]
        if self.rate:
            common.append(QTD_KEY)
        return (*common, *self.params)

    def param(self, name: str) -> Key | None:
        return next((p for p in self.all_params() if p.name == name), None)

    def required(self, name: str) -> bool:
        key = self.param(name)
        return key is not None and key.required


@dataclass(frozen=True)
class CurveExample:
    """A worked example: a KPI of ``points`` points, this curve, one value, computed by hand."""

    points: float
    curve: str  # the curve as TOML inline table
    params: tuple[tuple[str, object], ...]  # the same curve as keys, for the test
    value: float
    working: str  # the arithmetic, written out
    expected: float  # after rounding half up to 2 decimals


@dataclass(frozen=True)
class CurveKind:
    name: str
    meaning: str
    params: tuple[Key, ...]
    examples: tuple[CurveExample, ...]

    def all_params(self) -> tuple[Key, ...]:
        return (KIND_KEY, *self.params)

    def required(self, name: str) -> bool:
        return any(p.name == name and p.required for p in self.params)


KIND_KEY = Key("kind", "text", "Which kind (see below).", required=True)
FILTER_KEY = Key(
    "filter",
    "table of column = value or [values]",
    "Only rows whose columns hold one of the given values are measured (see Filters).",
    default="{} (every row)",
)
QTD_KEY = Key(
    "quarter_to_date",
    "true/false",
    "Add the quarter's earlier stored months to numerator and basis before dividing.",
    default="false",
)
COLUMN_PARAM = Key(
    "column",
    "text (a number or duration column)",
    "The column measured.",
    required=True,
)
SPAN_COLUMN_PARAM = Key(
    "column",
    "text (a number or duration column)",
    "The column measured; give either column or span.",
    default="none (span)",
)
SPAN_PARAM = Key(
    "span",
    'table: { from = "<datetime column>", to = "<datetime column>", unit = "minutes" | "hours" '
    '| "days" }',
    "Measure each row's time from `from` to `to` in `unit` instead of a column; from and to are "
    'any datetime or date column, canonical or declared; unit defaults to "days" and is the '
    "KPI's unit in the outputs.",
    default="none (column)",
)


def _open_param(default: str) -> Key:
    return Key(
        "open",
        'text: "age" or "exclude"',
        'With a span, a row with a blank `to` (open): "age" measures it up to the end of the '
        "month (midnight after its last day), or, for a month still running, up to the data's "
        'cut-off given by `svcqa score --as-of`; "exclude" leaves it out of value and basis. '
        "Only with span.",
        default=f'"{default}"',
    )


THRESHOLD_BY_PARAM = Key(
    "threshold_by",
    'table: { column = "<column>", values = { <value> = number, ... }, default = number }',
    "In place of threshold: each row is compared with the threshold of its own value of "
    "`column` (compared as text); a value listed nowhere takes `default`; without a default "
    "such a row is left out and the run has a threshold-value-unknown finding naming the value "
    "and the KPI.",
    default="none (threshold)",
)

PER_PARAM = Key(
    "per",
    'table: { table = "branches", column = "<number column>", scale = number }',
    "Divide the branch's figure by its value in `column` of `table` (the roster, one row per "
    "branch), times `scale` (default 1): complaints per 10,000 users. A branch whose value is "
    "blank, 0 or absent has no data on the KPI and the run a per-basis-missing finding naming "
    "branch and KPI.",
    default="none (the figure itself)",
)

WHEN_EMPTY: dict[str, str] = {
    "full": "the branch gets the KPI's full points (nothing to hold against it)",
    "zero": "the branch gets 0 points on the KPI",
    "exclude": "the KPI is left out of the branch's total, which is re-normalised to max: "
    "sum(points of the other KPIs) x max / sum(their points)",
}
EXTRA_COLUMN_TYPES: dict[str, str] = {
    "number": "a number (full-width digits, thousands separators and 12.5% are read)",
    "flag": "yes/no, read from the spellings listed under Flags",
    "date": "a date (time of day dropped)",
    "datetime": "a date and time (Excel dates, serials, ISO, Chinese and slash text)",
    "duration": "a length of time in days (1:30:00, 2天3小时, timedelta cells; a plain number = days)",
    "text": "text, stripped of surrounding spaces",
}
COMPARISONS = (">", ">=", "<", "<=")

METRIC_KINDS: tuple[MetricKind, ...] = (
    MetricKind(
        "mean_cycle_days", "tickets", False, "days", ("accepted_at", "completed_at"),
        "The mean of completed_at - accepted_at in days over the branch's completed tickets.",
        "Open tickets (blank completed_at) are left out; a branch with no completed ticket has "
        "no data.",
    ),
    MetricKind(
        "overdue_share", "tickets", True, "rate", ("accepted_at", "completed_at"),
        "The share of the branch's tickets whose cycle is over `days` days.",
        "An open ticket counts by its age at the end of the month, or at the data's cut-off "
        "given by `svcqa score --as-of` (over `days` = overdue); a branch with no ticket has no "
        "data.",
        (Key("days", "number", "The limit in days; a cycle above it is overdue.", required=True),),
    ),
    MetricKind(
        "rework_rate", "tickets", True, "rate", ("accepted_at",),
        "Reworks / tickets: the export's is_rework flag when the tickets have one, else a ticket "
        "accepted within `window_days` of an earlier completion on the same device_id.",
        "A blank is_rework is not a rework; tickets with neither column give every branch no "
        "data; a branch with no ticket has no data.",
        (Key("window_days", "number", "Derived reworks: a repeat within this many days.", default="90"),),
    ),
    MetricKind(
        "complaint_rate", "complaints", True, "rate", ("received_at",),
        "Valid complaints / tickets accepted in the month by the branch (all its tickets; the "
        "filter applies to the complaints).",
        "A blank is_valid cell is not a valid complaint; a sheet without a validity column "
        "counts every complaint valid; a branch with no ticket has no data.",
        (Key("basis_table", "text", 'The denominator table; only "tickets".', default='"tickets"'),),
    ),
    MetricKind(
        "rating_mean", "cooperation", False, "rating", (),
        "The mean of `column` (cooperation ratings: the mean of the raters).",
        "Blank cells are left out; a branch without a rated row has no data.",
        (Key("column", "text (a number column)", "The rating column.", default='"rating"'),),
    ),
    MetricKind(
        "direct_score", "scores", False, "points", (),
        "The mean of `column` (a score another department hands over, usually one row per branch).",
        "Blank cells are left out; a branch without a value has no data.",
        (COLUMN_PARAM,),
    ),
    MetricKind(
        "mean", None, False, "number", (),
        "The mean of `column` (or of the `span` in its unit) over the branch's rows that have a "
        "value.",
        "Blank cells are left out of the mean and its basis; open tickets count like any row "
        "(their cell is used when it has a value). With a span, a blank `from` is left out and "
        "a blank `to` follows `open` (default \"exclude\"); a branch without a value has no data.",
        (SPAN_COLUMN_PARAM, SPAN_PARAM, _open_param("exclude")),
        (
            'metric = { kind = "mean", table = "tickets", span = { from = "accepted_at", '
            'to = "completed_at", unit = "hours" }, open = "age" }',
            "October: ticket 1 accepted 10-31 20:00, completed 11-01 02:00 = 6 h; ticket 2 "
            "accepted 10-31 14:00, still open, is 10 h old at the month end (11-01 00:00). With "
            'open = "age" the mean is (6 + 10) / 2 = 8 h; with the default "exclude" it is 6 h '
            "over 1 ticket.",
        ),
    ),
    MetricKind(
        "share_over", None, True, "rate", (),
        "The share of the branch's rows with a value whose `column` (or `span`) compares `op` "
        "`threshold` (or the row's own threshold from `threshold_by`).",
        "Rows with a blank `column` are left out of numerator and basis. With a span, a blank "
        "`from` is left out and a blank `to` follows `open` (default \"age\": counted by its age "
        "at the end of the month); a branch without a value has no data.",
        (
            SPAN_COLUMN_PARAM, SPAN_PARAM, _open_param("age"),
            Key("threshold", "number", "The value compared against; give threshold or threshold_by.",
                default="none (threshold_by)"),
            THRESHOLD_BY_PARAM,
            Key("op", "text: > >= < <=", "The comparison a row must pass to count.", default='">"'),
        ),
        (
            'metric = { kind = "share_over", table = "tickets", span = { from = "accepted_at", '
            'to = "completed_at", unit = "hours" }, threshold_by = { column = "priority", '
            "values = { Critical = 4, High = 24 }, default = 72 } }",
            "A Critical ticket resolved in 5 h (5 > 4: breach), a High one in exactly 24 h "
            "(24 > 24 is false: met), a Low one (no entry: default 72) open and 80 h old at month "
            "end (80 > 72: breach): share 2 / 3 = 0.6667.",
        ),
    ),
    MetricKind(
        "flag_rate", None, True, "rate", (),
        "The share of the branch's rows whose flag `column` is true.",
        "Rows with a blank flag are left out of numerator and basis; a branch without a flag "
        "value has no data.",
        (Key("column", "text (a flag column)", "The flag counted.", required=True),),
    ),
    MetricKind(
        "share_in", None, True, "rate", (),
        "The share of the branch's rows (after the filter) whose `column` holds one of `values`, "
        "e.g. the backlog: status in Open / In Progress.",
        "Every row is in the basis, blank cells included (a blank is not one of the values); "
        "values compare as filters do (exact spelling; true/false on a yes/no column); a value no "
        "row holds is a filter-matches-nothing finding; a branch with no row has no data.",
        (
            Key("column", "text (any column)", "The column whose value is compared.", required=True),
            Key("values", "value or list of values", "The values that count, compared as filters do.",
                required=True),
        ),
        (
            'metric = { kind = "share_in", table = "tickets", column = "status", values = '
            '["Open", "In Progress"] }',
            "A technician with 8 tickets: 1 Open, 1 In Progress, 5 Resolved, 1 Closed: "
            "(1 + 1) / 8 = 0.25.",
        ),
    ),
    MetricKind(
        "count", None, False, "count", (),
        "The weighted number of the branch's rows: each row weighs `weights[its weight_column "
        "value]`, else `default_weight`; a row's own `points_column` value (as a positive number) "
        "replaces its weight when present.",
        "A branch with no row in a table that is present counts 0 (not no data); an absent "
        "table gives every branch no data.",
        (
            Key("weight_column", "text", "The column whose value picks a row's weight.", default="none"),
            Key("weights", "table of value = number", "The weight of each value (compared as text).", default="{}"),
            Key("default_weight", "number", "The weight of a row whose value is not in weights.", default="1"),
            Key("points_column", "text", "A number column whose value, when present, is the row's weight.", default="none"),
            PER_PARAM,
        ),
        (
            'metric = { kind = "count", table = "complaints", filter = { is_valid = true }, '
            'per = { table = "branches", column = "users", scale = 10000 } }',
            "A branch with 7 valid complaints and users = 12,000 in the roster: 7 / 12000 x "
            "10000 = 5.83 per 10,000 users; a branch whose users cell is blank or 0 has no data.",
        ),
    ),
    MetricKind(
        "sum", None, False, "number", (),
        "The sum of `column` over the branch's rows.",
        "Blank cells count 0; a branch with no row in a table that is present sums to 0 (not no "
        "data); an absent table gives every branch no data.",
        (COLUMN_PARAM, PER_PARAM),
    ),
)  # fmt: skip

_BETTER_LINEAR = Key(
    "better",
    'text: "lower" or "higher"',
    "Which way is better; must agree with full and zero when given.",
    default="from full and zero",
)

CURVE_KINDS: tuple[CurveKind, ...] = (
    CurveKind(
        "linear",
        "Full points at `full`, 0 at `zero`, a straight line between, clipped to [0, points]: "
        "(zero - value) / (zero - full) x points. Lower is better when full < zero.",
        (
            Key("full", "number", "The value that earns full points.", required=True),
            Key("zero", "number", "The value that earns 0 points.", required=True),
            _BETTER_LINEAR,
        ),
        (
            CurveExample(12, "{ kind = \"linear\", full = 3, zero = 7 }", (("full", 3), ("zero", 7)), 5,
                         "(7 - 5) / (7 - 3) x 12 = 0.5 x 12", 6.00),
            CurveExample(10, "{ kind = \"linear\", full = 0.95, zero = 0.8 }", (("full", 0.95), ("zero", 0.8)), 0.9,
                         "(0.8 - 0.9) / (0.8 - 0.95) x 10 = 0.6667 x 10 = 6.6667", 6.67),
        ),
    ),
    CurveKind(
        "deduct",
        "`per` points off for each unit of the value, floor 0: points - per x value.",
        (Key("per", "number (>= 0)", "Points off per unit.", default="1"),),
        (
            CurveExample(10, "{ kind = \"deduct\", per = 2 }", (("per", 2),), 3, "10 - 2 x 3", 4.00),
            CurveExample(10, "{ kind = \"deduct\", per = 2 }", (("per", 2),), 6, "10 - 2 x 6 = -2, floor 0", 0.00),
        ),
    ),
    CurveKind(
        "rating",
        "value x points / scale_max, clipped to [0, points].",
        (Key("scale_max", "number (> 0)", "The best rating on the scale.", default="the KPI's points"),),
        (CurveExample(10, "{ kind = \"rating\", scale_max = 5 }", (("scale_max", 5),), 4.2, "4.2 x 10 / 5", 8.40),),
    ),
    CurveKind(
        "bands",
        "The first band (best first) the value reaches gives that band's points; a value that "
        "reaches none gets `otherwise`. With better = \"lower\" a value reaches a band when it is "
        "<= the limit, with \"higher\" when it is >= the limit.",
        (
            Key("bands", "list of [limit, points]", "Best band first: limits strictly increasing "
                "(lower is better) or decreasing (higher), points not increasing.", required=True),
            Key("otherwise", "number", "The points of a value that reaches no band.", default="0"),
            Key("better", 'text: "lower" or "higher"', "Which way is better.", default='"lower"'),
        ),
        (
            CurveExample(10, "{ kind = \"bands\", bands = [[0.01, 10], [0.03, 6], [0.05, 2]] }",
                         (("bands", ((0.01, 10), (0.03, 6), (0.05, 2))),), 0.02,
                         "0.02 > 0.01, 0.02 <= 0.03: the second band", 6.00),
            CurveExample(10, "{ kind = \"bands\", bands = [[0.01, 10], [0.03, 6], [0.05, 2]] }",
                         (("bands", ((0.01, 10), (0.03, 6), (0.05, 2))),), 0.07,
                         "0.07 is above every limit: otherwise", 0.00),
        ),
    ),
    CurveKind(
        "ratio",
        "The rate (clipped to [0, 1]) times the points; with invert = true, (1 - rate) times the points.",
        (Key("invert", "true/false", "Score 1 - rate (for a rate where lower is better).", default="false"),),
        (
            CurveExample(20, "{ kind = \"ratio\" }", (), 0.85, "0.85 x 20", 17.00),
            CurveExample(20, "{ kind = \"ratio\", invert = true }", (("invert", True),), 0.85, "(1 - 0.85) x 20", 3.00),
        ),
    ),
)  # fmt: skip

METRIC_KIND_NAMES = tuple(k.name for k in METRIC_KINDS)
CURVE_KIND_NAMES = tuple(k.name for k in CURVE_KINDS)


def metric_kind(name: str) -> MetricKind:
    return next(k for k in METRIC_KINDS if k.name == name)


def curve_kind(name: str) -> CurveKind:
    return next(k for k in CURVE_KINDS if k.name == name)


_WHEN_EMPTY_TYPE = "text: " + " | ".join(WHEN_EMPTY)

SECTIONS: tuple[Section, ...] = (
    Section("", "The rubric itself.", False, (
        Key("id", "text (a-z, 0-9, - and _)", "The rubric's id, recorded with every run.", required=True),
        Key("name", "text", "The name shown in outputs.", required=True),
        Key("name_en", "text", "The name in English outputs (`--lang en` or language = \"en\").", default="name"),
        Key("max", "number (> 0)", "The total a branch can reach; the KPI points must add up to it.", required=True),
        Key("description", "text", "One line for `svcqa rubric list`.", default='""'),
        Key("language", 'text: "zh" | "en"', "The language of the labels in every output (terminal tables, history, scorecard and rejects workbooks, reports, forms); `--lang` overrides it. In English the rubric's English names (name_en, grade and KPI label_en, group_en) are shown where given, else the names themselves.", default='"zh"'),
        Key("when_empty", _WHEN_EMPTY_TYPE, "What a KPI without data gives, unless the KPI says otherwise.", default='"full"'),
        Key("grace_months", "whole number", "A newly signed branch (roster contract_start) is scored but not assessed this many months.", default="1"),
        Key("timezone", "text (an IANA time zone)", "The zone whose wall time the rubric scores in: a date written with a UTC offset (see Dates) is converted to it; a date without one is taken as already in it.", default='"Asia/Shanghai"'),
        Key("date_order", 'text: "ymd" | "mdy" | "dmy"', "How slash dates with the year last (3/12/21 9:57 PM) are read: mdy (US) or dmy; with ymd only year-first dates are read and such cells are rejected. A two-digit year is 20yy.", default='"ymd"'),
    )),
    Section("[rectification]", "Who must hand in a rectification form.", True, (
        Key("last_place", "true/false", "The last-ranked branch must rectify.", default="true"),
        Key("failing_grades", "list of grade names", "Grades that require rectification.", default="the lowest grade"),
        Key("contract_review_after", "whole number", "Flag a contract review after this many failing months in a row (0 = never).", default="3"),
    )),
    Section("[appeals]", "The appeal (申诉) window: when and how many rows a branch may dispute.", True, (
        Key("window_days", "whole number (>= 0)", "Appeals are accepted until this many days after the month's first scoring (that day included).", default="10"),
        Key("max_per_branch", "whole number (>= 0)", "At most this many appeals per branch and month (0 = no limit).", default="0"),
    )),
    Section("[incentives]", "Plus and minus points added to the KPI total (the sum is then clipped to [0, max]).", True, (
        Key("enabled", "true/false", "Add the incentive points when the table is supplied.", default="true"),
        Key("table", "text", "The table holding the points.", default='"incentives"'),
        Key("column", "text", "The number column summed per branch.", default='"points"'),
    )),
    Section("[[grades]]", "Grade bands, best first; the lowest must start at 0.", False, (
        Key("name", "text", "The grade's name.", required=True),
        Key("label_en", "text", "The grade's name in English outputs.", default="name"),
        Key("min", "number", "The lowest total (inclusive) that earns the grade.", required=True),
        Key("coefficient", "number (>= 0)", "The fee coefficient the grade carries (recorded on the scorecard).", required=True),
    )),
    Section("[[kpis]]", "The KPIs; their points add up to max.", False, (
        Key("id", "text (a-z, 0-9, - and _)", "The KPI's id, unique in the rubric.", required=True),
        Key("label", "text", "The KPI's name in outputs.", required=True),
        Key("label_en", "text", "The KPI's name in English outputs.", default="label"),
        Key("group", "text", "A heading the KPI is shown under.", default='""'),
        Key("group_en", "text", "The group's heading in English outputs.", default="group"),
        Key("points", "number (> 0)", "The KPI's full points.", required=True),
        Key("when_empty", _WHEN_EMPTY_TYPE, "What a branch without data on this KPI gets.", default="the top-level when_empty"),
        Key("min_basis", "whole number", "Below this many measured rows the branch counts as without data (low_volume); 0 = off.", default="0"),
        Key("metric", "table", "What to measure ([kpis.metric], see Metric kinds).", required=True),
        Key("curve", "table", "How the value becomes points ([kpis.curve], see Curve kinds).", required=True),
    )),
    Section("[[vetoes]]", "One-vote vetoes: a branch reaching `at_least` gets the lowest grade.", True, (
        Key("id", "text", "The veto's id.", required=True),
        Key("label", "text", "Its name in outputs.", default="the id"),
        Key("table", "text", "The table read.", default='"scores"'),
        Key("column", "text", "A number column summed per branch (applies only when supplied).", default="none: count the rows"),
        Key("at_least", "number", "The sum (or row count) that triggers the veto.", required=True),
    )),
    Section("[columns.TABLE.NAME]", "Declared columns: a column of TABLE the canonical schema does not have, "
            "usable in metrics, filters and vetoes like a canonical one.", True, (
        Key("type", "text: " + " | ".join(EXTRA_COLUMN_TYPES), "How cells are read (see Declared columns).", required=True),
        Key("aliases", "list of text", "Header spellings that map to the column (NAME itself always does).", default="[]"),
        Key("label", "text", "The column's name in outputs.", default="NAME"),
    )),
    Section("[tables.NAME]", "Declared tables and sheet layouts: a table of one's own (NAME a new table, "
            "its columns declared under [columns.NAME.COLUMN], a branch column always), or for a canonical "
            'table how its sheet is laid out (layout = "wide": a 考勤表, see Wide sheets).', True, (
        Key("label", "text", "The table's name in outputs (a declared table only).", default="NAME"),
        Key("sheets", "list of text", "Sheet names (CSV: file names) read as the table; a sheet whose name "
            "equals or contains one is (a declared table only).", default="[NAME, label]"),
        Key("month_column", "text (a date or datetime column)", "Rows outside the month are excluded by "
            "this column, a blank cell rejects the row (a declared table only).", default="none: every row is used"),
        Key("id_column", "text (a text column)", "Duplicates of this column: the first row kept, later ones "
            "rejected as duplicate-id (a declared table only).", default="none"),
        Key("layout", 'text: "long" | "wide"', "long: one row per record; wide: one row per key_columns and "
            "one column per day of the month (1, 1日 or a date), read as one row per key and day.", default='"long"'),
        Key("key_columns", "list of column names or header spellings", 'With layout = "wide": the columns '
            'that identify a row (e.g. ["网点", "姓名"]); branch must be one.', default="none (required when wide)"),
        Key("value_column", "text (a column)", 'With layout = "wide": the column each day cell is read into '
            "(the day goes into month_column).", default="the one column that is neither a key nor month_column"),
    )),
    Section("[aliases.TABLE]", "More header spellings for canonical or declared columns of TABLE: "
            'COLUMN = ["header", ...], added to the built-in spellings.', True),
    Section("[sheet_aliases]", 'More sheet names (CSV: file names) per table: TABLE = ["sheet name", ...].', True),
    # `svcqa period`: a quarter, half-year or year from the stored months (svcqa.rubric.period).
    Section("[period]", "How `svcqa period` scores several months: the mean monthly total of the months a "
            "branch was assessed in, optionally blended with a survey score (score = survey.weight x survey "
            "scaled to 100 + monthly_weight x monthly mean).", True, (
        Key("monthly_weight", "number (0 to 1)", "The weight of the mean monthly total; with survey.weight it must add up to 1.",
            default="1 (1 - survey.weight with a survey)"),
        Key("survey", 'table: { weight = number, table = "<table>", column = "<number column>", scale_max = number }',
            "A survey score per branch read from `svcqa period --survey FILE` (table default \"survey\", column "
            "default \"score\", scale_max default 100 = the best score); a branch without one is a finding.",
            default="none (no survey)"),
    )),
    Section("[bounds.TABLE]", "The range a number or duration column's values must lie in: COLUMN = [low, high] "
            "(inclusive; durations in days; -inf / inf for an open end). A value outside is an out-of-range reject "
            "naming the cell, the range and this key. Defaults: incentives within [-max, max] (the incentive "
            "table and column of [incentives]); the column of a rating_mean KPI with a rating curve within "
            "[0, scale_max]; discipline points and every duration column at least 0.", True),
    Section("[limits]", "Plausibility limits of the input data.", True, (
        Key("max_days_after_month", "whole number (>= 0)", "A date (other than a table's month column) more "
            "than this many days after the month's end is an implausible-date reject.", default="366"),
    )),
)  # fmt: skip


def section(header: str) -> Section:
    return next(s for s in SECTIONS if s.header == header)


def top_level_keys() -> set[str]:
    """Every key the top level of a file may hold: its own keys and the sections' names."""
    names = {s.header.strip("[]").split(".")[0] for s in SECTIONS if s.header}
    return section("").key_names | names


KPI_KEYS = section("[[kpis]]").key_names

# Flag cells, compared after NFKC, with all spaces removed and case folded (ingest reads them).
FLAG_TRUE = ("是", "y", "yes", "1", "1.0", "true", "t", "有效", "√", "✓", "✔", "有", "对")
FLAG_FALSE = ("否", "n", "no", "0", "0.0", "false", "f", "无效", "×", "✗", "✘", "x", "无", "不是")
