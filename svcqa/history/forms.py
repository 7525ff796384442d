"""Rectification forms in the history store: what was issued, what came back, which measures.

Functions over an open ``HistoryStore`` using only its public ``writing()`` / ``reading()``
transactions, so every change is one transaction: issuing a batch of forms records all of them or none, and collecting
a form replaces the branch-month's earlier return and measures in one step (never half-written).
Tables: ``rectify_forms``, ``rectify_returns``, ``rectify_measures`` (migration 2).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from svcqa.history.store import HistoryStore
from svcqa.models import Measure, Month

MEASURE_COLUMNS = [
    "branch_key",
    "month",
    "row",
    "kpi_id",
    "problem",
    "measure",
    "owner",
    "deadline",
    "target",
    "collected_at",
    "source_file",
]


@dataclass(frozen=True)
class IssuedForm:
    """One issued form as recorded: who, which month, why, the files, and the protected cells."""

    form_id: str
    branch_key: str
    branch: str
    month: str
    issued_at: str
    rubric_id: str
    form_version: int
    reasons: list[str]
    due_date: str
    files: list[dict[str, str]]
    layout: dict[str, Any]
    locked_cells: dict[str, Any]
    locked_sha256: str


@dataclass(frozen=True)
class CollectedForm:
    """What a valid filled-in form records: the return and its measures."""

    form_id: str
    branch_key: str
    month: str
    collected_at: str
    source_file: str
    source_sha256: str
    texts: dict[str, str] = field(default_factory=dict)
    measures: list[Measure] = field(default_factory=list)


_FORM_COLUMNS = "form_id, branch_key, branch, month, issued_at, rubric_id, form_version, reasons, due_date, files, layout, locked_cells, locked_sha256"
_JSON_FIELDS = ("reasons", "files", "layout", "locked_cells")


def _form(row: Sequence[Any]) -> IssuedForm:
    names = [n.strip() for n in _FORM_COLUMNS.split(",")]
    values = dict(zip(names, row))
    for name in _JSON_FIELDS:
        values[name] = json.loads(values[name])
    return IssuedForm(**values)


def record_issued(store: HistoryStore, forms: Sequence[IssuedForm]) -> None:
    """Record a batch of issued forms in one transaction (re-issuing the same form id replaces it)."""
    rows = [
        (
            f.form_id,
            f.branch_key,
            f.branch,
            f.month,
            f.issued_at,
            f.rubric_id,
            f.form_version,
            json.dumps(f.reasons, ensure_ascii=False),
            f.due_date,
            json.dumps(f.files, ensure_ascii=False),
            json.dumps(f.layout, ensure_ascii=False),
            json.dumps(f.locked_cells, ensure_ascii=False),
            f.locked_sha256,
        )
        for f in forms
    ]
    with store.writing() as conn:
        conn.executemany(
            f"INSERT OR REPLACE INTO rectify_forms ({_FORM_COLUMNS}) VALUES ({', '.join('?' * 13)})",
            rows,
        )


def issued_form(store: HistoryStore, form_id: str) -> IssuedForm | None:
    """The issued form with this id, or None when this store never issued it."""
    with store.reading() as conn:
        row = conn.execute(
            f"SELECT {_FORM_COLUMNS} FROM rectify_forms WHERE form_id = ?", (form_id,)
        ).fetchone()
    return _form(row) if row is not None else None


def issued_forms(store: HistoryStore, month: Month | None = None) -> list[IssuedForm]:
    """The latest issued form per branch and month (optionally one month), by month then branch."""
    where, params = ("WHERE month = ?", (str(month),)) if month is not None else ("", ())
    with store.reading() as conn:
        rows = conn.execute(
            f"SELECT {_FORM_COLUMNS} FROM rectify_forms {where} ORDER BY month, branch_key, issued_at, form_id",
            params,
        ).fetchall()
    latest: dict[tuple[str, str], IssuedForm] = {}
    for row in rows:
        form = _form(row)
        latest[(form.month, form.branch_key)] = form  # later issues overwrite earlier ones
    return list(latest.values())


def record_collected(store: HistoryStore, forms: Sequence[CollectedForm]) -> None:
    """Record valid collected forms in one transaction, replacing each branch-month's earlier return."""
    with store.writing() as conn:
        for f in forms:
            conn.execute(
                "DELETE FROM rectify_measures WHERE branch_key = ? AND month = ?",
                (f.branch_key, f.month),
            )
            conn.execute(
                "INSERT OR REPLACE INTO rectify_returns (branch_key, month, form_id, collected_at, source_file, source_sha256, texts) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    f.branch_key,
                    f.month,
                    f.form_id,
                    f.collected_at,
                    f.source_file,
                    f.source_sha256,
                    json.dumps(f.texts, ensure_ascii=False),
                ),
            )
            conn.executemany(
                "INSERT INTO rectify_measures (branch_key, month, row, kpi_id, problem, measure, owner, deadline, target, collected_at, source_file) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        f.branch_key,
                        f.month,
                        m.row,
                        m.kpi_id,
                        m.problem,
                        m.measure,
                        m.owner,
                        m.deadline,
                        m.target,
                        f.collected_at,
                        f.source_file,
                    )
                    for m in f.measures
                ],
            )


def returns(
    store: HistoryStore, month: Month | None = None
) -> dict[tuple[str, str], dict[str, Any]]:
    """(month, branch_key) -> the collected return (form id, when, source file, texts)."""
    where, params = ("WHERE month = ?", (str(month),)) if month is not None else ("", ())
    with store.reading() as conn:
        rows = conn.execute(
            f"SELECT month, branch_key, form_id, collected_at, source_file, source_sha256, texts FROM rectify_returns {where}",
            params,
        ).fetchall()
    return {
        (m, key): {
            "form_id": fid,
            "collected_at": at,
            "source_file": src,
            "source_sha256": sha,
            "texts": json.loads(texts),
        }
        for m, key, fid, at, src, sha, texts in rows
    }


def measures(
    store: HistoryStore, month: Month | None = None, branch_keys: Sequence[str] | None = None
) -> pd.DataFrame:
    """Collected measures (``MEASURE_COLUMNS``), optionally of one month and some branches, in row order."""
    clauses, params = [], []
    if month is not None:
        clauses.append("month = ?")
        params.append(str(month))
    if branch_keys is not None:
        clauses.append(
            f"branch_key IN ({', '.join('?' for _ in branch_keys)})" if branch_keys else "0"
        )
        params.extend(branch_keys)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with store.reading() as conn:
        rows = conn.execute(
            f"SELECT {', '.join(MEASURE_COLUMNS)} FROM rectify_measures {where} ORDER BY month, branch_key, row",
            params,
        ).fetchall()
    return pd.DataFrame(rows, columns=MEASURE_COLUMNS)


__all__ = [
    "CollectedForm",
    "IssuedForm",
    "MEASURE_COLUMNS",
    "Measure",
    "issued_form",
    "issued_forms",
    "measures",
    "record_collected",
    "record_issued",
    "returns",
]
