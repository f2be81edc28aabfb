"""`allow CODE on OBJECT [in ENV]` in the conversation (issue 10): approves a destructive change of the
migrations exactly as the terminal's `accelerator allow` does (the same lookup, the same
approvals.json with who and when, void once the change changes), says what it approved, and
refuses clearly (listing the changes that await an approval) when nothing matches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accelerator.agent.session import ConversationSession
from accelerator.channels.cli.history import record_conversation_approvals, turn_gates
from accelerator.channels.cli.project import load_governed
from accelerator.cli import app
from accelerator.edit import parse_commands
from accelerator.edit.approval_edits import Allow
from accelerator.edit.help import HELP_TEXT
from accelerator.memory import MemoryStore
from accelerator.memory.pool import MemoryPool
from tests.agent.test_graph import Conversation, copy_example, initial_state, memory_pool, start_conversation

__all__ = ["memory_pool"]  # the fixture

runner = CliRunner()
DROPPED = "  ip_address varchar(45) [note: 'Address the order was placed from']\n"
OBJECT = "retail.sales.orders.ip_address"


@pytest.fixture
def gated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example generated once, then with sales.orders.ip_address dropped and generated
    again: its V0002 migrations hold the DS103 gate, in every environment."""
    root = copy_example(tmp_path)
    monkeypatch.chdir(root)
    assert runner.invoke(app, ["generate", "--no-terraform"]).exit_code == 0
    erd = root / "erd" / "retail.dbml"
    erd.write_text(erd.read_text().replace(DROPPED, ""))
    assert runner.invoke(app, ["generate", "--no-terraform"]).exit_code == 1  # gated
    return root


def context() -> dict[str, Any]:
    """What the channel passes with a turn: the gates and approvals of the output directory."""
    config, governed = load_governed(None, None, None, None)
    return turn_gates(config, governed)


def talk(pool: MemoryPool, root: Path, thread_id: str) -> Conversation:
    session = ConversationSession(pool, thread_id)
    session.open()
    with session.lock():
        session.start(initial_state(thread_id, root))
    return Conversation(session, MemoryStore(pool))


def write_approvals(conversation: Conversation) -> None:
    """What the channel does after the turn: the conversation's approvals into approvals.json."""
    state = conversation.session.state()
    assert state is not None
    config, _ = load_governed(None, None, None, None)
    record_conversation_approvals(config, state.get("approvals") or [])


def gated_environments() -> list[str]:
    result = runner.invoke(app, ["check", "--format", "json"])
    findings = json.loads(result.stdout)["findings"]
    return sorted(
        str(f["message"]).split(" in ")[1].split(",")[0]
        for f in findings
        if f["rule"] == "migrations.destructive"
    )


def test_allow_is_a_registered_command_in_help() -> None:
    assert "| `allow CODE on OBJECT [in ENV]` |" in HELP_TEXT
    assert parse_commands("/uc allow ds103 on sales.orders.legacy_code").commands == [
        Allow(code="DS103", object="sales.orders.legacy_code")
    ]
    assert parse_commands("allow DS103 on `sales`.orders.x in prod").commands == [
        Allow(code="DS103", object="sales.orders.x", environment="prod")
    ]
    (error,) = parse_commands("allow 103 on sales.orders.x").errors
    assert error.message == "expected a name, but found `103`"
    (error,) = parse_commands("allow D103 on sales.orders.x").errors
    assert error.message == "`D103` is not a change code" and "e.g. DS103" in (error.hint or "")


def test_allow_in_the_conversation_writes_the_approval_as_the_terminal_does(
    memory_pool: MemoryPool, gated: Path
) -> None:
    assert gated_environments() == ["dev", "prod", "staging"]
    conversation = talk(memory_pool, gated, "test:allow")
    result = conversation.say("allow DS103 on sales.orders.ip_address in prod", author="ana", **context())
    assert result.state["outcome"] == "answered" and not result.rejected, result.reply
    assert result.reply.startswith("Approved:\n- DS103 on retail.sales.orders.ip_address in prod by ana at ")
    assert "migration V0002__" in result.reply and "void once that change changes" in result.reply
    [approval] = result.state["approvals"]
    assert (approval["code"], approval["object_path"], approval["environment"]) == ("DS103", OBJECT, "prod")
    payload = conversation.store.messages("test:allow")[-1].payload
    assert payload["approvals"] == [approval]
    write_approvals(conversation)
    assert gated_environments() == ["dev", "staging"]
    [recorded] = json.loads((gated / "generated" / "approvals.json").read_text())["approvals"]
    assert recorded == approval  # the terminal's format: code, object, environment, who, when, digest

    # the bot's form, every environment; the approval of prod is renewed, the others are new
    result = conversation.say("/uc allow DS103 on retail.sales.orders.ip_address", author="ana", **context())
    assert "in every environment by ana" in result.reply, result.reply
    write_approvals(conversation)
    assert gated_environments() == []
    assert runner.invoke(app, ["check"]).exit_code == 0


def test_the_terminal_and_the_conversation_bind_the_same_change(memory_pool: MemoryPool, gated: Path) -> None:
    terminal = runner.invoke(
        app, ["allow", "DS103", "on", "sales.orders.ip_address", "--env", "dev", "--by", "bo"]
    )
    assert terminal.exit_code == 0, terminal.output
    assert f"approved DS103 on {OBJECT} in dev by bo" in terminal.stdout
    conversation = talk(memory_pool, gated, "test:allow-same")
    result = conversation.say("allow DS103 on sales.orders.ip_address in staging", author="ana", **context())
    [from_terminal] = json.loads((gated / "generated" / "approvals.json").read_text())["approvals"]
    assert result.state["approvals"][0]["change_digest"] == from_terminal["change_digest"]
    write_approvals(conversation)
    assert gated_environments() == ["prod"]
    # written again (after a later turn): the approvals file is unchanged, the terminal's kept
    write_approvals(conversation)
    assert len(json.loads((gated / "generated" / "approvals.json").read_text())["approvals"]) == 2


def test_nothing_matching_is_refused_listing_what_awaits_an_approval(
    memory_pool: MemoryPool, gated: Path
) -> None:
    conversation = talk(memory_pool, gated, "test:allow-none")
    result = conversation.say("allow DS102 on sales.orders in prod", author="ana", **context())
    assert result.reply.startswith("Nothing was applied.") and result.rejected
    assert "no destructive change DS102 on sales.orders in prod, pending or in a migration" in result.reply
    assert (
        "awaiting an approval: DS103 on retail.sales.orders.ip_address in dev (migration V0002__"
        in result.reply
    )
    assert not result.state.get("approvals")
    wrong_env = conversation.say("allow DS103 on sales.orders.ip_address in prd", author="ana", **context())
    assert "environment `prd` not found; did you mean `prod`?" in wrong_env.reply


def test_allow_is_refused_where_it_cannot_be_bound_or_given(memory_pool: MemoryPool, gated: Path) -> None:
    conversation = talk(memory_pool, gated, "test:allow-refused")
    reader = conversation.say(
        "allow DS103 on sales.orders.ip_address", author="eve", permission="write", **context()
    )
    assert "Only a maintainer (maintain or admin permission) can approve" in reader.reply
    maintainer = conversation.say(
        "allow DS103 on sales.orders.ip_address", author="max", permission="maintain", **context()
    )
    assert maintainer.reply.startswith("Approved:"), maintainer.reply
    mixed = conversation.say(
        "allow DS103 on sales.orders.ip_address; drop column sales.orders.status", **context()
    )
    assert "send it on its own" in mixed.reply
    anonymous = conversation.say("allow DS103 on sales.orders.ip_address", **context())
    assert "records who gave it" in anonymous.reply


def test_without_the_channels_gates_allow_approves_the_conversations_own_migrations(
    memory_pool: MemoryPool,
) -> None:
    conversation = start_conversation(memory_pool, "test:allow-own")
    nothing = conversation.say("allow DS103 on sales.orders.ip_address", author="ana")
    assert "no destructive change DS103 on sales.orders.ip_address" in nothing.reply
    assert "none awaits an approval" in nothing.reply
    dropped = conversation.say("drop column sales.orders.ip_address", author="bob")
    assert dropped.state["outcome"] == "applied", dropped.reply
    result = conversation.say("allow DS103 on sales.orders.ip_address in prod", author="ana")
    assert result.reply.startswith(f"Approved:\n- DS103 on {OBJECT} in prod by ana at "), result.reply
    assert "(migration V0002__" in result.reply
    state = conversation.session.state()
    assert state is not None
    generation = conversation.session.generation(state)
    assert generation is not None
    [migration] = [p for p in generation.files if p.startswith("sql/prod/V0002__")]
    [gate_line] = [
        line for line in generation.files[migration].splitlines() if line.startswith("-- gate DS103")
    ]
    assert gate_line.split()[3] == result.state["approvals"][0]["change_digest"]
