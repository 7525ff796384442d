"""Every finding code svcqa emits is registered in svcqa.findings, and docs/FINDINGS.md is current.

The collector reads the source with ``ast`` and names no module: codes are found by how they are
passed, wherever the code lives.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest

from svcqa.findings import FINDING_TYPES, finding_type, markdown

from conftest import ROOT

PACKAGE = ROOT / "svcqa"
# A code is lower-case ASCII words joined by - (or _); other strings in the same places are
# not codes: np.char.add("WX...") matches problems.add(code, ...) by name, a {"code": "代码 code"}
# header label is a dict entry.
CODE_SHAPE = re.compile(r"[a-z0-9*][a-z0-9*_-]*")


def _glob(pattern: str) -> str:
    """``unknown-<column>`` and ``unknown-*`` both become ``unknown-*``."""
    return re.sub(r"<[^>]*>", "*", pattern)


def _code_params(trees: list[ast.Module]) -> dict[str, set[int]]:
    """Callable name -> positions of its parameter named ``code``: functions and methods
    (``self`` dropped), classes through ``__init__`` or their dataclass fields."""
    params: dict[str, set[int]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names = [a.arg for a in node.args.posonlyargs + node.args.args]
                if names and names[0] in ("self", "cls"):
                    names = names[1:]
                if "code" in names:
                    params.setdefault(node.name, set()).add(names.index("code"))
            elif isinstance(node, ast.ClassDef):
                fields = [
                    s.target.id
                    for s in node.body
                    if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
                ]
                if "code" in fields:
                    params.setdefault(node.name, set()).add(fields.index("code"))
                for s in node.body:
                    if isinstance(s, ast.FunctionDef) and s.name == "__init__":
                        names = [a.arg for a in s.args.posonlyargs + s.args.args][1:]
                        if "code" in names:
                            params.setdefault(node.name, set()).add(names.index("code"))
    return params


class _Codes:
    """The codes of one module: literals, and patterns (``*`` for a part built at run time)."""

    def __init__(self, tree: ast.Module, where: str):
        self.where = where
        self.found: dict[str, str] = {}  # code or pattern -> first place seen
        self.constants: dict[str, ast.expr] = {}  # module-level NAME = <dict literal>
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.constants[target.id] = node.value
        self.loops: dict[str, list[str]] = {}  # loop name -> the literal strings it runs over

    def loop_values(self, function: ast.AST) -> dict[str, list[str]]:
        loops: dict[str, list[str]] = {}
        for node in ast.walk(function):
            if (
                isinstance(node, ast.For)
                and isinstance(node.target, ast.Name)
                and isinstance(node.iter, (ast.Tuple, ast.List))
                and all(
                    isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.iter.elts
                )
            ):
                loops.setdefault(node.target.id, []).extend(e.value for e in node.iter.elts)
        return loops

    def parts(self, expr: ast.expr) -> list[list[str]]:
        """Alternatives for ``expr`` as lists of pieces; a piece ``None``-like (``*``) is dynamic."""
        if isinstance(expr, ast.Constant):
            return [[expr.value]] if isinstance(expr.value, str) else []
        if isinstance(expr, ast.JoinedStr):
            out: list[list[str]] = [[]]
            for value in expr.values:
                if isinstance(value, ast.FormattedValue):
                    name = value.value.id if isinstance(value.value, ast.Name) else None
                    options = self.loops.get(name, ["*"]) if name else ["*"]
                    out = [o + [v] for o in out for v in options]
                else:
                    out = [o + [str(value.value)] for o in out]
            return out
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left = self.parts(expr.left) or [["*"]]
            right = self.parts(expr.right) or [["*"]]
            return [a + b for a in left for b in right]
        if isinstance(expr, ast.IfExp):
            return self.parts(expr.body) + self.parts(expr.orelse)
        if isinstance(expr, ast.BoolOp):
            return [p for value in expr.values for p in self.parts(value)]
        if isinstance(expr, (ast.Call, ast.Subscript)):
            # NAME.get(key, "default") / NAME[key] over a module-level dict of codes
            func = expr.func if isinstance(expr, ast.Call) else None
            owner = (
                func.value
                if isinstance(func, ast.Attribute) and func.attr == "get"
                else expr.value
                if isinstance(expr, ast.Subscript)
                else None
            )
            if isinstance(owner, ast.Name) and owner.id in self.constants:
                table = self.constants[owner.id]
                assert isinstance(table, ast.Dict)
                out = [p for value in table.values for p in self.parts(value)]
                if isinstance(expr, ast.Call) and len(expr.args) > 1:
                    out += self.parts(expr.args[1])
                return out
        return []  # a name or attribute passed through (code=code, exc.code): not a source

    def add(self, expr: ast.expr | None, line: int) -> None:
        if expr is None:
            return
        for pieces in self.parts(expr):
            text = "".join(pieces)
            if text.strip("*") and CODE_SHAPE.fullmatch(text):
                self.found.setdefault(text, f"{self.where}:{line}")


def collect_codes(sources: dict[str, str]) -> dict[str, str]:
    """Every finding code in ``sources`` (name -> Python text): code -> where first seen.

    A code is a string passed as ``code=`` to any call, as the ``code`` parameter (by position)
    of any function, method, class or dataclass that has one (``Finding``, ``reject``,
    ``problems.add``), as a ``"code":`` dict entry, assigned to a name ``code`` (class defaults
    of the errors too) or given as the default of a ``code`` parameter. ``"unknown-" + name``
    yields the pattern ``unknown-*``; an f-string over a ``for`` loop of literals yields each.
    Only strings shaped like a code (``CODE_SHAPE``) count.
    """
    trees = {name: ast.parse(text) for name, text in sources.items()}
    params = _code_params(list(trees.values()))
    found: dict[str, str] = {}
    for name, tree in trees.items():
        codes = _Codes(tree, name)
        functions = [
            n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        ]
        scopes: list[ast.AST] = [tree, *functions]
        for scope in scopes:
            codes.loops = codes.loop_values(scope) if scope is not tree else {}
            body = (
                [
                    n
                    for s in tree.body
                    if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                    for n in ast.walk(s)
                ]
                if scope is tree
                else list(ast.walk(scope))
            )
            for node in body:
                if scope is tree and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue  # methods are their own scopes
                line = getattr(node, "lineno", 0)
                if isinstance(node, ast.Call):
                    for keyword in node.keywords:
                        if keyword.arg == "code":
                            codes.add(keyword.value, line)
                    func = node.func
                    called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                    for index in params.get(called or "", ()):
                        if index < len(node.args):
                            codes.add(node.args[index], line)
                elif isinstance(node, ast.Dict):
                    for key, value in zip(node.keys, node.values):
                        if isinstance(key, ast.Constant) and key.value == "code":
                            codes.add(value, line)
                elif isinstance(node, ast.Assign):
                    if any(isinstance(t, ast.Name) and t.id == "code" for t in node.targets):
                        codes.add(node.value, line)
                elif isinstance(node, ast.AnnAssign):
                    if isinstance(node.target, ast.Name) and node.target.id == "code":
                        codes.add(node.value, line)
                elif isinstance(node, ast.arguments):
                    positional = node.posonlyargs + node.args
                    defaults = dict(
                        zip(positional[len(positional) - len(node.defaults) :], node.defaults)
                    )
                    defaults.update(zip(node.kwonlyargs, node.kw_defaults))
                    for arg, default in defaults.items():
                        if arg.arg == "code":
                            codes.add(default, line)
        for code, where in codes.found.items():
            found.setdefault(code, where)
    return found


def _tree_codes() -> dict[str, str]:
    return collect_codes(
        {
            str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
            for p in sorted(PACKAGE.rglob("*.py"))
        }
    )


def _registered(code: str) -> bool:
    if "*" in code:
        return any(t.pattern and _glob(t.pattern) == code for t in FINDING_TYPES.values())
    return code in FINDING_TYPES


def test_every_emitted_code_is_registered() -> None:
    """Each code literal (or pattern) passed as a finding or error code in svcqa is in the registry."""
    found = _tree_codes()
    missing = {code: where for code, where in found.items() if not _registered(code)}
    assert missing == {}, "register these in svcqa/findings/ (and run make docs)"


def test_every_registered_code_is_emitted() -> None:
    """No dead entries: each registered code, or its pattern, is emitted somewhere in svcqa."""
    found = _tree_codes()
    dead = [
        t.code
        for t in FINDING_TYPES.values()
        if t.code not in found and not (t.pattern and _glob(t.pattern) in found)
    ]
    assert dead == []


def test_patterns_in_use_today() -> None:
    """The tree builds two codes from names: ``unknown-`` + an enum column, ``missing-`` + a form
    field (the loop's literals expand to concrete codes)."""
    found = _tree_codes()
    assert "unknown-*" in found
    assert {"missing-problem", "missing-measure", "missing-owner", "missing-deadline"} <= set(found)


def test_every_enum_column_has_its_unknown_code() -> None:
    """``unknown-<column>`` is registered for every enum column of the schema, so a new enum
    column cannot add an undocumented code."""
    from svcqa.schema import TABLES

    for table in TABLES.values():
        for column in table.columns:
            if column.type == "enum":
                code = "unknown-" + column.name.replace("_", "-")
                assert finding_type(code).pattern == "unknown-<column>"


SYNTHETIC = """
from dataclasses import dataclass

@dataclass
class Finding:
    code: str
    message: str

class Table:
    def reject(self, hit, code, column, reason): ...

class Problems:
    def add(self, code, reason): ...

class SomeError(Exception):
    code = "brand-new-error"
    def __init__(self, message, code="brand-new-default"): ...

CODES = {"int": "brand-new-bad-int"}

def run(table, problems, notes, kind, name):
    notes.append(Finding("brand-new-note", "text"))
    notes.append(Finding(code="month-inferred", message="known"))
    table.reject(None, "brand-new-reject", "col", "why")
    problems.add("brand-new-form-problem", "why")
    raise SomeError("boom", code="brand-new-keyword")
    row = {"code": "brand-new-dict", "reason": "why"}
    code = CODES.get(kind, "brand-new-fallback")
    code = "brand-new-" + name
    for field in ("a", "b"):
        problems.add(f"looped-{field}", "why")
    problems.add(code, "passed through, not a source")
    labels = {"code": "代码 code"}
    ids = np.char.add(f"WX{name}", "0001")
"""


def test_the_collector_finds_a_new_unregistered_code() -> None:
    """Fed a small source, the collector finds a code in each way it can be passed, and the
    registry check rejects every new one."""
    found = collect_codes({"synthetic.py": SYNTHETIC})
    assert set(found) == {
        "brand-new-error",
        "brand-new-default",
        "brand-new-note",
        "month-inferred",
        "brand-new-reject",
        "brand-new-form-problem",
        "brand-new-keyword",
        "brand-new-dict",
        "brand-new-bad-int",
        "brand-new-fallback",
        "brand-new-*",
        "looped-a",
        "looped-b",
    }
    assert [code for code in found if _registered(code)] == ["month-inferred"]


def test_finding_type_lookup() -> None:
    """finding_type returns the registered type and names an unknown code in its KeyError."""
    assert finding_type("bad-date").kind == "reject"
    assert finding_type("outside-month").kind == "exclude"
    with pytest.raises(KeyError, match="no-such-code"):
        finding_type("no-such-code")


def test_findings_module_needs_no_pandas() -> None:
    """svcqa.findings imports with the standard library only."""
    code = "import sys, svcqa.findings; assert 'pandas' not in sys.modules and 'numpy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_committed_docs_match_the_registry() -> None:
    """docs/FINDINGS.md is exactly what ``python -m svcqa.findings --markdown`` prints (make docs)."""
    committed = (ROOT / "docs" / "FINDINGS.md").read_text(encoding="utf-8")
    assert committed == markdown(), "docs/FINDINGS.md is stale: run make docs"


def test_markdown_lists_every_code() -> None:
    """The generated page has a row for each registered code."""
    text = markdown()
    for code in FINDING_TYPES:
        assert f"| `{code}`" in text
