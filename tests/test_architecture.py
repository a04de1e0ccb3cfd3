"""The shape of the tree: no import cycles in the core, plugins on the declared API."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Import name -> folder, as pyproject's package-dir maps them.
FOLDERS = {
    "ssl_domains": ROOT / "ssl_domains",
    "ssl_domains.recipes": ROOT / "recipes",
    "ssl_domains.plugins": ROOT / "plugins",
}


def module_files(package: str) -> dict[str, Path]:
    found = {}
    for path in sorted(FOLDERS[package].rglob("*.py")):
        if "templates" in path.parts:
            continue
        parts = path.relative_to(FOLDERS[package]).with_suffix("").parts
        name = ".".join((package, *parts)).removesuffix(".__init__")
        found[name] = path
    return found


def imported(path: Path, modules: set[str] = frozenset()) -> set[str]:
    """Modules of ours that a file imports anywhere (in functions too), leaving out
    imports under `if TYPE_CHECKING:`, which never run. `from a import b` imports
    `a.b` where that is one of `modules`, else `a` itself."""
    names = set()
    for node in ast.walk(_without_type_checking(ast.parse(path.read_text()))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ssl_domains"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                names.add(submodule if submodule in modules else node.module)
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("ssl_domains")}
    return names


def _without_type_checking(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            body = getattr(node, field, None)
            if isinstance(body, list):
                setattr(node, field, [n for n in body if not _is_type_checking(n)])
    return tree


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of the graph, as a path that comes back to its start; [] if none."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = "done"
        path.pop()
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def core_graph() -> dict[str, set[str]]:
    modules = module_files("ssl_domains")
    graph = {}
    for name, path in modules.items():
        graph[name] = {m for m in imported(path, set(modules)) if m in modules and m != name}
    return graph


def test_the_cycle_finder_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) == []


def test_the_core_has_no_import_cycles():
    graph = core_graph()
    assert "ssl_domains.plugin.domain_adapter" in graph and graph["ssl_domains.presets.encoder"]
    assert cycle(graph) == [], " -> ".join(cycle(graph))


@pytest.mark.parametrize("module", ["ssl_domains.presets.encoder", "ssl_domains.presets.sources"])
def test_preset_loading_does_not_reach_up_to_the_plugin_registry(module):
    """The registry is passed down (`trusted`, `plugins`), never looked up from below."""
    assert "ssl_domains.plugin.registry" not in core_graph()[module]


@pytest.mark.parametrize("package", ["ssl_domains.plugins", "ssl_domains.recipes"])
def test_first_party_plugins_and_recipes_import_only_the_plugin_api(package):
    own = ("ssl_domains.plugins", "ssl_domains.recipes")
    reached = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in module_files(package).values()
        for name in imported(path)
        if not name.startswith(("ssl_domains.api", *own))
    }
    assert not reached, "import these through ssl_domains.api:\n" + "\n".join(sorted(reached))


def test_the_plugin_api_is_cheap_to_import_and_resolves_every_name():
    code = (
        "import sys, ssl_domains.api as api\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'keras_hub') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "missing = [n for n in api.__all__ if not hasattr(api, n)]\n"
        "assert not missing, missing\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


MODALITY_NAMES = {"text", "audio", "image", "image-text"}
# Where a modality's name may decide what runs: the modality objects themselves, and the
# scaffold, which writes one plugin template per modality.
MODALITY_OWNERS = ("modality.py", "scaffold")


def modality_branches(tree: ast.AST) -> list[int]:
    """Lines that compare something named `*modality*` with a modality's name
    (`domain.modality == "text"`, `modality in ("text", "audio")`)."""

    def names_modality(node) -> bool:
        name = getattr(node, "attr", None) or getattr(node, "id", "")
        return "modality" in name

    def is_modality_name(node) -> bool:
        values = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
        return any(isinstance(v, ast.Constant) and v.value in MODALITY_NAMES for v in values)

    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(map(names_modality, sides)) and any(map(is_modality_name, sides)):
                lines.append(node.lineno)
    return lines


def test_the_branch_finder_finds_modality_branches():
    code = 'if domain.modality == "text": pass\nif modality in ("text", "audio"): pass\n'
    assert modality_branches(ast.parse(code)) == [1, 2]
    assert modality_branches(ast.parse('if task.name == "text": pass\n')) == []


def test_only_the_modality_objects_branch_on_a_modality():
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for folder in (ROOT / "ssl_domains", ROOT / "cli", ROOT / "recipes")
        for path in sorted(folder.rglob("*.py"))
        if not any(owner in path.parts or path.name == owner for owner in MODALITY_OWNERS)
        for line in modality_branches(ast.parse(path.read_text()))
    ]
    assert not found, "move these into the modality's object:\n" + "\n".join(found)
