"""TOML text read safely, for rubrics and alias files alike.

``tomllib`` recurses once per level of nested arrays and inline tables, and a file thousands of
levels deep ended in a ``RecursionError``. The depth is measured first, by a loop over tokens
(strings and comments skipped), and deeper files are refused: a rubric or an alias file needs
three or four levels.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

MAX_TOML_NESTING = 64
_TOKENS = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]'
)


class TooDeeplyNested(ValueError):
    """The text nests arrays or tables deeper than ``MAX_TOML_NESTING``."""


def toml_nesting(text: str) -> int:
    """The deepest nesting of ``[`` and ``{`` in TOML text, strings and comments skipped."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in ("]", "}"):
            depth = max(depth - 1, 0)
    return deepest


def loads(text: str) -> dict[str, Any]:
    """``tomllib.loads`` after the depth check; ``TooDeeplyNested`` instead of a recursion."""
    if toml_nesting(text) > MAX_TOML_NESTING:
        raise TooDeeplyNested(f"nested more than {MAX_TOML_NESTING} levels deep")
    try:
        return tomllib.loads(text)
    except RecursionError:  # a safety net: the depth check should have refused it
        raise TooDeeplyNested(f"nested more than {MAX_TOML_NESTING} levels deep") from None
