"""The rubric reference (docs/rubric.md) is generated from the loader's declarations and stays true."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from svcqa.cli import app
from svcqa.errors import RubricError
from svcqa.ingest.parse import FLAG_VALUES
from svcqa.rubric import CURVE_KINDS, METRIC_KINDS, Curve, load_rubric_text, spec
from svcqa.rubric.reference import render
from svcqa.scoring.curves import apply_curve, round_points

from conftest import ROOT

runner = CliRunner()

RUBRIC = """
id = "calls"
name = "Calls"
max = 10

[[grades]]
name = "ok"
min = 0
coefficient = 1.0

[columns.tickets.answered]
type = "flag"

[columns.tickets.queue]
type = "text"

[[kpis]]
id = "answered"
label = "Answered"
points = 10
metric = { kind = "count", table = "tickets", filter = { answered = true, queue = ["Sales", "Billing"] } }
curve = { kind = "deduct", per = 1 }
"""


def test_committed_reference_is_current() -> None:
    """docs/rubric.md is exactly what ``python -m svcqa.rubric.reference`` prints (make docs)."""
    committed = (ROOT / "docs" / "rubric.md").read_text(encoding="utf-8")
    assert committed == render(), "docs/rubric.md is stale: run make docs"


def test_every_kind_the_loader_accepts_has_a_section_with_its_parameters() -> None:
    """Each metric and curve kind the loader accepts has a heading and a row for every parameter."""
    text = render()
    assert (
        set(METRIC_KINDS) == {k.name for k in spec.METRIC_KINDS} and len(METRIC_KINDS) == 12
    )  # share_in (issue 20)
    assert set(CURVE_KINDS) == {"linear", "deduct", "rating", "bands", "ratio"}
    for kinds in (spec.METRIC_KINDS, spec.CURVE_KINDS):
        for kind in kinds:
            start = text.index(f"### `{kind.name}`\n")
            body = text[start : text.find("\n### ", start + 1)]
            for param in kind.all_params():
                assert f"| `{param.name}` |" in body, (kind.name, param.name)
    for name in ("share_over", "threshold", "op", "basis_table", "bands", "ratio", "min_basis"):
        assert f"`{name}`" in text


def test_every_section_key_the_loader_accepts_is_documented() -> None:
    """Each section the loader reads is in the section table, with a row for each of its keys."""
    text = render()
    for section in spec.SECTIONS:
        if section.header:
            assert f"| `{section.header}` |" in text
        for key in section.keys:
            assert f"| `{key.name}` |" in text
    for topic in ("## Filters", "## Flags", "## Rounding and totals", "[aliases.tickets]"):
        assert topic in text


def test_loader_accepts_only_the_declared_kinds_and_parameters() -> None:
    """A kind or parameter missing from the declarations is refused, naming what the kind takes."""
    base = RUBRIC
    with pytest.raises(RubricError) as info:
        load_rubric_text(base.replace('kind = "count"', 'kind = "median"'))
    assert "unknown metric kind 'median'" in str(info.value.reasons)
    with pytest.raises(RubricError) as info:
        load_rubric_text(base.replace("per = 1 }", "per = 1, full = 3 }"))
    assert info.value.reasons == [
        "kpis[0].curve.full (line 22): 'full' is not a parameter of curve kind deduct; it takes "
        "kind, per (see docs/rubric.md)"
    ]
    with pytest.raises(RubricError) as info:
        load_rubric_text(base.replace('table = "tickets",', 'table = "tickets", threshold = 3,'))
    assert "'threshold' is not a parameter of metric kind count" in info.value.reasons[0]


@pytest.mark.parametrize(
    "example",
    [ex for kind in spec.CURVE_KINDS for ex in kind.examples],
    ids=lambda ex: ex.curve,
)
def test_worked_curve_examples_agree_with_scoring(example: spec.CurveExample) -> None:
    """Each hand-computed example in the reference is what scoring gives for the same curve."""
    kind = re.search(r'kind = "(\w+)"', example.curve)
    assert kind is not None
    params = dict(example.params)
    if kind.group(1) == "linear":
        params["better"] = "lower" if params["full"] < params["zero"] else "higher"  # type: ignore[operator]
    curve = Curve(kind.group(1), **params)  # type: ignore[arg-type]
    points = round_points(apply_curve(curve, np.array([example.value]), example.points))
    assert points[0] == pytest.approx(example.expected, abs=1e-9)


def test_flag_spellings_are_the_ones_ingest_reads() -> None:
    """The flag spellings the reference lists are exactly ingest's."""
    assert {s: True for s in spec.FLAG_TRUE} | {s: False for s in spec.FLAG_FALSE} == FLAG_VALUES
    text = render()
    assert "- true: `是` `y` `yes`" in text and "- false: `否` `n` `no`" in text


def test_rubric_show_prints_filters_with_their_columns() -> None:
    """`rubric show` names each filter's column, flags as true/false and lists joined by '/'."""
    rubric = load_rubric_text(RUBRIC)
    assert (
        rubric.kpis[0].metric.describe()
        == "count tickets · answered = true · queue = Sales/Billing"
    )
    shown = runner.invoke(app, ["rubric", "show", "gd-mobile-aftersales", "--format", "json"])
    texts = [k["metric_text"] for k in json.loads(shown.stdout)["kpis"]]
    assert texts[0] == "mean cycle days · service_type = exchange"
    table = runner.invoke(app, ["rubric", "show", "gd-mobile-aftersales"], env={"COLUMNS": "200"})
    assert "mean cycle days · service_type = exchange" in table.stdout
