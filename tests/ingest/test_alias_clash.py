"""An alias file or rubric giving one header to two columns (issue 19): an error naming the file,
the line, the header, both columns and the fix, not "no column for 网点"."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.errors import InputError
from svcqa.ingest import ingest
from svcqa.ingest.aliases import load_alias_file


def test_a_header_the_schema_gives_another_column_is_named_with_its_line(tmp_path: Path) -> None:
    """ticket_id = ["网点"] (网点 is branch's built-in spelling) names the file, line 3 and both columns."""
    path = tmp_path / "my-aliases.toml"
    path.write_text('# ours\n[aliases.tickets]\nticket_id = ["单据号", "网点"]\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_alias_file(path)
    assert info.value.code == "bad-aliases"
    assert str(info.value) == (
        "file my-aliases.toml: the alias file has problems\n"
        "  - header '网点' is given to two columns of tickets: ticket_id (line 3) and branch (a "
        "built-in spelling); a header can name one column: remove it from ticket_id's list, or "
        "map the other column to another header"
    )


def test_one_header_under_two_columns_of_the_file_names_both_lines(tmp_path: Path) -> None:
    """编号 under ticket_id (line 2) and branch (line 3) through `svcqa check`: exit 1, both lines named."""
    (tmp_path / "al.toml").write_text(
        '[aliases.tickets]\nticket_id = ["编号"]\nbranch = ["编号"]\n', encoding="utf-8"
    )
    (tmp_path / "工单.csv").write_text(
        "编号,服务类型,受理时间\nT1,换机,2026-10-03 10:00\n", encoding="utf-8"
    )
    result = CliRunner().invoke(
        app, ["check", str(tmp_path / "工单.csv"), "--aliases", str(tmp_path / "al.toml")]
    )
    assert result.exit_code == 1
    assert (
        "header '编号' is given to two columns of tickets: branch (line 3) and ticket_id (line 2)"
        in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_rubric_aliases_giving_a_taken_header_are_refused(tmp_path: Path) -> None:
    """Extra aliases (the rubric's [aliases]) giving 受理时间 to completed_at name both columns."""
    path = tmp_path / "工单.csv"
    path.write_text("工单号,网点,受理时间\nT1,A店,2026-10-03 10:00\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        ingest([path], extra_aliases={"tickets": {"completed_at": ["受理时间"]}})
    assert str(info.value) == (
        "the aliases give the header '受理时间' to two columns of tickets: completed_at and "
        "accepted_at; a header can name one column: remove it from completed_at's list in the "
        "rubric's [aliases.tickets] or the --aliases file"
    )
