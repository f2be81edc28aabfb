"""A pull request's accelerator.yaml is untrusted: it cannot redirect the memory (or the token minted
for it) or configure the bot, and every other field is bounded and located when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from accelerator import config as config_module
from accelerator.cli import app
from accelerator.config import (
    BotConfig,
    ConfigPathError,
    ProjectConfig,
    TrustedSettings,
    UntrustedSettingError,
    load_config,
    load_trusted_settings,
)
from accelerator.errors import AcceleratorError, PolicyError
from accelerator.memory import MemoryConfig

PR_CONFIG = """\
project: retail
memory:
  url: postgresql://bot@attacker.example:5432/steal
  host: attacker.example
bot:
  prefix: "!"
  edit_permissions: [read]
  write_spacing_seconds: 0
environments: [dev]
"""


def write(root: Path, text: str, name: str = "accelerator.yaml") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path, *, trusted: bool = True) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        load_config(path, trusted=trusted)
    return caught.value


# --- trust: memory: and bot: -------------------------------------------------------------------


def test_an_untrusted_config_ignores_memory_and_bot_with_located_warnings(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, PR_CONFIG), trusted=False)
    assert not config.trusted
    assert config.memory == {} and config.bot == BotConfig()
    assert config.project == "retail" and config.environments == ["dev"]  # the rest is read
    memory, bot = config.warnings
    assert (memory.line, memory.column, bot.line, bot.column) == (2, 1, 5, 1)
    assert memory.message.startswith("`memory:` is ignored in a pull request's accelerator.yaml")
    assert bot.message.startswith("`bot:` is ignored") and "who may edit" in bot.message
    assert memory.format().startswith(f"{tmp_path / 'accelerator.yaml'}:2:1: warning: `memory:`")
    assert memory.hint is not None and "base branch" in memory.hint
    # nothing of the PR's memory section can reach a connection: asking for it is refused
    with pytest.raises(UntrustedSettingError, match="read as untrusted"):
        config.trusted_settings()
    with pytest.raises(UntrustedSettingError):
        config.memory_config(MemoryConfig)


def test_an_untrusted_config_need_not_validate_the_sections_it_ignores(tmp_path: Path) -> None:
    """The base branch's sections are copied into every branch; a bad one is not the PR's error."""
    path = write(tmp_path, "project: x\nmemory: 12\nbot: {prefix: '', nonsense: 1}\n")
    config = load_config(path, trusted=False)
    assert [warning.line for warning in config.warnings] == [2, 3]
    assert refused(path).line == 2  # the same file, trusted, is validated


def test_a_trusted_config_keeps_memory_and_bot(tmp_path: Path) -> None:
    text = (
        "project: x\nmemory:\n  endpoint: projects/p/branches/b/endpoints/e\n  schema: acc_mem\n"
        "bot:\n  prefix: /db\n  edit_permissions: [maintain, admin]\n  write_spacing_seconds: 0.5\n"
    )
    config = load_config(write(tmp_path, text))
    assert config.trusted and config.warnings == []
    settings = config.trusted_settings()
    assert settings.bot == BotConfig(
        prefix="/db", edit_permissions=["maintain", "admin"], write_spacing_seconds=0.5
    )
    assert settings.bot.may_edit("admin") and not settings.bot.may_edit("write")
    memory = config.memory_config(MemoryConfig)
    assert memory.endpoint == "projects/p/branches/b/endpoints/e" and memory.schema_name == "acc_mem"


@pytest.mark.parametrize(
    ("text", "line", "column", "expected"),
    [
        (
            "project: x\nmemory:\n  port: 70000\n",
            3,
            9,
            "memory.port: Input should be less than or equal to 65535",
        ),
        ("memory:\n  hots: a.example\n", 2, 3, "memory.hots: unknown key"),
        ("memory:\n  endpoint: x\n", 2, 13, "memory.endpoint: Value error, endpoint 'x' is not of the form"),
    ],
)
def test_a_bad_memory_section_is_located(
    tmp_path: Path, text: str, line: int, column: int, expected: str
) -> None:
    config = load_config(write(tmp_path, text))
    with pytest.raises(PolicyError) as caught:
        config.memory_config(MemoryConfig)
    assert expected in caught.value.message
    assert (caught.value.line, caught.value.column) == (line, column)
    if "unknown key" in expected:
        assert caught.value.hint is not None and "host" in caught.value.hint


@pytest.mark.parametrize(
    ("text", "line", "column", "expected"),
    [
        ("bot:\n  prefix: '/u c'\n", 2, 11, "bot.prefix: the prefix is 1 to 32 characters without spaces"),
        ("bot:\n  prefix: ''\n", 2, 11, "bot.prefix"),
        (
            "bot:\n  edit_permissions: [write, owner]\n",
            2,
            29,
            "bot.edit_permissions.1: Input should be 'read'",
        ),
        ("bot:\n  edit_permissions: []\n", 2, 21, "bot.edit_permissions: List should have at least 1 item"),
        ("bot:\n  edit_permissions: [admin, admin]\n", 2, 21, "permission 'admin' is listed twice"),
        ("bot:\n  write_spacing_seconds: -1\n", 2, 26, "bot.write_spacing_seconds: Input should be greater"),
        ("bot:\n  write_spacing_seconds: 3600\n", 2, 26, "less than or equal to 60"),
        ("bot:\n  allow_everyone: true\n", 2, 3, "bot.allow_everyone: unknown key"),
    ],
)
def test_a_bad_bot_section_is_located(
    tmp_path: Path, text: str, line: int, column: int, expected: str
) -> None:
    error = refused(write(tmp_path, text))
    assert expected in error.message
    assert (error.line, error.column) == (line, column)
    with pytest.raises(PolicyError) as caught:  # the same from the base branch's text
        load_trusted_settings(text, "base:accelerator.yaml")
    assert (caught.value.file, caught.value.line, caught.value.column) == (
        "base:accelerator.yaml",
        line,
        column,
    )


def test_trusted_settings_from_the_base_branch_text(tmp_path: Path) -> None:
    text = "project: x\nenvironments: ['../escape']\nbot: {prefix: /uc2}\nmemory: {instance_name: inst}\n"
    settings = load_trusted_settings(text, "accelerator.yaml@main")
    assert settings.bot.prefix == "/uc2" and settings.memory == {"instance_name": "inst"}
    assert settings.memory_config(MemoryConfig).instance_name == "inst"  # the rest is not read here
    assert load_trusted_settings("", "accelerator.yaml@main").model_dump() == TrustedSettings().model_dump()
    defaults = TrustedSettings().bot
    assert (defaults.prefix, defaults.edit_permissions, defaults.write_spacing_seconds) == (
        "/uc",
        ["write", "maintain", "admin"],
        1.0,
    )
    with pytest.raises(PolicyError) as caught:
        load_trusted_settings("memory: {port: x}\n", "base.yaml").memory_config(MemoryConfig)
    assert (caught.value.line, caught.value.column) == (1, 16) and caught.value.file == "base.yaml"
    with pytest.raises(PolicyError, match="expected a mapping"):
        load_trusted_settings("- a\n", "base.yaml")


def test_the_cli_reports_a_bad_memory_section_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "project: x\nmemory:\n  port: many\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["memory", "doctor", "--config", str(path)])
    assert result.exit_code == 2, result.output
    assert "accelerator.yaml:3:9" in result.output and "memory.port" in result.output
    assert "Traceback" not in result.output


# --- the file itself ---------------------------------------------------------------------------


def test_an_oversized_config_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "project: x\n" + "# padding\n" * 120_000)
    error = refused(path)
    assert "accelerator.yaml may be at most 1,048,576" in error.message and error.line == 1


def test_an_untrusted_config_that_links_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    secret = write(tmp_path / "home", "project: secret\n", name="creds.yaml")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "accelerator.yaml").symlink_to(secret)
    with pytest.raises(AcceleratorError, match=r"symbolic link .* outside the repository"):
        load_config(root / "accelerator.yaml", trusted=False)
    assert load_config(root / "accelerator.yaml").project == "secret"  # the user's own link


def test_a_config_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "accelerator.yaml").mkdir()
    with pytest.raises(AcceleratorError, match="not a regular file"):
        load_config(tmp_path / "accelerator.yaml")


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        (
            "project: x\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
            6,
            "expand to more than 100,000 values",
        ),
        (
            "project: x\nterraform:\n  backend:\n    s3: &loop {nested: *loop}\n",
            4,
            "refers to the collection",
        ),
        ("project: x\nerd: " + "[" * 2000 + "]" * 2000 + "\n", 2, "nested more than 100 levels deep"),
    ],
)
def test_yaml_bombs_are_located_errors(tmp_path: Path, text: str, line: int, expected: str) -> None:
    error = refused(write(tmp_path, text))
    assert expected in error.message and error.line == line


# --- sizes, names and the dialect --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "expected"),
    [
        (
            "environments: [" + ", ".join(f"e{n}" for n in range(33)) + "]\n",
            1,
            15,
            "environments: List should have at most 32 items",
        ),
        ("erd: [" + ", ".join(f"e{n}.dbml" for n in range(101)) + "]\n", 1, 6, "at most 100 items"),
        ("output: " + "a/" * 600 + "x\n", 1, 9, "output: the path is 1201 characters long; at most 1024"),
        ("erd:\n  - path: a.sql\n    dialect: klingon\n", 3, 14, "unknown SQL dialect; use one of: athena"),
        (
            "erd:\n  - path: a.sql\n    dialect: 'mysql, normalization_strategy = case_sensitive'\n",
            3,
            14,
            "erd.0.dialect: a SQL dialect is a name such as postgres",
        ),
        ("erd: [.git/config]\n", 1, 7, "erd.0.path: the path must not name .git"),
        ("policy: .GIT/config\n", 1, 9, "must not name .git"),
        ("output: sub/.git/hooks\n", 1, 9, "must not name .git"),
    ],
)
def test_sizes_dialects_and_git_paths_are_located(
    tmp_path: Path, text: str, line: int, column: int, expected: str
) -> None:
    error = refused(write(tmp_path, text), trusted=False)
    assert expected in error.message
    assert (error.line, error.column) == (line, column)


def test_a_dialect_alias_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_text("CREATE TABLE t (id INT);\n")
    config = load_config(
        write(tmp_path, "erd:\n  - {path: a.sql, dialect: postgresql}\n  - {path: a.sql, dialect: tsql}\n")
    )
    assert [source.dialect for source in config.erd_sources()] == ["postgresql", "tsql"]


# --- the Terraform backend ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("backend", "line", "column", "expected"),
    [
        ("local: {path: /etc/cron.d/x}", 4, 19, "terraform.backend.local.path: the path must be relative"),
        ("local: {path: 'C:\\\\state\\\\x'}", 4, 19, "must be relative"),
        ("local: {path: ../../../../x.tfstate}", 4, 19, "the path leads outside the repository root"),
        ("local: {path: '{env}/../../../../../x'}", 4, 19, "leads outside"),
        (
            "local: {workspace_dir: ../../../../ws}",
            4,
            28,
            "terraform.backend.local.workspace_dir: the path leads",
        ),
        ("local: {path: ../../../.git/x}", 4, 19, "must not name .git"),
        ("local: {path: ''}", 4, 19, "must not be empty"),
        ("local: {path: 3}", 4, 19, "a local state path is a string"),
        ('local: {path: "a\\u202eb"}', 4, 19, "control or invisible character"),
        ("evil: {}", 4, 11, "unknown Terraform backend 'evil'"),
        ("s3: {bucket: b, 'bad key': 1}", 4, 9, "'bad key' is not a setting name"),
        ("s3: {bucket: " + "b" * 5000 + "}", 4, 18, "the value is 5000 characters long; at most 4096"),
        ("s3: {a: {b: {c: {d: {e: 1}}}}}", 4, 25, "nest more than 4 levels deep"),
        ('s3: {bucket: "x\\u0000y"}', 4, 18, "control or invisible character"),
    ],
)
def test_bad_terraform_backends_are_located(
    tmp_path: Path, backend: str, line: int, column: int, expected: str
) -> None:
    text = f"project: x\nterraform:\n  backend:\n    {backend}\n"
    error = refused(write(tmp_path, text), trusted=False)
    assert expected in error.message, error.message
    assert (error.line, error.column) == (line, column)
    if expected.startswith("terraform.backend.local"):
        assert error.hint is not None and "generated/terraform/<env>/" in error.hint


def test_the_unknown_backend_hint_lists_the_kinds(tmp_path: Path) -> None:
    error = refused(write(tmp_path, "terraform: {backend: {evil: {}}}\n"))
    assert error.hint is not None and "azurerm" in error.hint and "s3" in error.hint


def test_a_local_state_inside_the_repository_is_accepted(tmp_path: Path) -> None:
    text = (
        "project: x\nenvironments: [dev, prod]\nterraform:\n  backend:\n"
        "    local: {path: '../../../state/terraform.{env}.tfstate', workspace_dir: ws}\n"
    )
    config = load_config(write(tmp_path, text), trusted=False)
    root = tmp_path.resolve()
    assert config.terraform_state_paths(["dev", "prod"]) == {
        "dev": root / "state" / "terraform.dev.tfstate",
        "prod": root / "state" / "terraform.prod.tfstate",
    }
    assert load_config(write(tmp_path, "project: x\n")).terraform_state_paths(["dev"]) == {
        "dev": root / "generated" / "terraform" / "dev" / "terraform.dev.tfstate"
    }
    s3 = load_config(write(tmp_path, "terraform: {backend: {s3: {bucket: b, key: 'uc/{env}.tfstate'}}}\n"))
    assert s3.terraform_state_paths(["dev"]) == {}


def test_a_local_state_through_a_link_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "repo"
    root.mkdir()
    (root / "state").symlink_to(outside, target_is_directory=True)
    text = "project: x\nterraform:\n  backend:\n    local:\n      path: ../../../state/t.{env}.tfstate\n"
    error = refused(write(root, text), trusted=False)
    assert isinstance(error, ConfigPathError) and (error.line, error.column) == (5, 13)
    assert (
        "(through a symbolic link)" in error.message and "state/t.{env}.tfstate resolves to" in error.message
    )


def test_a_stack_directory_linked_out_is_found_by_terraform_state_paths(tmp_path: Path) -> None:
    """load_config cannot know the environments' stack directories (the policy may name them);
    terraform_state_paths checks each, and generate refuses to write a stack through such a link."""
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "repo"
    (root / "generated" / "terraform").mkdir(parents=True)
    (root / "generated" / "terraform" / "prod").symlink_to(outside, target_is_directory=True)
    config = load_config(
        write(root, "project: x\nterraform: {backend: {local: {path: 's/{env}.tfstate'}}}\n")
    )
    assert config.terraform_state_paths(["dev"]) == {
        "dev": root.resolve() / "generated/terraform/dev/s/dev.tfstate"
    }
    with pytest.raises(ConfigPathError) as caught:
        config.terraform_state_paths(["dev", "prod"])
    assert (caught.value.line, caught.value.column) == (2, 37)
    assert "through a symbolic link" in caught.value.message


def test_generate_refuses_an_escaping_state_path_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "project: x\nterraform:\n  backend:\n    local: {path: /tmp/stolen.tfstate}\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["generate", "--no-terraform"])
    assert result.exit_code == 2, result.output
    assert "accelerator.yaml:4:19" in result.output and "must be relative" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "generated").exists()


# --- globs ------------------------------------------------------------------------------------


def test_a_glob_does_not_follow_a_link_loop(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "erd" / "sub").mkdir(parents=True)
    (root / "erd" / "a.dbml").write_text("Table a { id int }\n")
    (root / "erd" / "sub" / "b.dbml").write_text("Table b { id int }\n")
    (root / "erd" / ".hidden").mkdir()
    (root / "erd" / ".hidden" / "c.dbml").write_text("Table c { id int }\n")
    (root / "erd" / "loop").symlink_to(root, target_is_directory=True)  # erd/loop/erd/loop/...
    (root / "erd" / "self").symlink_to(root / "erd", target_is_directory=True)
    config = load_config(write(root, "erd: ['erd/**/*.dbml', 'erd/*.dbml']\n"), trusted=False)
    resolved = root.resolve()
    assert config.erd_files(0) == [resolved / "erd/a.dbml", resolved / "erd/sub/b.dbml"]
    assert config.erd_files(1) == [resolved / "erd/a.dbml"]


def test_a_glob_that_looks_at_too_much_is_located(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(30):
        (tmp_path / "erd" / f"d{n}").mkdir(parents=True)
    monkeypatch.setattr(config_module, "MAX_GLOB_VISITS", 20)
    error = refused(write(tmp_path, "project: x\nerd:\n  - path: a.dbml\n  - path: 'erd/**/*.dbml'\n"))
    assert (error.line, error.column) == (4, 11)
    assert "looks at more than 20 files and directories" in error.message


def test_too_many_erd_files_are_located(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "erd").mkdir()
    for n in range(6):
        (tmp_path / "erd" / f"t{n}.dbml").write_text(f"Table t{n} {{ id int }}\n")
    monkeypatch.setattr(config_module, "MAX_ERD_FILES", 4)
    error = refused(write(tmp_path, "erd:\n  - erd/*.dbml\n"))
    assert (error.line, error.column) == (2, 5) and "matches more than 4 files" in error.message
    error = refused(write(tmp_path, "erd:\n  - erd/t1.dbml\n  - erd/t2.dbml\n  - erd/t[345].dbml\n"))
    assert (error.line, error.column) == (4, 5) and "match more than 4 files" in error.message


def test_default_config_keeps_its_defaults() -> None:
    config = ProjectConfig()
    assert config.trusted and config.bot.prefix == "/uc" and config.terraform_state_paths([]) == {}
