"""cdktn's synthesis is one public function (`render.terraform.synth_stacks`) that the environments'
Terraform and the bot's own deployment (`infra/stack.py`) both use: no module reaches into
render's private names."""

from __future__ import annotations

import ast
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from accelerator.render.terraform import load_cdktn, synth_stacks

PACKAGE = Path(__file__).resolve().parents[2] / "accelerator"


def test_no_module_outside_render_imports_a_private_name_of_render() -> None:
    found: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(PACKAGE / "render"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("accelerator.render"):
                found += [
                    f"{path.relative_to(PACKAGE)}: {a.name}" for a in node.names if a.name.startswith("_")
                ]
    assert found == []


@pytest.mark.skipif(shutil.which("node") is None, reason="cdktn needs Node.js")
def test_synth_stacks_gives_each_stack_its_backend_and_what_the_builder_added() -> None:
    built: list[str] = []

    def build(modules: Mapping[str, Any], stack: Any, stack_id: str) -> None:
        built.append(stack_id)
        modules["cdktn"].TerraformOutput(stack, "which", value=stack_id)

    backend = {"local": {"path": "state/{env}.tfstate"}}
    texts = synth_stacks([("dev", "dev"), ("prod", "prod")], build, backend=backend, required_version=">=1.5")
    assert built == ["dev", "prod"] and sorted(texts) == ["dev", "prod"]
    prod = json.loads(texts["prod"])
    assert prod["output"]["which"]["value"] == "prod"
    assert prod["terraform"]["required_version"] == ">=1.5"
    assert "local" in prod["terraform"]["backend"]


def test_loading_cdktn_twice_does_not_grow_the_node_silencer() -> None:
    if shutil.which("node") is None:
        pytest.skip("cdktn needs Node.js")
    load_cdktn()
    once = os.environ["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"]
    load_cdktn()
    assert os.environ["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] == once
