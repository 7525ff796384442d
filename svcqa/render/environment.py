"""The Jinja environment shared by the branch reports and the rectification form.

Templates ship inside the package as ``svcqa.templates`` (the repo's top-level ``templates/``
folder, mapped by pyproject). A user folder can override any template, but only when asked for
explicitly: reports sent to branches must not change because a stray folder sits in the cwd.
Autoescape is on and undefined variables raise, so a missing value fails a test instead of
printing blank.
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

DASH = "—"


def packaged_template_dir() -> Path:
    """The folder holding the default templates: the installed package, else the source checkout."""
    try:
        folder = resources.files("svcqa.templates")
        path = Path(str(folder))
        if path.is_dir():
            return path
    except (ModuleNotFoundError, TypeError):  # not packaged yet / a namespace-less zip import
        pass
    return Path(__file__).resolve().parent.parent.parent / "templates"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def pct1(value: Any) -> str:
    """A rate fraction as a percentage with one decimal: 0.0345 -> ``3.5%``."""
    return DASH if _missing(value) else f"{float(value) * 100:.1f}%"


def days2(value: Any) -> str:
    """Days with two decimals: 4 -> ``4.00``."""
    return DASH if _missing(value) else f"{float(value):.2f}"


def pts2(value: Any) -> str:
    """Points with two decimals; ``-0.00`` never shows."""
    return DASH if _missing(value) else f"{float(value) + 0.0:.2f}".replace("-0.00", "0.00")


def signed(value: Any, digits: int = 2) -> str:
    """A change with its sign: ``+1.50``, ``-2.00``, ``0.00`` (no sign on zero)."""
    if _missing(value):
        return DASH
    number = round(float(value), digits)
    if number == 0:
        return f"{0:.{digits}f}"
    return f"{number:+.{digits}f}"


def metric(value: Any, unit: str = "") -> str:
    """A KPI metric value in its natural unit: rates as percentages, days and others with 2 decimals."""
    if _missing(value):
        return DASH
    if unit == "rate":
        return pct1(value)
    if unit == "count":
        number = float(value)
        return f"{number:.0f}" if number.is_integer() else f"{number:.2f}"
    return days2(value)


FILTERS = {"pct1": pct1, "days2": days2, "pts2": pts2, "signed": signed, "metric": metric}


def make_environment(user_dir: Path | None = None) -> Environment:
    """A Jinja environment: ``user_dir`` first when given (opt-in override), then the packaged templates."""
    if user_dir is None:
        return _default_environment()
    return _build([Path(user_dir), packaged_template_dir()])


@lru_cache(maxsize=1)
def _default_environment() -> Environment:
    # Compiled templates are cached by the environment; building it once keeps --all fast.
    return _build([packaged_template_dir()])


def _build(folders: list[Path]) -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(folder)) for folder in folders]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    return env
