"""accelerator.yaml, infra.yaml and the YAML models (the policy) share one check that a file is a
mapping at the top (`yamlsource.top_mapping`): one message, located at 1:1, each file's own hint."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from accelerator.config import load_config
from accelerator.errors import PolicyError
from accelerator.infra.config import load_infra_config
from accelerator.yamlsource import MAPPING_HINT, load_yaml_model, top_mapping


class Settings(BaseModel):
    name: str = "x"


def test_top_mapping_accepts_a_mapping_and_an_empty_document_only_when_asked() -> None:
    assert top_mapping({"a": 1}, "a: 1\n", "f.yaml") == {"a": 1}
    assert top_mapping(None, "", "f.yaml", empty_ok=True) == {}
    with pytest.raises(PolicyError) as error:
        top_mapping(None, "", "f.yaml")
    assert str(error.value).startswith("f.yaml:1:1: expected a mapping at the top of f.yaml, got NoneType")


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("accelerator.yaml", MAPPING_HINT),
        ("infra.yaml", "start from the example infra/infra.yaml"),
        ("policy.yaml", MAPPING_HINT),
    ],
)
def test_each_file_that_is_a_list_is_one_located_error(tmp_path: Path, name: str, hint: str) -> None:
    path = tmp_path / name
    path.write_text("- a\n- b\n")
    with pytest.raises(PolicyError) as error:
        if name == "accelerator.yaml":
            load_config(path, trusted=False)
        elif name == "infra.yaml":
            load_infra_config(path)
        else:
            load_yaml_model(path.read_text(), name, Settings)
    assert "expected a mapping at the top of " in str(error.value) and f"{name}, got list" in str(error.value)
    assert error.value.line == 1 and error.value.column == 1
    assert error.value.hint is not None and error.value.hint.startswith(hint)
