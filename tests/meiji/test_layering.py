"""The arrows of the design are a test: which package may import which, and no import cycles.

``meiji → moderation → content → (media, search interfaces) → kernel``: the kernel imports no room,
media and search import no other room, content reaches search only through its interface and its
outbox, and only the composition root (``meiji``) imports everything.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kernel", "meiji", "content", "media", "search", "moderation")

# What each package may import of the others (itself always). A room's public modules are named
# where only part of it is open to another.
ALLOWED: dict[str, tuple[str, ...]] = {
    "kernel": (),
    "media": ("kernel",),
    "search": ("kernel",),
    "content": ("kernel", "media.interfaces", "search.interfaces", "search.outbox"),
    "moderation": ("kernel", "content.interfaces", "content.services", "media.interfaces", "search.interfaces"),
    "meiji": ("kernel", "content", "media", "search", "moderation"),
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue  # generated, and they import only Tortoise
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(path: Path, module: str, *, top_level_only: bool) -> Iterator[str]:
    """The project modules ``path`` imports (at module level only, when asked)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in nodes:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            if name.split(".")[0] in PACKAGES:
                yield name


def _allowed(importer: str, imported: str) -> bool:
    own = importer.split(".")[0]
    if imported.split(".")[0] == own:
        return True
    return any(imported == rule or imported.startswith(rule + ".") for rule in ALLOWED[own])


def test_every_import_follows_the_arrows_of_the_design() -> None:
    modules = _modules()
    wrong = sorted(f"{name} imports {imported}"
                   for name, path in modules.items()
                   for imported in _imports(path, name, top_level_only=False)
                   if not _allowed(name, imported) and imported in modules)
    assert wrong == []


def test_no_module_imports_itself_back_through_others() -> None:
    modules = _modules()
    graph = {name: {imported for imported in _imports(path, name, top_level_only=False)
                    if imported in modules and imported != name}
             for name, path in modules.items()}
    # Importing ``a.b`` runs ``a/__init__.py`` first: a package's own re-exports are not a cycle.
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if node.startswith(nxt + ".") or nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_rules_catch_a_forbidden_arrow() -> None:
    assert not _allowed("kernel.web.auth", "meiji.accounts")
    assert not _allowed("media.storage", "content.models")
    assert not _allowed("content.demo", "meiji.accounts.services")
    assert _allowed("moderation.services.targets", "content.services")
    assert _allowed("content.services.lifecycle", "search.outbox")
