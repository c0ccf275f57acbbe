"""No import cycle among the modules of ``epix``.

Every import counts: at module level, inside functions, and under ``TYPE_CHECKING``.
A package's ``__init__`` is treated as what it is, a list of re-exports:

- ``from epix.signing import policy`` imports the module ``epix.signing.policy``;
- ``from epix.signing import SigningKey`` imports the module that defines
  ``SigningKey`` (``epix.signing.keys``), found by following the ``__init__``'s own
  ``from … import`` lines;
- importing ``epix.signing.keys`` does not count as importing ``epix.signing``, although
  Python runs the ``__init__`` first.

So a submodule may import its siblings through the package without being reported,
while ``a`` importing ``b`` and ``b`` importing ``a`` in any of these forms is a cycle.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int


def modules(package: Path) -> dict[str, Path]:
    """Every module below ``package``, by dotted name; a package's name maps to its ``__init__.py``."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _imports(name: str, path: Path, *, top_level_only: bool = False) -> list[tuple[str, str | None, int]]:
    """``(module, imported name or None, line)`` for each import statement of a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    nodes = tree.body if top_level_only else ast.walk(tree)
    found: list[tuple[str, str | None, int]] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = name if _is_package(path) else name.rpartition(".")[0]
                anchor = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
                base = f"{anchor}.{base}" if base else anchor
            found += [(base, alias.name, node.lineno) for alias in node.names]
    return found


class ImportGraph:
    def __init__(self, package: Path):
        self.files = modules(package)
        self._reexports: dict[str, dict[str, str]] = {}

    def reexports(self, package: str) -> dict[str, str]:
        """The names a package's ``__init__`` imports from elsewhere, and where from."""
        if package not in self._reexports:
            self._reexports[package] = {
                name: base for base, name, _ in _imports(package, self.files[package], top_level_only=True)
                if name is not None
            }
        return self._reexports[package]

    def resolve(self, base: str, name: str | None) -> str | None:
        """The module of ``self.files`` that ``from base import name`` (or ``import base``) depends on."""
        seen = set()
        while name is not None and (base, name) not in seen:
            seen.add((base, name))
            if f"{base}.{name}" in self.files:
                return f"{base}.{name}"
            origin = self.reexports(base).get(name) if base in self.files and _is_package(self.files[base]) else None
            if origin is None:
                break
            base = origin
        while base and base not in self.files:
            base = base.rpartition(".")[0]
        return base or None

    def imports(self) -> list[Import]:
        found = []
        for source, path in self.files.items():
            for base, name, line in _imports(source, path):
                target = self.resolve(base, name)
                if target is not None and target != source:
                    found.append(Import(source, target, line))
        return found

    def cycles(self) -> list[list[Import]]:
        """One example cycle per strongly connected group of modules, as the imports that make it."""
        imports = self.imports()
        graph: dict[str, dict[str, Import]] = {m: {} for m in self.files}
        for edge in imports:
            graph[edge.source].setdefault(edge.target, edge)
        return [_cycle_through(group, graph) for group in _strongly_connected(graph) if len(group) > 1]


def _strongly_connected(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    groups.append(sorted(group))
    return groups


def _cycle_through(group: list[str], graph: dict[str, dict[str, Import]]) -> list[Import]:
    """The shortest path from the group's first module back to itself, within the group."""
    start, members = group[0], set(group)
    paths: dict[str, list[Import]] = {start: []}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target, edge in sorted(graph[node].items()):
                if target == start:
                    return [*paths[node], edge]
                if target in members and target not in paths:
                    paths[target] = [*paths[node], edge]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {group}")


def _describe(cycle: list[Import]) -> str:
    return cycle[0].source + "".join(f" -> {edge.target} (line {edge.line} of {edge.source})" for edge in cycle)


def test_epix_has_no_import_cycle() -> None:
    cycles = ImportGraph(ROOT / "epix").cycles()
    assert not cycles, "import cycles among the modules of epix:\n" + "\n".join(_describe(c) for c in cycles)


# ---------------------------------------------------------------------------
# The check itself, on small packages.

def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


@pytest.mark.parametrize("second", [
    "from pkg.a import thing\n",
    "import pkg.a\n",
    "from pkg import a\n",
    "from . import a\n",
    "def later():\n    from pkg.a import thing\n",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import thing\n",
    "from pkg.sub import thing\n",
])
def test_a_cycle_in_any_form_is_found(tmp_path: Path, second: str) -> None:
    package = _package(tmp_path, {
        "pkg/__init__.py": "", "pkg/a.py": "from pkg.b import other\nthing = 1\n", "pkg/b.py": second,
        "pkg/sub/__init__.py": "from pkg.a import thing\n",
    })
    cycles = ImportGraph(package).cycles()
    assert len(cycles) == 1
    assert {edge.source for edge in cycles[0]} >= {"pkg.a", "pkg.b"}


def test_a_package_reexporting_its_modules_is_no_cycle(tmp_path: Path) -> None:
    package = _package(tmp_path, {
        "pkg/__init__.py": "from pkg.a import A\nfrom pkg.b import B\n",
        "pkg/a.py": "A = 1\n",
        "pkg/b.py": "from pkg import A\nfrom pkg import a\nB = A\n",
    })
    graph = ImportGraph(package)
    assert {(i.source, i.target) for i in graph.imports()} == {
        ("pkg", "pkg.a"), ("pkg", "pkg.b"), ("pkg.b", "pkg.a"),
    }
    assert graph.cycles() == []
