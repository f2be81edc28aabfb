"""The package's imports: no cycle, and no import from a lower layer to a higher one.

Layers, low to high: shared basics -> core (model -> erd -> policy -> plan -> render -> pipeline,
project config)
and memory side by side -> edit -> agent -> channels -> the entry point. Every import counts,
including those inside functions and under TYPE_CHECKING: a lazy import that breaks a cycle at run
time still ties the two modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "accelerator"

# (layer, rank): a module may import its own layer and layers of lower rank, except that the
# layers named in PEERS never import each other.
LAYERS: dict[str, tuple[str, int]] = {
    "accelerator": ("base", 0),
    "accelerator.errors": ("base", 0),
    "accelerator.yamlsource": ("base", 0),
    "accelerator.templates": ("base", 0),
    "accelerator.gcpause": ("base", 0),
    "accelerator.config": ("project", 7),  # accelerator.yaml: read by channels, checked by the core's rules
    "accelerator.model": ("model", 2),
    "accelerator.erd": ("erd", 3),
    "accelerator.policy": ("policy", 4),
    "accelerator.plan": ("plan", 5),
    "accelerator.render": ("render", 6),
    "accelerator.generate": ("pipeline", 7),
    "accelerator.report": ("pipeline", 7),
    "accelerator.memory": ("memory", 2),
    "accelerator.edit": ("edit", 8),
    "accelerator.deploy": ("deploy", 8),
    "accelerator.infra": ("infra", 8),  # the bot's own deployment, synthesized with the render layer's cdktn
    "accelerator.agent": ("agent", 9),
    "accelerator.sandbox": ("sandbox", 9),
    "accelerator.scaffold": ("channels", 10),
    "accelerator.channels": ("channels", 10),
    "accelerator.cli": ("entry", 11),
    "accelerator.__main__": ("entry", 11),
}
# The memory is not part of the core: neither side imports the other.
CORE = {"model", "erd", "policy", "plan", "render", "pipeline", "project"}
PEERS = {("memory", layer) for layer in CORE} | {(layer, "memory") for layer in CORE}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """The project modules `name` imports (a `from package import name` of a submodule counts as it)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], base]).strip(".")
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name and target.startswith("accelerator"):
                found.add(target)
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def layer_of(name: str) -> tuple[str, int]:
    prefix = name
    while prefix not in LAYERS:
        prefix = prefix.rpartition(".")[0]
        assert prefix, f"{name} has no layer: add it to LAYERS in {Path(__file__).name}"
    return LAYERS[prefix]


def test_every_module_has_a_layer() -> None:
    for name in MODULES:
        layer_of(name)


def test_no_import_goes_up_a_layer() -> None:
    wrong = []
    for name, targets in GRAPH.items():
        layer, rank = layer_of(name)
        for target in sorted(targets):
            their_layer, their_rank = layer_of(target)
            if (
                their_rank > rank
                or (their_layer != layer and their_rank == rank)
                or (layer, their_layer) in PEERS
            ):
                wrong.append(f"{name} ({layer}) imports {target} ({their_layer})")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_no_import_cycle() -> None:
    cycles = strongly_connected(GRAPH)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_walk_sees_imports_inside_functions_and_for_type_checking() -> None:
    assert "accelerator.erd.dbml.reader" in GRAPH["accelerator.erd.dbml"]  # inside a function
    assert "accelerator.erd.parsed" in GRAPH["accelerator.erd.format"]  # under TYPE_CHECKING


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ],
)
def test_the_cycle_finder_finds_cycles(graph: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert strongly_connected(graph) == expected
