"""Tests for header finding, alias normalisation and sheet-name recognition."""

from __future__ import annotations

from pathlib import Path

import pytest

from svcqa.errors import InputError
from svcqa.ingest.aliases import build_specs, load_alias_file, normalise_label
from svcqa.ingest.header import find_header


def test_normalise_label() -> None:
    """Labels match after NFKC, whitespace removal, star stripping and case folding."""
    assert normalise_label(" 受理 时间* ") == "受理时间"
    assert normalise_label("ＩＭＥＩ") == "imei"
    assert normalise_label("*工单号") == "工单号"
    assert normalise_label("C\x00o\x00l") == "col"


def test_find_header_below_title_and_blank_rows() -> None:
    """The header is the row matching most aliases, below a title and a blank row."""
    rows = [
        ["2026年10月工单明细", None, None],
        [None, None, None],
        ["工单号*", "网点名称", "接单时间"],
        ["T1", "A", "2026-10-01"],
    ]
    match = find_header(rows, build_specs()["tickets"])
    assert match is not None and match.row == 2
    assert match.columns == {"ticket_id": 0, "branch": 1, "accepted_at": 2}
    assert match.header_of("accepted_at") == "接单时间"


def test_find_header_duplicates_first_wins() -> None:
    """Two cells for one column: the better-ranked alias (then the leftmost) wins; the other is noted."""
    rows = [["工单号", "网点", "受理时间", "受理时间", "受理日期"]]
    match = find_header(rows, build_specs()["tickets"])
    assert match is not None and match.columns["accepted_at"] == 2
    assert [d[2] for d in match.duplicates] == [3, 4]


def test_find_header_none_when_nothing_matches() -> None:
    """A sheet whose rows match no alias has no header."""
    assert find_header([["foo", "bar"], ["1", "2"]], build_specs()["tickets"]) is None


def test_sheet_match_contains_and_exact() -> None:
    """Sheet names match aliases exactly or by containment; exact and longer aliases score higher."""
    specs = build_specs()
    assert specs["tickets"].sheet_match("2026年10月工单明细") > 0
    assert specs["tickets"].sheet_match(" 工单 ") > specs["tickets"].sheet_match("工单明细表")
    assert specs["cooperation"].sheet_match("配合评分") > specs["scores"].sheet_match("配合评分")
    assert specs["complaints"].sheet_match("Sheet1") == 0


def test_extra_aliases_and_alias_file(tmp_path: Path) -> None:
    """An alias file adds header and sheet aliases; unknown tables are reported."""
    path = tmp_path / "aliases.toml"
    path.write_text(
        '[aliases.tickets]\nticket_id = ["单据号"]\n__sheet__ = ["维修单"]\n', encoding="utf-8"
    )
    aliases = load_alias_file(path)
    assert aliases == {"tickets": {"ticket_id": ["单据号"], "__sheet__": ["维修单"]}}
    spec = build_specs(extra_aliases=aliases)["tickets"]
    assert spec.sheet_match("维修单") > 0
    assert find_header([["单据号", "网点", "受理时间"]], spec).columns["ticket_id"] == 0  # type: ignore[union-attr]
    bad = tmp_path / "bad.toml"
    bad.write_text('[aliases.nosuch]\nx = ["y"]\n', encoding="utf-8")
    with pytest.raises(InputError, match="unknown table 'nosuch'"):
        load_alias_file(bad)
