"""A rubric's English names, read from its TOML text: what the store reads back for a month.

The names (``name_en``, ``[[grades]] label_en``, ``[[kpis]] label_en`` and ``group_en``) are
read from the text, not from a validated ``Rubric``, so a month stored long ago under a rubric
today's loader would no longer accept still renders in English; a text without them (or not
readable at all) gives no English names, and every output falls back to the names themselves.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from typing import Any

from svcqa.models import EnglishNames


def _text(item: Any, key: str) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    return value.strip() if isinstance(value, str) else ""


def _tables(doc: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = doc.get(key)
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


@lru_cache(maxsize=32)
def english_names(source_text: str) -> EnglishNames:
    """The English names a rubric's TOML gives (empty where it gives none)."""
    try:
        doc = tomllib.loads(source_text)
    except (tomllib.TOMLDecodeError, TypeError):
        return EnglishNames()
    grades = {_text(g, "name"): _text(g, "label_en") for g in _tables(doc, "grades")}
    kpis = _tables(doc, "kpis")
    groups: dict[str, str] = {}
    for k in kpis:  # the first English heading given for a group names it
        if _text(k, "group") and _text(k, "group_en"):
            groups.setdefault(_text(k, "group"), _text(k, "group_en"))
    return EnglishNames(
        rubric=_text(doc, "name_en"),
        kpis={_text(k, "id"): _text(k, "label_en") for k in kpis if _text(k, "label_en")},
        grades={name: en for name, en in grades.items() if name and en},
        groups=groups,
    )
