"""What all branch reports of one scorecard share, computed once: ``ReportContext``.

Medians and best values per KPI (the peer comparison), the ranking, the evidence formatted as
text and grouped by branch, all-branch complaint shares and the trend as plain records.
``write_branch_reports`` builds it once and renders hundreds of branches from it.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from svcqa.findings import RUBRIC_MISMATCH_CODES
from svcqa.labels import EVIDENCE_KIND_LABELS, report_labels, yes_no
from svcqa.models import EVIDENCE_COLUMNS, BranchResult, Scorecard
from svcqa.render.formats import better_direction
from svcqa.render.report.appeals import appeal_texts
from svcqa.render.report.model import MismatchLine


class ReportContext:
    """Per-scorecard figures every branch report needs; build once, render many branches."""

    def __init__(
        self,
        scorecard: Scorecard,
        *,
        trend: pd.DataFrame | None = None,
        previous: Scorecard | None = None,
        lang: str = "zh",
        column_labels: Mapping[str, str] | None = None,
    ):
        self.scorecard = scorecard
        # The rubric's declared columns by label in the evidence (a flag's category and detail).
        self.column_labels = dict(column_labels or {})
        self.lang = lang
        self.t = report_labels(lang)
        self.by_key = {b.branch_key: b for b in scorecard.branches}
        self.names = {b.branch_key: b.branch for b in scorecard.branches}
        assessed = [b for b in scorecard.branches if b.assessed and b.rank is not None]
        self.ranking: list[BranchResult] = sorted(
            assessed, key=lambda b: (b.rank, -b.total, b.branch)
        )
        self.position = {b.branch_key: i for i, b in enumerate(self.ranking)}
        self.rank_count = len(self.ranking)
        self.previous = {b.branch_key: b for b in previous.branches} if previous is not None else {}
        self._peer_figures()
        self._evidence()
        self._trend(trend)
        self._sections()

    # Medians and best values per KPI over assessed branches with data.
    def _peer_figures(self) -> None:
        records = [
            (
                b.branch_key,
                k.id,
                np.nan if k.value is None else float(k.value),  # NaN stays NaN
                k.points,
                k.no_data or k.excluded,
            )
            for b in self.scorecard.branches
            if b.assessed
            for k in b.kpis
        ]
        frame = pd.DataFrame(
            records, columns=["branch_key", "kpi_id", "value", "points", "no_data"]
        )
        frame = frame[~frame["no_data"] & frame["value"].notna()]
        self.median: dict[str, float] = (
            {
                str(kpi_id): v
                for kpi_id, v in frame.groupby("kpi_id")["value"].median().to_dict().items()
            }
            if len(frame)
            else {}
        )
        self.best: dict[str, tuple[float, str]] = {}
        curves = {k.id: k.curve for b in self.scorecard.branches[:1] for k in b.kpis}
        for kpi_id, part in frame.groupby("kpi_id", sort=False):
            direction = better_direction(curves.get(str(kpi_id), {}))
            # Best value first; among equal values the one with more points, then by name.
            key = (
                part["value"]
                if direction == "lower"
                else -part["value"]
                if direction == "higher"
                else -part["points"]
            )
            order = np.lexsort(
                (part["branch_key"].to_numpy(), -part["points"].to_numpy(), key.to_numpy())
            )
            top = part.iloc[order[0]]
            self.best[str(kpi_id)] = (
                float(top["value"]),
                self.names.get(top["branch_key"], str(top["branch_key"])),
            )

    # The evidence, formatted once as text columns, sorted so each branch (and within it each KPI)
    # is one contiguous run: a branch's rows are then array slices, not DataFrame filters.
    def _evidence(self) -> None:
        ev = self.scorecard.evidence
        if ev is None or not len(ev):
            ev = pd.DataFrame(columns=EVIDENCE_COLUMNS)
        ev = ev.reindex(columns=EVIDENCE_COLUMNS)
        kpi_order = {k.id: i for b in self.scorecard.branches[:1] for i, k in enumerate(b.kpis)}
        order = ev["kpi_id"].map(kpi_order).fillna(len(kpi_order)).astype("int64")
        ev = ev.assign(_kpi_order=order.to_numpy(), _key=ev["branch_key"].astype(str))
        ev = ev.sort_values(
            ["_key", "_kpi_order", "kpi_id", "date", "ref", "row"],
            kind="stable",
            na_position="last",
        )
        value_num = pd.to_numeric(ev["value"], errors="coerce")
        row_num = pd.to_numeric(ev["row"], errors="coerce")
        kinds = ev["kind"].fillna("").astype(str)
        kind_labels = EVIDENCE_KIND_LABELS[self.lang]
        self.evidence: dict[str, np.ndarray] = {
            "branch_key": ev["_key"].to_numpy(dtype=object),
            "kpi_id": _text_column(ev["kpi_id"]),
            "kind_code": kinds.to_numpy(dtype=object),
            "kind": kinds.map(lambda k: kind_labels.get(k, k)).to_numpy(dtype=object),
            "ref": _text_column(ev["ref"]),
            "date": _date_column(ev["date"]),
            "value": _number_column(value_num, ev["value"]),
            "category": _labelled(_text_column(ev["category"]), self.column_labels),
            "detail": _flag_details(
                _text_column(ev["detail"]), kinds, self.lang, self.column_labels
            ),
            "file": _text_column(ev["file"]),
            "sheet": _text_column(ev["sheet"]),
            "row": np.where(
                row_num.notna(), row_num.fillna(0).astype("int64").astype(str), ""
            ).astype(object),
            "value_num": value_num.to_numpy(dtype="float64"),
            "row_num": row_num.to_numpy(dtype="float64"),
        }
        self.evidence["category"], self.evidence["detail"] = appeal_texts(
            self.evidence["category"], self.evidence["detail"], kinds, self.lang
        )
        keys = self.evidence["branch_key"]
        self.evidence_ranges: dict[str, tuple[int, int]] = {}
        if len(keys):
            starts = np.concatenate(([0], np.flatnonzero(keys[1:] != keys[:-1]) + 1))
            ends = np.append(starts[1:], len(keys))
            self.evidence_ranges = {str(keys[a]): (int(a), int(b)) for a, b in zip(starts, ends)}
        is_complaint = self.evidence["kind_code"] == "complaint"
        categories = pd.Series(self.evidence["category"][is_complaint], dtype=object).replace(
            "", self.uncategorised
        )
        counts = categories.value_counts()
        self.all_complaint_share: dict[str, float] = (
            {str(category): share for category, share in (counts / counts.sum()).to_dict().items()}
            if len(counts)
            else {}
        )

    def _sections(self) -> None:
        """Which optional sections the rubric and the month have data for, and the rubric
        mismatch findings (the KPIs each names), once for every branch."""
        card = self.scorecard
        kinds = set(pd.unique(self.evidence["kind_code"]))
        has = {
            "peers": len(self.ranking) > 1,
            "hot_spots": "complaints" in card.inputs or "complaint" in kinds,
            "incentives": "incentives" in card.inputs
            or "incentive" in kinds
            or any(b.incentive_points for b in card.branches),
        }
        self.sections = frozenset(name for name, present in has.items() if present)
        kpis = card.branches[0].kpis if card.branches else []
        self.mismatches = tuple(
            MismatchLine(
                code=note.code,
                kpis=tuple(k.label for k in kpis if f"{k.id} (" in note.message),
                kpi_ids=tuple(k.id for k in kpis if f"{k.id} (" in note.message),
                message=note.message,
            )
            for note in card.notes
            if note.code in RUBRIC_MISMATCH_CODES
        )

    @property
    def uncategorised(self) -> str:
        return self.t["uncategorised"]

    def _trend(self, trend: pd.DataFrame | None) -> None:
        self.trend = trend if trend is not None and len(trend) else None
        self.trend_rows: dict[str, np.ndarray] = {}
        # The trend as plain records, converted once: 500 branches each slicing the frame
        # (iloc, filter, to_dict) cost seconds in ``report --all``; indexing a list costs nothing.
        self.trend_records: list[dict[Hashable, Any]] = []
        self.trend_rank_count = self.rank_count
        # month -> "old version → new version" where the month's rubric differs from the month before
        self.rubric_changes: dict[str, str] = {}
        if self.trend is None:
            return
        frame = self.trend.copy()
        frame["month"] = frame["month"].astype(str)
        frame = frame.sort_values("month", kind="stable").reset_index(drop=True)
        self.trend = frame
        self.trend_rows = {
            str(key): np.asarray(rows)
            for key, rows in frame.groupby(
                frame["branch_key"].astype(str), sort=False
            ).indices.items()
        }
        self.trend_records = frame.to_dict("records")
        if "rubric_version" in frame:
            versions = frame.drop_duplicates("month")[["month", "rubric_version"]].to_numpy()
            for (_, before), (month, after) in zip(versions, versions[1:]):
                if before != after:
                    self.rubric_changes[str(month)] = f"{before} → {after}"
        if "rank" in frame:
            ranked = pd.to_numeric(frame["rank"], errors="coerce")
            per_month = ranked.groupby(frame["month"]).max()
            if len(per_month.dropna()):
                self.trend_rank_count = max(self.rank_count, int(per_month.max()))

    def branch_evidence(self, branch_key: str) -> dict[str, np.ndarray]:
        """The branch's evidence rows as array slices (views, no copy)."""
        start, end = self.evidence_ranges.get(branch_key, (0, 0))
        return {name: values[start:end] for name, values in self.evidence.items()}


def _text_column(series: pd.Series) -> np.ndarray:
    """Input text as str, blanks for missing values (never 'nan').

    Converted as objects: ``np.where`` over ``astype(str)`` built a fixed-width unicode array as
    wide as the longest detail text for 300k evidence rows, then copied it back to objects.
    """
    return series.astype(object).where(series.notna(), "").astype(str).to_numpy(dtype=object)


def _date_column(series: pd.Series) -> np.ndarray:
    """ISO text as given; real timestamps as ``YYYY-MM-DD`` (with time when not midnight)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        has_time = (series.dt.normalize() != series).fillna(False)
        text = np.where(
            has_time, series.dt.strftime("%Y-%m-%d %H:%M"), series.dt.strftime("%Y-%m-%d")
        )
        return np.where(series.isna(), "", text).astype(object)
    # ISO text from the evidence ("2026-10-01T10:00:00"): minutes are enough, midnight is a date.
    text = series.astype(object).where(series.notna(), "").astype(str)
    text = text.str.replace(
        r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?$", r"\1 \2", regex=True
    )
    return text.str.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00$", r"\1", regex=True).to_numpy(
        dtype=object
    )


def _number_column(numbers: pd.Series, raw: pd.Series) -> np.ndarray:
    """Numbers with up to two decimals (integers without), other text as given."""
    out = _text_column(raw)
    values = numbers.to_numpy(dtype="float64")
    present = ~np.isnan(values)
    whole = present & (values == np.round(values))
    out[whole] = [str(v) for v in values[whole].astype("int64").tolist()]
    out[present & ~whole] = [f"{v:.2f}" for v in values[present & ~whole].tolist()]
    return out


def _labelled(category: np.ndarray, labels: Mapping[str, str]) -> np.ndarray:
    """Declared column names in ``category`` as their labels (other values as they are)."""
    if not labels or not len(category):
        return category
    return pd.Series(category, dtype=object).replace(labels).to_numpy(dtype=object)


def _flag_details(
    detail: np.ndarray, kinds: pd.Series, lang: str, labels: Mapping[str, str]
) -> np.ndarray:
    """A flag row's detail ("answered = 否", as scoring writes it) as the column's label and
    yes/no in ``lang`` ("Answered = no"). The distinct details are few (a flag column, two
    values): each is rewritten once and spread back by its code."""
    flagged = (kinds == "flagged").to_numpy()
    if not flagged.any():
        return detail
    codes, distinct = pd.factorize(pd.Series(detail[flagged], dtype=object))
    words = {"否": yes_no(False, lang), "是": yes_no(True, lang)}
    rewritten = []
    for text in distinct:
        column, sep, word = str(text).rpartition(" = ")
        rewritten.append(
            f"{labels.get(column, column)} = {words.get(word, word)}" if sep else str(text)
        )
    detail = detail.copy()
    detail[flagged] = np.asarray(rewritten, dtype=object)[codes]
    return detail
