"""libyaml composes the YAML the edits and the loaders read: the same nodes as the pure Python loader
(marks by character, styles, tags), the pure Python loader's errors, and no C recursion on deep nesting."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from accelerator.errors import PolicyError
from accelerator.policy.loader import PolicyYamlFastLoader, PolicyYamlLoader, parse_policy
from accelerator.yamlsource import FAST_LOADER, MAX_DEPTH, compose, compose_fast

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(FAST_LOADER is None, reason="PyYAML built without libyaml")

TEXTS = [
    "a: 'é€😀'\nb: [x, {c: \"ü\"}]\n# ç\nd: |\n  ß\n  ÿ\ne: &x [1]\nf: *x\n",
    "a: 1\r\nb: 2\r\n",
    "a: >\n  folded\n  text\n",
    "? complex\n: v\n",
    "a: !!str 1\nb: yes\nc: on\nd: ~\ne: 2026-12-06\n",
    "grants:\n  - {on: table, name: 'sales.orders', principal: \"analysts\", privileges: [SELECT]}\n",
    "",
    "# only a comment\n",
]


def shape(node: yaml.Node | None) -> object:
    """Everything the edits and loaders read of a node tree."""
    if node is None:
        return None
    marks = tuple((m.index, m.line, m.column) for m in (node.start_mark, node.end_mark))
    if isinstance(node, yaml.ScalarNode):
        return ("scalar", node.tag, node.value, node.style, marks)
    if isinstance(node, yaml.SequenceNode):
        return ("seq", node.tag, bool(node.flow_style), marks, [shape(child) for child in node.value])
    pairs = [(shape(key), shape(value)) for key, value in node.value]
    return ("map", node.tag, bool(node.flow_style), marks, pairs)


def corpus() -> list[str]:
    files = [
        p
        for pattern in ("examples/**/*.yaml", "accelerator/**/*.yaml", "infra/**/*.yaml")
        for p in ROOT.glob(pattern)
    ]
    return [p.read_text(encoding="utf-8") for p in sorted(files)] + TEXTS


@pytest.mark.parametrize("text", corpus())
def test_the_fast_composer_gives_the_pure_python_nodes(text: str) -> None:
    assert shape(compose_fast(text, FAST_LOADER, yaml.SafeLoader)) == shape(
        yaml.compose(text, Loader=yaml.SafeLoader)
    )
    fast_policy = compose_fast(text, PolicyYamlFastLoader, PolicyYamlLoader)
    assert shape(fast_policy) == shape(yaml.compose(text, Loader=PolicyYamlLoader))


def test_a_policy_reads_yes_as_a_string_on_the_fast_loader_too() -> None:
    node = compose_fast("a: yes\nb: true\n", PolicyYamlFastLoader, PolicyYamlLoader)
    assert node is not None
    assert [value.tag for _, value in node.value] == ["tag:yaml.org,2002:str", "tag:yaml.org,2002:bool"]


def test_a_byte_order_mark_keeps_the_texts_offsets() -> None:
    text = "\ufeffa: 1\n"
    node = compose_fast(text, FAST_LOADER, yaml.SafeLoader)
    assert node is not None and node.start_mark.index == 1 and text[node.value[0][1].start_mark.index] == "1"


def test_errors_name_the_character_as_the_pure_python_loader_does() -> None:
    with pytest.raises(PolicyError) as raised:
        compose("a:\n\tb: 1\n", "p.yaml")
    assert "'\\t'" in raised.value.format() and ":2:1" in raised.value.format()


def test_deep_nesting_never_reaches_libyamls_recursive_composer() -> None:
    deep = "[" * 5000 + "]" * 5000
    with pytest.raises(PolicyError) as raised:
        compose(deep, "p.yaml")
    assert f"nested more than {MAX_DEPTH} levels" in raised.value.format()
    with pytest.raises(PolicyError):
        parse_policy(deep, "p.yaml")
    shallow_enough = (
        "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    )  # the pure Python loader takes it
    assert compose(shallow_enough, "p.yaml") is not None


@pytest.mark.parametrize("text", ["a: 1\nb: \x00\n", "a: 1\nb: \ud800\n"])
def test_a_character_yaml_does_not_allow_is_a_located_error(text: str) -> None:
    for read in (compose, parse_policy):
        with pytest.raises(PolicyError) as raised:
            read(text, "p.yaml")
        assert (raised.value.line, raised.value.column) == (2, 4)
        assert "is not allowed in a YAML file" in str(raised.value)
