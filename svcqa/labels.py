"""User-facing labels: Chinese by default (as in the rubrics), English available."""

from __future__ import annotations

from collections.abc import Mapping

from svcqa.errors import UsageError

FLAG_LABELS = {
    "zh": {
        "last_place": "末位",
        "rectification_required": "须整改",
        "contract_review": "协议清算评估",
        "grace_month": "新签约首月(不排名)",
        "veto": "一票否决",
        "partial_quarter": "季度数据不全",
    },
    "en": {
        "last_place": "last place",
        "rectification_required": "rectification required",
        "contract_review": "contract review",
        "grace_month": "grace month (not ranked)",
        "veto": "veto",
        "partial_quarter": "partial quarter",
    },
}


def flag_label(flag: str, lang: str = "zh") -> str:
    return FLAG_LABELS.get(lang, FLAG_LABELS["en"]).get(flag, flag)


def flags_text(flags: list[str], lang: str = "zh") -> str:
    return (
        "、".join(flag_label(f, lang) for f in flags)
        if lang == "zh"
        else ", ".join(flag_label(f, lang) for f in flags)
    )


def trend_arrow(delta: float | None) -> str:
    """↑, ↓ or → for a change (rounded to the hundredth, as totals are shown); "" when unknown."""
    if delta is None:
        return ""
    delta = round(delta, 2)
    return "↑" if delta > 0 else ("↓" if delta < 0 else "→")


def labels_in(sets: Mapping[str, Mapping[str, str]], lang: str) -> Mapping[str, str]:
    """The label set of ``lang`` from ``{lang: labels}``; an unknown language is a usage error."""
    if lang not in sets:
        raise UsageError(f"--lang must be one of {', '.join(sets)}, not {lang!r}")
    return sets[lang]
