"""A policy's YAML is untrusted: aliases that refer to themselves or expand without end, and nesting
past the parser's stack, are located errors, never a traceback or a hang."""

import pytest

from accelerator.errors import PolicyError
from accelerator.policy.loader import parse_policy


def test_self_referencing_alias_is_a_located_error() -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy("version: 1\nrules: &a {x: *a}\n", "policy.yaml")
    assert raised.value.file == "policy.yaml" and raised.value.line == 2


def test_alias_bomb_is_refused() -> None:
    lines = ["version: 1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    with pytest.raises(PolicyError):
        parse_policy("\n".join(lines) + "\n", "policy.yaml")


def test_nesting_past_the_stack_is_a_located_error() -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy("version: 1\nrules: " + "[" * 5000 + "]" * 5000 + "\n", "policy.yaml")
    assert raised.value.line == 2
