"""`svcqa whatif`: stored months re-scored under a variant rubric, compared, the store untouched."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from svcqa.cli import app

from conftest import SAMPLE_DATA

runner = CliRunner()
MONTHS = ("2026-08", "2026-09", "2026-10")


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200", "SVCQA_DB": ""})


def variant_rubric(folder: Path) -> Path:
    """The README's variant of the preset: complaint_rate 25 points, exchange_cycle 17 points
    with full marks up to 2.5 days."""
    shown = invoke("rubric", "show", "gd-mobile-aftersales", "--format", "toml")
    assert shown.exit_code == 0, shown.output
    text = shown.stdout.replace('id = "gd-mobile-aftersales"', 'id = "my-rubric"', 1)
    text, n1 = re.subn(r'(id = "exchange_cycle"(?:\n(?!\[\[).*)*?\npoints = )12', r"\g<1>17", text)
    text, n2 = re.subn(
        r"curve = \{ kind = \"linear\", full = 3, zero = 7 \}",
        'curve = { kind = "linear", full = 2.5, zero = 7 }',
        text,
    )
    text, n3 = re.subn(r'(id = "complaint_rate"(?:\n(?!\[\[).*)*?\npoints = )30', r"\g<1>25", text)
    assert (n1, n2, n3) == (1, 1, 1)
    path = folder / "my-rubric.toml"
    path.write_text(text, encoding="utf-8")
    return path


def score_json(path: Path, db: Path, out: Path, *extra: str) -> dict:
    result = invoke(
        "score", str(path), "--db", str(db), "--out", str(out), "--format", "json", *extra
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def sample_store(tmp_path: Path) -> tuple[Path, dict[str, Path], dict[str, dict]]:
    """The three sample months copied into tmp_path and scored, in order, into one store."""
    db = tmp_path / "svcqa.db"
    files, scored = {}, {}
    for month in MONTHS:
        files[month] = shutil.copy(SAMPLE_DATA / f"{month}.xlsx", tmp_path / f"{month}.xlsx")
        scored[month] = score_json(files[month], db, tmp_path / "out" / month)
    return db, files, scored


def totals(branches: list[dict], side: str | None = None) -> dict[str, float]:
    return {b["branch"]: (b[side] if side else b)["total"] for b in branches}


def test_whatif_totals_equal_scoring_the_files_with_the_variant_into_a_copy(
    tmp_path: Path, sample_store: tuple[Path, dict[str, Path], dict[str, dict]]
) -> None:
    """Every branch's variant total is what scoring its month with the variant into a copy of the
    store gives, the active side is the stored scorecard, and the store's bytes are unchanged."""
    db, files, scored = sample_store
    variant = variant_rubric(tmp_path)
    before = db.read_bytes()
    result = invoke(
        "whatif", "--from", MONTHS[0], "--to", MONTHS[-1], "--rubric", str(variant),
        "--db", str(db), "--out", str(tmp_path / "w"), "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert db.read_bytes() == before
    assert document["months"] == list(MONTHS)
    assert document["payout"] is None  # the sample roster has no base fee column
    assert (tmp_path / "w" / "whatif.xlsx").is_file()
    for month in MONTHS:
        rows = [b for b in document["branches"] if b["month"] == month]
        copy = tmp_path / f"copy-{month}.db"
        shutil.copy(db, copy)
        expected = score_json(
            files[month], copy, tmp_path / "copy" / month, "--rubric", str(variant)
        )
        assert totals(rows, "variant") == totals(expected["branches"])
        assert totals(rows, "active") == totals(scored[month]["branches"])
        assert {b["branch"]: b["variant"]["rank"] for b in rows} == {
            b["branch"]: b["rank"] for b in expected["branches"]
        }
    moved = [
        round(abs(b["variant"]["total"] - b["active"]["total"]), 2) for b in document["branches"]
    ]
    assert moved == sorted(moved, reverse=True)  # biggest movers first
    assert max(moved) > 1  # the variant does move totals


def test_a_changed_recorded_input_is_an_error_naming_the_file_and_the_fix(
    tmp_path: Path, sample_store: tuple[Path, dict[str, Path], dict[str, dict]]
) -> None:
    """A recorded input whose bytes changed stops the run (exit 1) naming it; the same month's
    files given on the command line are re-scored instead."""
    db, files, _scored = sample_store
    original = files["2026-10"].read_bytes()
    files["2026-10"].write_bytes(original + b"\0")
    variant = variant_rubric(tmp_path)
    result = invoke("whatif", "--month", "2026-10", "--rubric", str(variant), "--db", str(db))
    assert result.exit_code == 1
    message = result.stderr
    assert str(files["2026-10"]) in message and "has changed" in message
    assert "pass the month's files on the command line" in message
    given = tmp_path / "given.xlsx"
    given.write_bytes(original)
    result = invoke(
        "whatif", str(given), "--month", "2026-10", "--rubric", str(variant),
        "--db", str(db), "--out", str(tmp_path / "w"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "my-rubric" in result.stdout


FEE_RUBRIC = """
id = "{id}"
name = "Fees"
max = 10

[[grades]]
name = "A"
min = 8
coefficient = 1.1

[[grades]]
name = "B"
min = 0
coefficient = 0.9

[columns.branches.base_fee]
type = "number"
aliases = ["基础费用"]

[[kpis]]
id = "cycle"
label = "Cycle"
points = 10
metric = {{ kind = "mean_cycle_days" }}
curve = {{ kind = "linear", full = {full}, zero = {zero} }}
"""
# branch -> (cycle days of its one ticket, base fee)
BRANCHES = {"甲店": (1, 10000.0), "乙店": (2, 20000.0), "丙店": (3, 30000.5)}


def linear(days: float, full: float, zero: float) -> float:
    return 10.0 if days <= full else max(0.0, (zero - days) / (zero - full) * 10)


def fee_month(make_workbook: Callable[..., Path], month: str) -> Path:
    """A month workbook: one ticket per branch taking its cycle days, and the roster's base fees."""
    tickets = [["工单号", "网点", "受理时间", "完成时间"]]
    for i, (name, (days, _fee)) in enumerate(BRANCHES.items()):
        tickets.append([f"T{i}", name, f"{month}-0{i + 1} 09:00", f"{month}-0{i + 1 + days} 09:00"])
    roster = [["网点名称", "基础费用"]] + [[n, fee] for n, (_d, fee) in BRANCHES.items()]
    return make_workbook({"工单": tickets, "网点名单": roster}, name=f"{month}.xlsx")


def test_fees_are_base_fee_times_coefficient_and_add_up_to_the_payout_change(
    tmp_path: Path, make_workbook: Callable[..., Path]
) -> None:
    """With [columns.branches.base_fee] in the roster, each fee is base fee x coefficient under
    each rubric and the per-branch fee changes sum to the reported payout change."""
    month = fee_month(make_workbook, "2026-10")
    active, variant = tmp_path / "active.toml", tmp_path / "variant.toml"
    active.write_text(FEE_RUBRIC.format(id="fees", full=1, zero=3), encoding="utf-8")
    variant.write_text(FEE_RUBRIC.format(id="fees-v", full=2, zero=4), encoding="utf-8")
    db = tmp_path / "fees.db"
    score_json(month, db, tmp_path / "out", "--rubric", str(active), "--month", "2026-10")
    result = invoke(
        "whatif", "--month", "2026-10", "--rubric", str(variant), "--db", str(db),
        "--out", str(tmp_path / "w"), "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    rows = {b["branch"]: b for b in document["branches"]}
    changes = 0.0
    for name, (days, base) in BRANCHES.items():
        for side, (full, zero) in (("active", (1, 3)), ("variant", (2, 4))):
            total = linear(days, full, zero)
            coefficient = 1.1 if total >= 8 else 0.9
            assert rows[name][side]["total"] == pytest.approx(total, abs=0.01)
            assert rows[name][side]["coefficient"] == coefficient
            assert rows[name][side]["fee"] == pytest.approx(round(base * coefficient, 2))
        changes += rows[name]["variant"]["fee"] - rows[name]["active"]["fee"]
    payout = document["payout"]
    assert payout["change"] == pytest.approx(changes, abs=0.005)
    assert payout["change"] == pytest.approx(payout["variant"] - payout["active"], abs=0.005)
    assert payout["change"] == pytest.approx(20000 * 0.2 + 30000.5 * 0.0, abs=0.005)
    table = invoke("whatif", "--month", "2026-10", "--rubric", str(variant), "--db", str(db),
                   "--out", str(tmp_path / "w"))  # fmt: skip
    assert table.exit_code == 0, table.output
    lines = [line for line in table.stdout.splitlines() if "店" in line]
    assert [line.split("│")[1].strip() for line in lines] == ["丙店", "乙店", "甲店"]
    assert "18,000.00 → 22,000.00" in lines[1] and "+4,000.00" in lines[1]
    assert "27,000.45 → 27,000.45" in lines[0]  # 30000.5 x 0.9, to the cent
    assert "总费用：56,000.45 → 60,000.45（+4,000.00）" in table.stdout  # the rubric is zh
    book = openpyxl.load_workbook(tmp_path / "w" / "whatif.xlsx", read_only=True)
    assert book.sheetnames == ["汇总", "指标得分"]
    kpi_rows = [row for row in book["指标得分"].iter_rows(min_row=2, values_only=True)]
    assert ("2026-10", "乙店", "Cycle", 5, 10, 10, 10, 5) in kpi_rows


def test_against_a_rubric_rescores_both_and_mixed_stored_rubrics_are_noted(
    tmp_path: Path, make_workbook: Callable[..., Path]
) -> None:
    """--against RUBRIC re-scores every month under it too (whatever each was stored under), and
    months stored under different rubrics get a note on stderr."""
    active, variant = tmp_path / "active.toml", tmp_path / "variant.toml"
    active.write_text(FEE_RUBRIC.format(id="fees", full=1, zero=3), encoding="utf-8")
    variant.write_text(FEE_RUBRIC.format(id="fees-v", full=2, zero=4), encoding="utf-8")
    db = tmp_path / "fees.db"
    sep, oct_ = fee_month(make_workbook, "2026-09"), fee_month(make_workbook, "2026-10")
    score_json(sep, db, tmp_path / "o9", "--rubric", str(active), "--month", "2026-09")
    score_json(oct_, db, tmp_path / "o10", "--rubric", str(variant), "--month", "2026-10")
    result = invoke(
        "whatif", "--from", "2026-09", "--to", "2026-10", "--rubric", str(variant),
        "--against", str(active), "--db", str(db), "--out", str(tmp_path / "w"), "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "different rubrics" in result.stderr and "2026-09 fees" in result.stderr
    rows = json.loads(result.stdout)["branches"]
    assert len(rows) == 6
    for row in rows:
        days = BRANCHES[row["branch"]][0]
        assert row["active"]["total"] == pytest.approx(linear(days, 1, 3), abs=0.01)
        assert row["variant"]["total"] == pytest.approx(linear(days, 2, 4), abs=0.01)
