"""Gates, pure: a migration's destructive changes are recorded in its header; an approval covers the
change it saw (code, object, environment, digest) and is void once that change differs; the
policy may allow codes per environment."""

from __future__ import annotations

from accelerator.model.copying import deep_copied
from accelerator.model.elements import Project
from accelerator.plan import diff
from accelerator.plan.gates import (
    Approval,
    Gate,
    digest_of,
    gate_findings,
    gates_in,
    parse_approvals,
    render_approvals,
    with_approval,
)
from accelerator.plan.migrations import render_migration


def narrowed(project: Project, to: str) -> Project:
    after = deep_copied(project)
    [orders] = [t for _, s, t in after.iter_tables() if s.name == "sales" and t.name == "orders"]
    [amount] = [c for c in orders.columns if c.name == "total_amount"]
    amount.type = to
    return after


def migration_gates(project: Project, to: str, env: str = "prod") -> tuple[list[Gate], str]:
    environment = project.environment(env)
    assert environment is not None
    changes = diff(project, narrowed(project, to))
    text = render_migration("V0002__x.sql", changes, environment, terraform=True)
    assert text is not None
    return gates_in(f"generated/sql/{env}/V0002__x.sql", text, env), text


def approval(gate_digest: str, environment: str | None = "prod") -> Approval:
    return Approval(
        "TY101",
        "retail.sales.orders.total_amount",
        environment,
        "ana",
        "2026-12-06T01:00:00+00:00",
        gate_digest,
    )


def test_an_approval_covers_the_change_it_saw_and_is_void_once_it_differs(retail_project: Project) -> None:
    gates, text = migration_gates(retail_project, "DECIMAL(8,2)")
    [gate] = gates
    assert (gate.code, gate.object, gate.environment) == ("TY101", "retail.sales.orders.total_amount", "prod")
    assert text.splitlines()[gate.line - 1].startswith("-- gate TY101 ")
    [finding] = gate_findings(gates, [], {}, retail_project)
    assert finding.rule == "migrations.destructive" and finding.severity == "error"
    assert finding.file == "erd/retail.dbml" and finding.line  # the column's own line in the ERD
    assert gate_findings(gates, [approval(gate.digest)], {}, retail_project) == []
    assert gate_findings(gates, [approval(gate.digest, None)], {}, retail_project) == []
    assert gate_findings(gates, [approval(gate.digest, "dev")], {}, retail_project) != []
    # the ERD now narrows the column further: the same code on the same column, another change
    [other] = migration_gates(retail_project, "DECIMAL(6,2)")[0]
    assert other.digest != gate.digest
    [void] = gate_findings([other], [approval(gate.digest)], {}, retail_project)
    assert "the approval by ana at 2026-12-06T01:00:00+00:00 is void" in void.message


def test_the_policy_allows_codes_per_environment(retail_project: Project) -> None:
    gates, _ = migration_gates(retail_project, "DECIMAL(8,2)")
    assert gate_findings(gates, [], {"prod": "all"}, retail_project) == []
    assert gate_findings(gates, [], {"prod": ["TY101"]}, retail_project) == []
    assert gate_findings(gates, [], {"prod": ["DS103"], "dev": "all"}, retail_project) != []


def test_without_the_object_in_the_model_the_finding_is_at_the_migration(retail_project: Project) -> None:
    gates, _ = migration_gates(retail_project, "DECIMAL(8,2)")
    [finding] = gate_findings(gates, [], {}, None)
    assert (finding.file, finding.line) == ("generated/sql/prod/V0002__x.sql", gates[0].line)


def test_approvals_round_trip_and_a_renewed_one_replaces_the_old(retail_project: Project) -> None:
    change = next(c for c in diff(retail_project, narrowed(retail_project, "INT")) if c.code == "TY101")
    first, renewed = approval("a" * 16), approval(digest_of(change))
    kept = with_approval(with_approval([], first), renewed)
    assert kept == [renewed]
    assert parse_approvals(render_approvals(kept), "approvals.json") == kept
