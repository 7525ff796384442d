"""The Jinja environment shared by the branch reports and the rectification form.

Templates ship inside the package as ``svcqa.templates`` (the repo's top-level ``templates/``
folder, mapped by pyproject). A user folder can override any template, but only when asked for
explicitly: reports sent to branches must not change because a stray folder sits in the cwd.
Autoescape is on and undefined variables raise, so a missing value fails a test instead of
printing blank.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from svcqa.render.formats import days2, metric, pct1, pts2, signed

__all__ = ["FILTERS", "make_environment", "packaged_template_dir"]


def packaged_template_dir() -> Path:
    """The folder holding the default templates: the source checkout this package was imported
    from, else the installed package.

    The checkout comes first because an editable install maps ``svcqa.templates`` to the folder
    of the checkout it was installed from: another worktree importing its own ``svcqa`` (with
    ``PYTHONPATH``) would otherwise render that checkout's templates, not its own.
    """
    source = Path(__file__).resolve().parent.parent.parent / "templates"
    if (source / "report.html.j2").is_file():
        return source
    try:
        folder = resources.files("svcqa.templates")
        path = Path(str(folder))
        if path.is_dir():
            return path
    except (ModuleNotFoundError, TypeError):  # not packaged yet / a namespace-less zip import
        pass
    return source


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
