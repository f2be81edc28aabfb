"""Which gate an approval names (`plan.gates.gate_to_approve`), pure: the one lookup the terminal's
`accelerator allow`, the conversation's `allow` and the bot share (issue 10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelerator.errors import AcceleratorError
from accelerator.generate import ErdInput, PolicyInput, govern_inputs
from accelerator.plan import diff
from accelerator.plan.gates import (
    Approval,
    Gate,
    approval_of,
    change_digest,
    diff_gates,
    gate_to_approve,
    open_gates,
)
from accelerator.plan.migrations import changes_in

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "retail"
OBJECT = "retail.sales.orders.ip_address"
DIGEST = change_digest("DS103", OBJECT, "column dropped")


def gate(
    env: str, digest: str = DIGEST, code: str = "DS103", obj: str = OBJECT, file: str = "V0002__x.sql"
) -> Gate:
    return Gate(code, digest, obj, env, f"generated/sql/{env}/{file}", 3)


def approval(env: str | None, digest: str = DIGEST, at: str = "2026-01-01T00:00:00+00:00") -> Approval:
    return Approval("DS103", OBJECT, env, "ana", at, digest)


GATES = [gate("dev"), gate("prod")]


def test_the_gate_is_found_by_code_and_object_with_or_without_the_catalog() -> None:
    assert gate_to_approve("ds103", OBJECT, None, GATES, []) == GATES[0]
    assert gate_to_approve("DS103", "sales.orders.ip_address", "prod", GATES, []) == GATES[1]
    assert gate_to_approve("DS103", "orders.IP_ADDRESS", "prod", GATES, []) == GATES[1]
    made = approval_of(GATES[1], "prod", "ana", "2026-01-01T00:00:00+00:00")
    assert made == Approval("DS103", OBJECT, "prod", "ana", "2026-01-01T00:00:00+00:00", DIGEST)
    assert made.names(GATES[1]) and not made.names(GATES[0])


def test_no_match_is_refused_listing_the_gates_that_await_an_approval() -> None:
    with pytest.raises(AcceleratorError) as caught:
        gate_to_approve(
            "DS102", "sales.orders", None, [*GATES, gate("prod", code="DS101", obj="retail.sales.x")], []
        )
    message = caught.value.message
    assert message.startswith("no destructive change DS102 on sales.orders, pending or in a migration")
    assert (
        "awaiting an approval: DS103 on retail.sales.orders.ip_address in dev (migration V0002__x.sql)"
        in message
    )
    assert "DS101 on retail.sales.x in prod" in message
    with pytest.raises(AcceleratorError, match="none awaits an approval"):
        gate_to_approve("DS102", OBJECT, None, GATES, [approval(None)])  # every gate is approved
    with pytest.raises(AcceleratorError, match=r"DS103 on retail.sales.orders.ip_address in prod"):
        gate_to_approve("DS103", OBJECT, "staging", GATES, [])  # not in staging


def test_open_gates_leave_out_what_the_policy_allows_or_an_approval_covers() -> None:
    assert open_gates(GATES, [approval("prod")]) == [GATES[0]]
    assert open_gates(GATES, [], {"dev": "all"}) == [GATES[1]]
    assert open_gates(GATES, [], {"dev": ["DS103"], "prod": ["DS103"]}) == []
    assert open_gates(GATES, [approval("prod", digest="0" * 16)]) == GATES  # void: another change


def test_a_covered_change_can_be_approved_again_and_different_changes_need_an_environment() -> None:
    assert gate_to_approve("DS103", OBJECT, "prod", GATES, [approval("prod")]) == GATES[1]  # renewed
    other = gate("prod", digest="f" * 16, file="V0003__y.sql")
    assert (
        gate_to_approve("DS103", OBJECT, None, [GATES[0], other], [approval("dev")]) == other
    )  # the open one
    with pytest.raises(AcceleratorError, match="names different changes in different environments") as caught:
        gate_to_approve("DS103", OBJECT, None, [GATES[0], other], [])
    assert "`in ENV` in a conversation" in (caught.value.hint or "")


def test_a_short_name_that_names_two_objects_is_refused() -> None:
    twins = [gate("prod", obj="retail.sales.orders.note"), gate("prod", obj="retail.crm.orders.note")]
    with pytest.raises(AcceleratorError, match="names several objects"):
        gate_to_approve("DS103", "orders.note", "prod", twins, [])


def test_the_pending_diff_gives_gates_bound_to_its_changes() -> None:
    text = (EXAMPLE / "erd/retail.dbml").read_text()
    policy = PolicyInput("policies/governance.yaml", (EXAMPLE / "policies/governance.yaml").read_text())
    before = govern_inputs("retail", [ErdInput("erd/retail.dbml", text, "retail", "dbml")], policy)
    dropped = "\n".join(line for line in text.splitlines() if not line.strip().startswith("ip_address "))
    after = govern_inputs("retail", [ErdInput("erd/retail.dbml", dropped, "retail", "dbml")], policy)
    changes = diff(before.project, after.project)
    pending = diff_gates({env: changes_in(changes, env) for env in ("dev", "prod")})
    assert [(g.code, g.object, g.environment, g.file) for g in pending] == [
        ("DS103", OBJECT, "dev", ""),
        ("DS103", OBJECT, "prod", ""),
    ]
    assert gate_to_approve("DS103", "sales.orders.ip_address", "prod", pending, []) == pending[1]
    with pytest.raises(AcceleratorError, match="in prod \\(pending, in no migration yet\\)"):
        gate_to_approve("DS102", "sales.orders", None, pending, [])
