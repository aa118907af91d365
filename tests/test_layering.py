"""The package's folders show the pipeline (issue 18), and stay that way: each room imports only the rooms
below it, nothing but the foundations sits directly under `registry/`, no module grows past 500 lines, and
the declared dependencies are what the package imports."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "registry"
# Bottom to top. A room may import its own modules and those of earlier layers; rooms in one layer are peers
# and may not import each other. The README's architecture table lists the same rooms in the same order.
LAYERS = [
    {"namespaces"}, {"tables"}, {"sparql"}, {"store"}, {"config"},
    {"catalogue"}, {"submissions"}, {"scoring", "taxonomy", "publication", "workflow"}, {"build", "server"}, {"cli"},
]
FOUNDATIONS = {"__init__.py", "namespaces.py", "tables.py", "config.py"}
MAX_LINES = 500


def room(module: str) -> str:
    """`registry.submissions.parse` → `submissions`; `registry.tables` → `tables`; `registry` → `registry`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "registry"


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported registry module) for every import of the package in `path`, however it is written."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            pytest.fail(f"{path.relative_to(ROOT)}:{node.lineno}: relative import; the layering check reads absolute ones")
        if isinstance(node, ast.ImportFrom) and node.module == "registry":
            found += [(node.lineno, f"registry.{alias.name}") for alias in node.names if alias.name != "__version__"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("registry."):
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("registry.")]
    return found


def layer_of(name: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if name in layer)


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_room_is_in_a_layer():
    rooms = {room(module_name(p)) for p in modules()} - {"registry"}
    assert rooms == set().union(*LAYERS)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_room_imports_only_the_rooms_below_it(path):
    here = room(module_name(path))
    if here == "registry":
        assert not imports(path), "the package's face imports nothing of its own"
        return
    wrong = [f"{path.relative_to(ROOT)}:{line}: {here} imports {target}" for line, target in imports(path)
             if room(target) != here and layer_of(room(target)) >= layer_of(here)]
    assert not wrong, "\n".join(wrong)


def test_only_the_package_face_and_the_foundations_sit_directly_under_registry():
    loose = {p.name for p in PACKAGE.glob("*.py")}
    assert loose <= FOUNDATIONS, sorted(loose - FOUNDATIONS)


def test_every_subpackage_says_what_it_owns_and_what_it_may_import():
    for init in PACKAGE.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "May import" in doc, init.relative_to(ROOT)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_longer_than_500_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def _requirement_name(spec: str) -> str:
    return spec.split(";")[0].split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip().lower().replace("_", "-")


def test_the_declared_dependencies_are_what_the_package_imports():
    """A runtime dependency nothing imports is dead weight for every user; one imported but not declared
    breaks a fresh install. (defusedxml is imported by openpyxl, which uses it when it is installed.)"""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_requirement_name(spec) for spec in project["dependencies"]}
    distributions = packages_distributions()
    used = set()
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            for name in names:
                top = name.split(".")[0]
                if top != "registry" and top not in sys.stdlib_module_names:
                    used |= {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
    assert used - declared == set(), "imported but not declared"
    assert declared - used == {"defusedxml"}, "declared but not imported"


def test_the_readme_architecture_table_names_every_module():
    """The README's room/module table is how a newcomer finds a feature's home: it must not fall behind the tree."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("| room | modules | responsibility |")
    table = readme[start:readme.index("\n\n", start)]
    missing = [str(p.relative_to(ROOT)) for p in modules() if p.name not in ("__init__.py", "__main__.py")
               and f"`{p.name}`" not in table]
    assert not missing, missing
