"""The code's layout (issue 20, item 2: a room per concern): the modules of orchestration/
and ingestion/ import one another without a circle, and none uses another's private
(underscore) name.

Read from the source with ``ast``, nothing imported: every ``import`` and ``from … import``
counts, absolute or relative, at module level or inside a function. ``from pkg import
name`` imports the submodule ``pkg.name`` when there is one, else the name from ``pkg``.
A private name counts whether it is imported (``from m import _x``) or reached through an
imported module (``m._x``).
"""

from __future__ import annotations

import ast
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("orchestration", "ingestion")

# Import circles and private names the layout still has, each with why it stays. Empty:
# add an entry only with a reason, and remove it when its cause goes.
ALLOWED_CYCLES: set[frozenset[str]] = set()  # the modules of one circle
ALLOWED_PRIVATE: set[tuple[str, str]] = set()  # (using module, "module._name")


def module_files(root: Path) -> dict[str, Path]:
    """Every module under the project's packages, by dotted name."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _uses(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, str | None, int]]:
    """(project module, name used from it or None, line) for each import in one module,
    and for each attribute reached through a module it imported."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: list[tuple[str, str | None, int]] = []
    bound: dict[str, str] = {}  # local name → the module (or package prefix) it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = alias.name
                while target and target not in modules:  # `import a.b` where b is a name
                    target = target.rpartition(".")[0]
                if target:
                    found.append((target, None, node.lineno))
                first = alias.name.partition(".")[0]
                bound[alias.asname or first] = target if alias.asname else first
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in modules:
                    found.append((submodule, None, node.lineno))
                    bound[alias.asname or alias.name] = submodule
                elif source in modules and alias.name != "*":
                    found.append((source, alias.name, node.lineno))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and _is_private(node.attr)):
            continue
        owner = _dotted(node.value)
        if owner is None:
            continue
        head, _, rest = owner.partition(".")
        if head in bound:
            target = bound[head] + (f".{rest}" if rest else "")
            if target in modules:
                found.append((target, node.attr, node.lineno))
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module → the project modules it imports (itself left out)."""
    modules = module_files(root)
    return {
        name: {target for target, _, _ in _uses(name, path, modules) if target != name}
        for name, path in modules.items()
    }


def private_uses(root: Path) -> list[tuple[str, str, int]]:
    """(using module, "module._name", line) for each private name of another module that
    a module imports or reaches through an imported module, and each private module
    imported."""
    modules = module_files(root)
    found = []
    for name, path in modules.items():
        for target, used, line in _uses(name, path, modules):
            if target == name:
                continue
            last = used if used is not None else target.rpartition(".")[2]
            if _is_private(last):
                found.append((name, f"{target}.{used}" if used else target, line))
    return sorted(set(found), key=lambda f: (f[0], f[2], f[1]))


def import_cycles(graph: dict[str, set[str]]) -> list[tuple[list[str], set[str]]]:
    """Each group of modules that import one another (Tarjan's strongly connected
    components), with one circle through it: a path that starts and ends at the same
    module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [(_circle(graph, group), group) for group in groups]


def _circle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest circle through the group's first module, staying inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for v in frontier:
            for w in sorted(graph[v] & group):
                if w == start:
                    return [*paths[v], start]
                if w not in paths:
                    paths[w] = [*paths[v], w]
                    following.append(w)
        frontier = following
    raise AssertionError(f"no circle in {sorted(group)}")


def test_no_import_cycles() -> None:
    found = [
        " → ".join(circle) + f"  (modules in the circle: {', '.join(sorted(group))})"
        for circle, group in import_cycles(import_graph(PROJECT_ROOT))
        if frozenset(group) not in ALLOWED_CYCLES
    ]
    assert not found, "import circles:\n" + "\n".join(found)


def test_no_private_names_across_modules() -> None:
    found = [
        f"{module}:{line} uses {target}"
        for module, target, line in private_uses(PROJECT_ROOT)
        if (module, target) not in ALLOWED_PRIVATE
    ]
    assert not found, "private names used across modules:\n" + "\n".join(found)


def test_the_checks_see_circles_and_private_names(tmp_path: Path) -> None:
    """On a made-up tree: a circle through a relative import inside a function, a private
    name imported from another module and one reached through an imported module are
    found; a module's own private names are not."""
    pkg = tmp_path / "orchestration"
    (pkg / "sub").mkdir(parents=True)
    (tmp_path / "ingestion").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from orchestration.sub import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from .c import g\n")
    (pkg / "sub" / "c.py").write_text("import orchestration.a\n\n_h = 1\ng = _h\n")
    (tmp_path / "ingestion" / "d.py").write_text(
        "from orchestration.sub.c import _h, g\nimport orchestration.sub.c as c\n\nc._k()\n"
    )

    assert import_cycles(import_graph(tmp_path)) == [
        (
            ["orchestration.a", "orchestration.sub.b", "orchestration.sub.c", "orchestration.a"],
            {"orchestration.a", "orchestration.sub.b", "orchestration.sub.c"},
        )
    ]
    assert private_uses(tmp_path) == [
        ("ingestion.d", "orchestration.sub.c._h", 1),
        ("ingestion.d", "orchestration.sub.c._k", 4),
    ]
