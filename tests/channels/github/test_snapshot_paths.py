"""The bot reads the head's ERD files by the rules `accelerator check` reads a checkout with
(`ProjectConfig.erd_paths_in`): a hidden file is not matched by `*`, and a glob matching more than
MAX_ERD_FILES files is a located error, not thousands of downloads."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelerator.channels.github.snapshot import Entry, wanted_paths
from accelerator.config import MAX_ERD_FILES, load_config
from accelerator.errors import AcceleratorError


def config_with(tmp_path: Path, erd: str):  # type: ignore[no-untyped-def]
    (tmp_path / "erd").mkdir()
    (tmp_path / "erd" / "a.dbml").write_text("Table t { id int }\n")
    (tmp_path / "accelerator.yaml").write_text(f"erd:\n  - path: {erd!r}\n    format: dbml\n")
    return load_config(tmp_path / "accelerator.yaml", trusted=False)


def listing(*paths: str) -> dict[str, Entry]:
    return {path: Entry(path, "0" * 40, 1) for path in paths}


def test_the_head_is_read_by_the_same_glob_rules_as_check(tmp_path: Path) -> None:
    config = config_with(tmp_path, "erd/**/*.dbml")
    files = listing("erd/a.dbml", "erd/.hidden.dbml", "erd/.git/b.dbml", "erd/sub/c.dbml", "other/d.dbml")
    erds = [p for p in wanted_paths(config, files) if p.endswith(".dbml")]
    assert erds == ["erd/a.dbml", "erd/sub/c.dbml"]
    assert erds == config.erd_paths_in(0, files)


def test_a_glob_matching_too_many_files_is_a_located_error(tmp_path: Path) -> None:
    config = config_with(tmp_path, "erd/*.dbml")
    files = listing(*(f"erd/t{i:05d}.dbml" for i in range(MAX_ERD_FILES + 1)))
    with pytest.raises(AcceleratorError, match=f"more than {MAX_ERD_FILES} files"):
        wanted_paths(config, files)
