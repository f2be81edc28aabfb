"""The terminal channel sits on top: nothing it imports imports it back, and no lower layer imports it.

Read from the source (every import statement, including those inside functions and under
TYPE_CHECKING), so an import that only runs on some path counts too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import accelerator

PACKAGE_DIR = Path(accelerator.__file__).resolve().parent
CHANNEL = "accelerator.channels.cli"
ROOT = "accelerator.cli"
ENTRY = "accelerator.__main__"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE_DIR.rglob("*.py")}


def imported(name: str) -> Iterator[str]:
    """The accelerator modules `name` imports, its parent packages included (Python runs them first)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}".rstrip(".")
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        yield from (target for target in targets if target in MODULES)
    parent = name.rpartition(".")[0]
    while parent:
        yield parent
        parent = parent.rpartition(".")[0]


GRAPH = {name: set(imported(name)) for name in MODULES}


def reachable(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in GRAPH[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def in_channel(name: str) -> bool:
    return name == CHANNEL or name.startswith(f"{CHANNEL}.")


def test_the_channel_modules_exist() -> None:
    assert {
        f"{CHANNEL}.{m}" for m in ("app", "inputs", "project", "scaffold", "chat", "memory", "worktree")
    } <= set(MODULES)


def test_nothing_the_channel_imports_imports_it_back() -> None:
    for name in filter(in_channel, MODULES):
        for target in reachable(name):
            if not in_channel(target):
                back = {m for m in reachable(target) if in_channel(m) or m == ROOT}
                assert not back, f"{name} imports {target}, which imports {sorted(back)}"


def test_the_channel_modules_import_each_other_without_a_cycle() -> None:
    for name in filter(in_channel, MODULES):
        assert name not in reachable(name), f"{name} imports itself through {sorted(reachable(name))}"


def test_only_the_root_assembles_the_program() -> None:
    importers = {name for name, targets in GRAPH.items() if ROOT in targets}
    assert importers <= {ENTRY}, importers
    assert ROOT not in reachable(f"{CHANNEL}.project") | reachable(f"{CHANNEL}.chat")


def test_the_core_and_the_agent_import_no_channel() -> None:
    below = [n for n in MODULES if not n.startswith("accelerator.channels") and n not in (ROOT, ENTRY)]
    assert {"accelerator.generate", "accelerator.agent.session", "accelerator.erd"} <= set(below)
    for name in below:
        channels = {t for t in reachable(name) if t.startswith("accelerator.channels") or t == ROOT}
        assert not channels, f"{name} imports {sorted(channels)}"


def test_the_walk_sees_lazy_and_relative_imports() -> None:
    # chat imports the agent's session only inside the command; the walk must still see it
    assert "accelerator.agent.session" in GRAPH[f"{CHANNEL}.chat"]
    assert {f"{CHANNEL}.project", f"{CHANNEL}.chat", f"{CHANNEL}.memory"} <= GRAPH[ROOT]
