"""Hostile input, round 2 (issue 19): CSV dialects, deep TOML, extreme numbers, offset and
implausible dates, control characters. Each case ends in a value, a rejected row or a message
naming the file and the fix; never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.errors import InputError, LimitExceeded, RubricError
from svcqa.ingest import ingest
from svcqa.ingest.aliases import load_alias_file
from svcqa.ingest.safety.limits import Limits
from svcqa.models import Month
from svcqa.rubric.loader import load_rubric_text
from svcqa.toml_text import MAX_TOML_NESTING

HEAD = ["工单号", "网点", "服务类型", "受理时间", "完成时间", "是否返修", "客户评分"]
OCTOBER = Month(2026, 10)
TICKETS_ONLY = {"tickets": ("ticket_id", "branch", "accepted_at")}


def ticket(i: int, **cells: str) -> list[str]:
    """One valid October ticket row, with some cells replaced by name."""
    row = dict(
        zip(HEAD, [f"T{i}", "A店", "换机", "2026-10-03 10:00", "2026-10-04 10:00", "否", "5"])
    )
    row.update(
        {
            HEAD[["id", "branch", "kind", "accepted", "completed", "rework", "rating"].index(k)]: v
            for k, v in cells.items()
        }
    )
    return list(row.values())


def write_csv(path: Path, rows: list[list[str]], *, sep: str = ",", newline: str = "\n") -> Path:
    path.write_text(newline.join(sep.join(r) for r in rows) + newline, encoding="utf-8")
    return path


def read(path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    return ingest([path], month=OCTOBER, required=TICKETS_ONLY, **kwargs)  # type: ignore[arg-type]


def rejects(data) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    frame = data.rejects
    return [(int(r), c, code) for r, c, code in zip(frame["row"], frame["column"], frame["code"])]


# ---------------------------------------------------------------- CSV dialects


def test_csv_field_over_128_kib_is_read(tmp_path: Path) -> None:
    """A 200,000-character quoted field (a long complaint text) is read, not a csv field-limit traceback."""
    long = "长" * 200_000
    rows = [HEAD + ["备注"], ticket(1) + [f'"{long}"'], ticket(2) + ["x"], ticket(3)]
    data = read(write_csv(tmp_path / "工单.csv", rows))
    assert data.stats["tickets"].rows == 3 and data.stats["tickets"].used == 3
    assert data.tables["tickets"]["ticket_id"].tolist() == ["T1", "T2", "T3"]


def test_csv_with_lone_cr_line_endings_reads_as_rows(tmp_path: Path) -> None:
    """Old Mac/Excel CSVs end lines with a lone CR; each is a row with its line number."""
    path = write_csv(tmp_path / "工单.csv", [HEAD, ticket(1), ticket(2), ticket(3)], newline="\r")
    data = read(path)
    tickets = data.tables["tickets"]
    assert tickets["ticket_id"].tolist() == ["T1", "T2", "T3"]
    assert tickets["_row"].tolist() == [2, 3, 4]
    assert tickets["rating"].tolist() == [5.0, 5.0, 5.0]


def test_semicolon_separated_csv_is_detected(tmp_path: Path) -> None:
    """A CSV saved with ';' (European Excel) is split on ';' instead of failing to find its headers."""
    path = write_csv(tmp_path / "工单.csv", [HEAD, ticket(1), ticket(2, rating="4")], sep=";")
    tickets = read(path).tables["tickets"]
    assert tickets["ticket_id"].tolist() == ["T1", "T2"]
    assert tickets["rating"].tolist() == [5.0, 4.0]


def test_unterminated_quote_names_the_line_where_it_starts(tmp_path: Path) -> None:
    """A quote never closed is an error naming the file and the line it opens on, not 'X is empty' rejects."""
    rows = [
        HEAD,
        ticket(1),
        ticket(2),
        ticket(3, accepted='"2026-10-03 10:00'),
        ticket(4),
        ticket(5),
    ]
    path = write_csv(tmp_path / "工单.csv", rows)
    with pytest.raises(InputError) as caught:
        read(path)
    message = str(caught.value)
    assert "工单.csv" in message and "line 4" in message and "never closed" in message
    assert caught.value.code == "bad-csv"


def test_csv_wider_than_max_columns_is_refused_before_parsing(tmp_path: Path) -> None:
    """A million-column CSV is refused from its first line in bounded time and memory, naming SVCQA_MAX_COLUMNS."""
    path = tmp_path / "工单.csv"
    path.write_text(",".join(HEAD) + "," * 1_000_000 + "\n" + ",".join(ticket(1)) + "\n")
    with pytest.raises(LimitExceeded) as caught:
        read(path)
    assert "line 1 has 1,000,007 columns" in str(caught.value)
    assert "SVCQA_MAX_COLUMNS" in str(caught.value) and "工单.csv" in str(caught.value)
    # A quoted comma does not count: a narrow file with commas inside a text cell still reads.
    narrow = (
        write_csv(tmp_path / "n" / "工单.csv", [HEAD + ["备注"], ticket(1) + ['"a,b,c,d"']])
        if (tmp_path / "n").mkdir() is None
        else None
    )
    assert narrow is not None
    data = read(narrow, limits=Limits(max_columns=9))
    assert data.stats["tickets"].used == 1
    assert Limits.from_env({"SVCQA_MAX_COLUMNS": "100"}).max_columns == 100
    assert Limits().max_columns == 16_384


def test_wide_csv_through_the_command_line_exits_1_quickly(tmp_path: Path) -> None:
    """`svcqa check` on a million-column CSV exits 1 with the limit's message, no traceback."""
    path = tmp_path / "工单.csv"
    path.write_text(",".join(HEAD) + ",x" * 1_000_000 + "\n")
    result = CliRunner().invoke(
        app, ["check", str(path), "--month", "2026-10", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "max_columns" in result.stderr


# ---------------------------------------------------------------- deep TOML


def nested_arrays(depth: int) -> str:
    return "x = " + "[" * depth + "]" * depth + "\n"


def nested_tables(depth: int) -> str:
    return "x = " + "{a = " * depth + "1" + "}" * depth + "\n"


@pytest.mark.parametrize("build", [nested_arrays, nested_tables])
def test_deeply_nested_rubric_is_refused_without_recursion(build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A rubric nested thousands deep is a RubricError naming the nesting, not a RecursionError."""
    assert sys.getrecursionlimit() < 5000
    with pytest.raises(RubricError) as caught:
        load_rubric_text(build(5000), origin="deep.toml")
    assert "deep.toml" in str(caught.value)
    assert f"nested more than {MAX_TOML_NESTING} levels" in str(caught.value)
    path = tmp_path / "deep.toml"
    path.write_text(build(5000))
    result = CliRunner().invoke(app, ["rubric", "check", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "nested more than" in result.stderr


@pytest.mark.parametrize("build", [nested_arrays, nested_tables])
def test_deeply_nested_alias_file_is_refused(build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An alias file nested thousands deep is an InputError naming the file and the nesting."""
    path = tmp_path / "aliases.toml"
    path.write_text("[aliases.tickets]\n" + build(3000))
    with pytest.raises(InputError) as caught:
        load_alias_file(path)
    assert "aliases.toml" in str(caught.value) and "nested more than" in str(caught.value)
    assert caught.value.code == "bad-aliases"


def test_brackets_inside_strings_and_comments_do_not_count_as_nesting(tmp_path: Path) -> None:
    """Header texts full of brackets are aliases, not nesting."""
    path = tmp_path / "aliases.toml"
    path.write_text('[aliases.tickets]  # [[[[\nticket_id = ["' + "[" * 200 + "\", '{{{{']\n")
    assert load_alias_file(path) == {"tickets": {"ticket_id": ["[" * 200, "{{{{"]}}


# ---------------------------------------------------------------- numbers


def test_numbers_that_are_not_finite_or_absurd_are_bad_numbers(tmp_path: Path) -> None:
    """1e999, nan, inf, 1e308 and a decimal comma are rejected bad-number; 1,234.5 and １２３ are read."""
    values = ["1e999", "nan", "inf", "1e308", "1,5", "1.234,5", "1,234.5", "１２３", "4.5"]
    rows = [HEAD] + [ticket(i, rating=v) for i, v in enumerate(values, 1)]
    data = read(write_csv(tmp_path / "工单.csv", [[f'"{c}"' for c in r] for r in rows]))
    assert rejects(data) == [(r, "客户评分", "bad-number") for r in range(2, 8)]
    reasons = data.rejects["reason"].tolist()
    assert all("finite number" in reason for reason in reasons)
    assert data.tables["tickets"]["rating"].tolist() == [1234.5, 123.0, 4.5]


# ---------------------------------------------------------------- dates


def test_offset_dates_convert_to_shanghai_wall_time(tmp_path: Path) -> None:
    """Naive, +08:00, Z and -03:00 stamps in one column read as Asia/Shanghai wall time."""
    stamps = [
        "2026-10-03 09:00",
        "2026-10-20T09:00:00+08:00",
        "2026-10-20T01:00:00Z",
        "2026-10-21T09:00:00-03:00",
    ]
    rows = [HEAD] + [ticket(i, accepted=s, completed="") for i, s in enumerate(stamps, 1)]
    tickets = read(write_csv(tmp_path / "工单.csv", rows)).tables["tickets"]
    # 01:00 UTC = 09:00 in Shanghai (UTC+8); 09:00 at UTC-3 = 12:00 UTC = 20:00 in Shanghai.
    assert tickets["accepted_at"].tolist() == [
        pd.Timestamp("2026-10-03 09:00"),
        pd.Timestamp("2026-10-20 09:00"),
        pd.Timestamp("2026-10-20 09:00"),
        pd.Timestamp("2026-10-21 20:00"),
    ]


def test_only_offset_dates(tmp_path: Path) -> None:
    """A column of offset stamps only (a TypeError before) reads as naive local times."""
    rows = [HEAD] + [
        ticket(i, accepted=f"2026-10-0{i}T10:00:00+08:00", completed=f"2026-10-0{i}T12:30:00+0800")
        for i in (1, 2)
    ]
    tickets = read(write_csv(tmp_path / "工单.csv", rows)).tables["tickets"]
    assert tickets["accepted_at"].tolist() == [
        pd.Timestamp("2026-10-01 10:00"),
        pd.Timestamp("2026-10-02 10:00"),
    ]
    assert tickets["completed_at"].tolist() == [
        pd.Timestamp("2026-10-01 12:30"),
        pd.Timestamp("2026-10-02 12:30"),
    ]


def test_completion_far_after_the_month_is_implausible(tmp_path: Path) -> None:
    """2099-12-31 as 完成时间 is an implausible-date reject; 366 days after the month's end is still read."""
    rows = [
        HEAD,
        ticket(1, completed="2099-12-31"),
        # The month ends 2026-11-01 00:00; 365 days later is 2027-11-01, 366 days 2027-11-02.
        ticket(2, completed="2027-11-02 00:00"),  # the bound itself: read
        ticket(3, completed="2027-11-02 00:01"),
        ticket(4),
    ]
    data = read(write_csv(tmp_path / "工单.csv", rows))
    assert rejects(data) == [
        (2, "完成时间", "implausible-date"),
        (4, "完成时间", "implausible-date"),
    ]
    assert (
        "2099-12-31" in data.rejects["reason"].iloc[0]
        and "366 days" in data.rejects["reason"].iloc[0]
    )
    assert data.tables["tickets"]["ticket_id"].tolist() == ["T2", "T4"]
    stats = data.stats["tickets"]
    assert (stats.rows, stats.used, stats.excluded, stats.rejected) == (4, 2, 0, 2)


# ---------------------------------------------------------------- control characters


def test_nul_in_a_branch_cell_is_rejected_not_a_new_branch(tmp_path: Path) -> None:
    """广州天河一店\\x00恶意 in a workbook is a control-character reject; the branch keys stay clean."""
    path = tmp_path / "m.xlsx"
    book = xlsxwriter.Workbook(path, {"strings_to_numbers": False})
    sheet = book.add_worksheet("工单")
    rows = [
        HEAD,
        ticket(1, branch="广州天河一店"),
        ticket(2, branch="广州天河一店\x00恶意"),
        ticket(3, id="T3\x1b"),
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    data = read(path)
    assert rejects(data) == [(3, "网点", "control-character"), (4, "工单号", "control-character")]
    assert "\\x00" in data.rejects["reason"].iloc[0]
    assert data.tables["tickets"]["branch_key"].unique().tolist() == ["广州天河一店"]


def test_control_character_in_a_csv_text_cell_is_rejected(tmp_path: Path) -> None:
    """An ESC in a CSV branch cell rejects the row; tabs and line breaks in text cells are kept."""
    rows = [
        HEAD + ["备注"],
        ticket(1) + ['"line\nbreak\tand tab"'],
        ticket(2, branch="A店\x1b[31m") + ["x"],
    ]
    data = read(write_csv(tmp_path / "工单.csv", rows))
    assert rejects(data) == [(4, "网点", "control-character")]
    assert data.tables["tickets"]["ticket_id"].tolist() == ["T1"]


# ---------------------------------------------------------------- properties

CONTROL = st.sampled_from([chr(c) for c in (*range(0, 32), 127, 0x85, 0x9B)])
EXTREME = st.sampled_from(
    [
        "1e999",
        "-1e999",
        "1e308",
        "nan",
        "NaN",
        "inf",
        "-0",
        "1,234.5",
        "1,5",
        "１２３",
        "99999999999999999999",
        "4.9e-324",
        "0x10",
        "%",
    ]
)
DATES = st.sampled_from(
    [
        "2026-10-03 09:00",
        "2026-10-20T09:00:00+08:00",
        "2026-10-20T01:00:00Z",
        "2026-10-05T23:30:00-11:00",
        "2026-10-05 10:00 +0800",
        "2026-10-05T10:00+08",
        "2026/10/05 10:00",
        "2026年10月5日 10时",
        "20261005",
        "46298.5",
        "2099-12-31",
        "0001-01-01T00:00:00+14:00",
        "2026-02-30",
    ]
)
CELL = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.one_of(CONTROL, st.sampled_from("A店0-:T+Z ")), max_size=8),
    EXTREME,
    DATES,
)


def _month_rows(random_rows: list[list[str]]) -> list[list[str]]:
    """Two valid tickets first (so the month has rows), then the random ones."""
    return [HEAD, ticket(1), ticket(2, branch="B店"), *random_rows]


def _write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = xlsxwriter.Workbook(path, {"strings_to_numbers": False})
    sheet = book.add_worksheet("工单")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value != "":
                sheet.write_string(r, c, value)
    book.close()
    return path


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(CELL, min_size=len(HEAD), max_size=len(HEAD)), min_size=1, max_size=6))
def test_random_cells_in_every_column_never_escape(
    tmp_path: Path, random_rows: list[list[str]]
) -> None:
    """Random text, control characters, extreme numbers and odd dates in every cell type: no
    exception escapes, every row is used, excluded or rejected, no branch key has a control character."""
    path = _write_xlsx(tmp_path / "m.xlsx", _month_rows(random_rows))
    data = ingest([path], month=OCTOBER, required=TICKETS_ONLY, reader="inprocess")
    stats = data.stats["tickets"]
    assert stats.used + stats.excluded + stats.rejected == stats.rows
    tickets = data.tables["tickets"]
    assert len(tickets) == stats.used and stats.rows >= 2
    assert len(data.rejects[data.rejects["table"] == "tickets"]) == stats.rejected
    for key in tickets["branch_key"].dropna():
        assert not any(ord(ch) < 32 or 127 <= ord(ch) <= 159 for ch in key)
    for column in ("rating",):
        values = tickets[column].dropna().to_numpy()
        assert all(abs(v) <= 1e15 for v in values)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.one_of(DATES, st.text(max_size=20)), min_size=1, max_size=12))
def test_mixed_date_forms_in_one_column_never_escape(tmp_path: Path, stamps: list[str]) -> None:
    """Mixed naive, offset, Z, serial, Chinese and random text in 受理时间 and 完成时间: no
    exception, rows conserved (used + excluded + rejected = rows)."""
    rows = [
        ticket(i, accepted=s, completed=stamps[-1 - n])
        for n, (i, s) in enumerate(enumerate(stamps, 3))
    ]
    path = write_csv(
        tmp_path / "工单.csv",
        [[f'"{c.replace(chr(34), "")}"' for c in r] for r in _month_rows(rows)],
    )
    try:
        data = read(path)
    except InputError as exc:  # a cell that empties the file's text (binary content) is refused
        assert exc.code in ("not-a-workbook", "bad-csv")
        return
    stats = data.stats["tickets"]
    assert stats.used + stats.excluded + stats.rejected == stats.rows
    assert data.tables["tickets"]["accepted_at"].dtype == "datetime64[ns]"


def test_text_pandas_refuses_as_a_whole_is_read_value_by_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When pandas refuses a column (mixed time zones), each value is read alone: offsets
    converted to Shanghai time, unreadable ones NaT, never an exception."""
    from svcqa.ingest import parse

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise ValueError("Mixed timezones detected")

    monkeypatch.setattr(parse.pd, "to_datetime", refuse)
    text = pd.Series(["2026-10-20T01:00:00Z", "2026-10-03 09:00", "nonsense", "0001-01-01"])
    values = parse._iso_datetimes(text, "Asia/Shanghai")
    assert values.tolist()[:2] == [
        pd.Timestamp("2026-10-20 09:00"),
        pd.Timestamp("2026-10-03 09:00"),
    ]
    assert values.isna().tolist() == [False, False, True, True]
