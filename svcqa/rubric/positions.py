"""Where a rubric key is written: TOML key paths to line numbers, for error messages.

``tomllib`` gives no positions, so ``KeyLines`` scans headers and ``key =`` lines of the text;
it only points at problems, never reads values.
"""

from __future__ import annotations

import re
from typing import Any


class KeyLines:
    """Map key paths (``("kpis", 2, "curve", "full")``) to the line that defines them.

    tomllib gives no positions, so this scans headers and ``key =`` lines; it is only used
    to point at problems, never to read values.
    """

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    _KEY = re.compile(
        r'^\s*((?:"[^"]*"|\'[^\']*\'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|\'[^\']*\'|[A-Za-z0-9_\-]+))*)\s*='
    )

    def __init__(self, text: str):
        self.lines: dict[tuple[Any, ...], int] = {}
        counts: dict[tuple[Any, ...], int] = {}
        header: tuple[Any, ...] = ()
        depth = 0  # bracket depth inside multi-line arrays / inline tables
        for number, line in enumerate(text.splitlines(), start=1):
            if depth == 0:
                match = self._HEADER.match(line)
                if match:
                    parts = self._resolve(self._split(match.group(2)), counts)
                    if match.group(1) == "[[":
                        key = tuple(parts)
                        counts[key] = counts.get(key, -1) + 1
                        parts = [*parts, counts[key]]
                    header = tuple(parts)
                    self._remember(header, number)
                    continue
                match = self._KEY.match(line)
                if match:
                    self._remember(header + tuple(self._split(match.group(1))), number)
            stripped = re.sub(
                r'"[^"]*"|\'[^\']*\'', "", line.split("#", 1)[0] if '"' not in line else line
            )
            depth = max(
                0,
                depth
                + stripped.count("[")
                + stripped.count("{")
                - stripped.count("]")
                - stripped.count("}"),
            )

    @staticmethod
    def _split(dotted: str) -> list[str]:
        return [p.strip().strip("\"'") for p in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', dotted)]

    @staticmethod
    def _resolve(parts: list[str], counts: dict[tuple[Any, ...], int]) -> list[Any]:
        # [kpis.metric] after [[kpis]] means the last kpis element's metric.
        out: list[Any] = []
        for part in parts:
            out.append(part)
            if tuple(out) in counts and len(out) < len(parts):
                out.append(counts[tuple(out)])
        return out

    def _remember(self, path: tuple[Any, ...], number: int) -> None:
        for i in range(1, len(path) + 1):
            self.lines.setdefault(path[:i], number)

    def find(self, path: tuple[Any, ...]) -> int | None:
        for i in range(len(path), 0, -1):
            if path[:i] in self.lines:
                return self.lines[path[:i]]
        return None


def key_text(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"
