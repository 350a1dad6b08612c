"""The import rules of DESIGN "Layout", checked on the source: the domain imports nothing of
ours, nothing below the edge imports a web framework, and imports point one way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "frsgate"
WEB = ("fastapi", "starlette", "uvicorn", "jinja2")
LAYERS = ("api", "web", "cli", "services")  # the layers that may import the layers below them


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(sub: str) -> list[Path]:
    return sorted((PACKAGE / sub).rglob("*.py"))


@pytest.mark.parametrize("sub", ["domain", "policy", "ledger", "vault", "store", "services"])
def test_no_web_framework_below_the_edge(sub: str) -> None:
    for path in _modules(sub):
        bad = {n for n in _imports(path) if n.split(".")[0] in WEB}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {sorted(bad)}"


def test_domain_imports_nothing_of_ours() -> None:
    for path in _modules("domain"):
        ours = {
            n
            for n in _imports(path)
            if n.startswith("frsgate") and not n.startswith("frsgate.domain")
        }
        assert not ours, f"{path.relative_to(PACKAGE)} imports {sorted(ours)}"


@pytest.mark.parametrize("sub", ["domain", "policy", "ledger", "vault", "connectors", "store"])
def test_lower_layers_never_import_the_upper_ones(sub: str) -> None:
    for path in _modules(sub):
        upward = {
            n
            for n in _imports(path)
            if any(n == f"frsgate.{layer}" or n.startswith(f"frsgate.{layer}.") for layer in LAYERS)
        }
        assert not upward, f"{path.relative_to(PACKAGE)} imports {sorted(upward)}"


def test_services_never_import_the_edge() -> None:
    for path in _modules("services"):
        edge = {
            n for n in _imports(path) if n.startswith(("frsgate.api", "frsgate.web", "frsgate.cli"))
        }
        assert not edge, f"{path.relative_to(PACKAGE)} imports {sorted(edge)}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_import_cycles_inside_services() -> None:
    modules = {_module_name(p): p for p in _modules("services")}
    graph = {
        name: {
            target
            for imported in _imports(path)
            for target in modules
            if imported == target or imported.startswith(f"{target}.")
        }
        - {name}
        for name, path in modules.items()
    }
    # Also `from frsgate.services import facts`: the names imported from the package.
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "frsgate.services":
                graph[name] |= {f"frsgate.services.{a.name}" for a in node.names} & set(modules)
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        if module in done:
            return
        assert module not in visiting, " -> ".join([*visiting, module])
        visiting.append(module)
        for target in sorted(graph[module]):
            visit(target)
        visiting.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)
    assert len(done) == len(modules) > 10


@pytest.mark.parametrize("edge", ["api", "cli"])
def test_the_edge_reaches_the_store_only_through_services(edge: str) -> None:
    for path in _modules(edge):
        store = {n for n in _imports(path) if n.split(".")[:2] == ["frsgate", "store"]}
        assert not store, f"{path.relative_to(PACKAGE)} imports {sorted(store)}"
        if edge == "api":
            sql = {n for n in _imports(path) if n.split(".")[0] == "sqlalchemy"}
            assert not sql, f"{path.relative_to(PACKAGE)} imports {sorted(sql)}"


def test_the_cli_serves_no_http() -> None:
    """The command line calls the services; only `frsgate serve` (which starts the HTTP app)
    may load the web framework's edge."""
    for path in _modules("cli"):
        if path.name == "serve.py":
            continue
        edge = {n for n in _imports(path) if n.startswith(("frsgate.api", "frsgate.web"))}
        assert not edge, f"{path.relative_to(PACKAGE)} imports {sorted(edge)}"
