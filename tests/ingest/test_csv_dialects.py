"""Which delimiter a CSV uses (issue 19): the one that splits most lines into the same number of
fields, so a title row holding a comma does not make a ';' file read as one column."""

from __future__ import annotations

from pathlib import Path

import pytest

from svcqa.errors import InputError
from svcqa.ingest import ingest
from svcqa.models import Month

OCTOBER = Month(2026, 10)
TICKETS_ONLY = {"tickets": ("ticket_id", "branch", "accepted_at")}
HEAD = ["工单号", "网点", "服务类型", "受理时间", "完成时间", "投诉内容"]


def rows(sep: str, note: str) -> list[str]:
    """Header and three tickets; T2's 受理时间 is unreadable, each note cell is ``note``."""
    accepted = ["2026-10-03 10:00", "garbage", "2026-10-05 10:00"]
    return [sep.join(HEAD)] + [
        sep.join([f"T{i}", "A店", "换机", when, "", note]) for i, when in enumerate(accepted, 1)
    ]


def read(path: Path, lines: list[str], encoding: str = "utf-8"):  # type: ignore[no-untyped-def]
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return ingest([path], month=OCTOBER, required=TICKETS_ONLY)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_semicolons_under_a_title_row_holding_a_comma(tmp_path: Path, encoding: str) -> None:
    """'2026年10月工单明细, 广州' above a ';' table: split on ';', T2 rejected on line 4."""
    data = read(tmp_path / "工单.csv", ["2026年10月工单明细, 广州", *rows(";", "x")], encoding)
    assert data.tables["tickets"]["ticket_id"].tolist() == ["T1", "T3"]
    assert data.rejects[["row", "code"]].values.tolist() == [[4, "bad-date"]]


def test_a_comma_file_whose_text_holds_semicolons_stays_comma(tmp_path: Path) -> None:
    """Every 投诉内容 cell holds 'a;b;c' (3 fields by ';'), the rows 6 by ',': split on ','."""
    data = read(tmp_path / "工单.csv", rows(",", "a;b;c"))
    assert data.tables["tickets"]["ticket_id"].tolist() == ["T1", "T3"]
    assert data.rejects[["row", "code"]].values.tolist() == [[3, "bad-date"]]


@pytest.mark.parametrize("sep", ["|", "\t"])
def test_pipe_and_tab_separated_csv(tmp_path: Path, sep: str) -> None:
    """A .csv split by '|' or a tab under a comma title is read on its delimiter."""
    data = read(tmp_path / "工单.csv", ["标题, 说明", *rows(sep, "x, y")])
    assert data.tables["tickets"]["ticket_id"].tolist() == ["T1", "T3"]
    assert data.rejects[["row", "code"]].values.tolist() == [[4, "bad-date"]]


def test_a_nul_in_a_csv_branch_cell_is_a_reject_not_a_binary_file(tmp_path: Path) -> None:
    """One NUL in a 网点 cell rejects that row as control-character; the branch stays A店."""
    lines = rows(",", "x")
    lines[1] = lines[1].replace("A店", "A店\x00恶意")
    data = read(tmp_path / "工单.csv", lines)
    assert data.rejects[["row", "code"]].values.tolist() == [
        [2, "control-character"],
        [3, "bad-date"],
    ]
    assert data.tables["tickets"]["branch_key"].tolist() == ["A店"]


def test_a_file_full_of_nuls_is_refused_as_binary(tmp_path: Path) -> None:
    """Bytes with more than 40 NULs in the first 4 KiB are not a CSV: refused naming the file."""
    path = tmp_path / "工单.csv"
    path.write_bytes(b"\x01\x02" + b"\x00" * 100)
    with pytest.raises(InputError) as info:
        ingest([path], month=OCTOBER, required=TICKETS_ONLY)
    assert str(info.value) == "file 工单.csv: not a CSV text file (binary content)"
