"""The layout's contract, the parts import-linter's contracts cannot say generically
(docs/architecture.md): no import circle anywhere, every application module under
the layers contract, package ``__init__`` files that import nothing, modules a
reader can hold."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("workflow", "storage", "engine", "definitions")
FACES = ("engine.cli", "engine.service", "engine.web")
MAX_LINES = 500
# modules allowed past MAX_LINES; each says why in its opening docstring
LONGER = {"workflow.calendar.audit": 600}


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*PACKAGES, include_external_packages=False)


def _edges(graph) -> dict[str, set[str]]:
    """Who imports whom, lazy imports inside functions included, plus what Python
    itself runs: importing ``a.b`` first runs the package ``a``."""
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    for m in graph.modules:
        if "." in m:
            edges[m].add(m.rsplit(".", 1)[0])
    return edges


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in edges:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_circle_finder_finds_a_circle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(edges) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles(graph):
    assert _circles(_edges(graph)) == []


def test_every_application_module_is_in_the_layers_contract(graph):
    """A new module at engine/'s top must be placed in a layer, or no contract would check it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = [c for c in config["tool"]["importlinter"]["contracts"] if c.get("containers") == ["engine"]]
    layered = {f"engine.{name.strip()}" for layer in contract["layers"] for name in layer.replace("|", ":").split(":")}
    children = {m for m in graph.find_children("engine")}
    assert children - layered == set()
    assert set(FACES) <= layered


def test_package_init_files_import_nothing_of_the_project():
    """``__init__`` files are docstrings: importing ``a.b`` runs ``a`` first, so an ``__init__``
    that imports its own submodules closes a circle with each of them."""
    offenders = []
    for init in sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("__init__.py")):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            if any(n.split(".")[0] in PACKAGES for n in names) or (isinstance(node, ast.ImportFrom) and node.level):
                offenders.append(str(init.relative_to(ROOT)))
    assert offenders == []


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def test_modules_a_reader_can_hold():
    too_long = {}
    for pkg in ("workflow", "storage", "engine"):
        for path in (ROOT / pkg).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = _module_name(path)
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > LONGER.get(name, MAX_LINES):
                too_long[name] = lines
            elif name in LONGER:
                doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
                assert "stays one module" in doc, f"{name} is allowed to be longer: its docstring must say why"
    assert too_long == {}


def test_help_loads_no_heavy_module():
    """``ruam --help`` stays fast: the parser modules import neither the engine nor its libraries."""
    import subprocess

    probe = ("import sys; from engine.cli.ruam import build_parser; build_parser(); "
             "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
             "('sqlalchemy', 'fastapi', 'structlog', 'transitions', 'yaml', 'apscheduler', 'storage') "
             "or m in ('engine.app', 'workflow.machine', 'workflow.replay')); print(heavy)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"
