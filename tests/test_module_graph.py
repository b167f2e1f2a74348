"""State without circles (issue 24): `state/` owns storage (ledger, tokens, audit, webhook rows,
schema versions), `webhooks.py` owns verification and receiving, `config` reads settings. Read from
the source: every import (at any depth in a module, typing-only ones aside), followed through."""

from __future__ import annotations

import ast
from pathlib import Path

import stripe_power

PACKAGE = Path(stripe_power.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: set[str]) -> set[str]:
    """The package modules `path` imports when it runs (not under `if TYPE_CHECKING:`); `from a
    import b` is module a.b when that is a module, else a."""
    tree = ast.parse(path.read_text())
    here = module_name(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            for alias in node.names:
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in imports(path, set(modules)) if m in modules and m != name}
        for name, path in modules.items()
    }


def reaches(edges: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(edges[start])
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += edges.get(name, ())
    return seen


def test_config_state_and_webhooks_import_one_way() -> None:
    edges = graph()
    state = {name for name in edges if name == "stripe_power.state" or name.startswith("stripe_power.state.")}
    for name in state:
        assert "stripe_power.webhooks" not in reaches(edges, name), name
    assert not reaches(edges, "stripe_power.config") & (state | {"stripe_power.webhooks"})
    assert "stripe_power.state.webhook_store" in reaches(edges, "stripe_power.webhooks")
    for name in {"stripe_power.webhooks", *state}:
        assert name not in reaches(edges, name), f"{name} imports itself through others"


def test_webhooks_holds_no_storage() -> None:
    source = (PACKAGE / "webhooks.py").read_text()
    assert "sqlite3" not in source and "CREATE TABLE" not in source
    assert len(source.splitlines()) < 400


SANDBOX_GROUPS = {"core", "payments", "billing", "checkout", "connect", "pages", "dashboard"}


def test_sandbox_is_laid_out_by_product() -> None:
    """Issue 27: a reader finds a sandbox behaviour by its product, so every module lives in a group
    (`static/` holds the pages' files); a new module goes into one, never beside them."""
    sandbox = PACKAGE / "sandbox"
    flat = sorted(p.name for p in sandbox.glob("*.py") if p.name != "__init__.py")
    assert not flat, f"put {flat} in one of sandbox/{sorted(SANDBOX_GROUPS)}"
    folders = {p.name for p in sandbox.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == SANDBOX_GROUPS | {"static"}, "a new group belongs in this test and README's layout"
    assert not list((sandbox / "static").glob("*.py"))
    for group in SANDBOX_GROUPS - {"dashboard"}:
        body = ast.parse((sandbox / group / "__init__.py").read_text()).body
        assert len(body) == 1 and ast.get_docstring(ast.Module(body, [])), (
            f"{group}/__init__.py: a docstring only"
        )
