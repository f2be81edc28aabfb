"""`allow` through `accelerator chat`: a turn that drops a column makes a gated migration, and a
following `allow` approves that migration's change, saying who approved what (issue 10)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from accelerator.cli import app
from tests.channels.test_chat_cli import invoke, project

__all__ = ["project"]  # the fixture
runner = CliRunner()


def test_allow_in_the_chat_approves_the_change_its_migration_holds(
    project: Path, database_url: str, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["generate", "--no-terraform"]).exit_code == 0
    turns = (
        "allow DS103 on sales.orders.ip_address\n"
        "drop column sales.orders.ip_address\n"
        "allow DS103 on sales.orders.ip_address in prod\n"
    )
    result = invoke("chat", turns=turns, database_url=database_url, directory=tmp_path)
    output = result.output
    assert "no destructive change DS103 on sales.orders.ip_address" in output, output
    assert "Approved:\n- DS103 on retail.sales.orders.ip_address in prod by " in output, output
    assert "(migration V0002__" in output
    # the approval is written where generate and check read it: prod's gate is cleared
    approvals = (project / "generated" / "approvals.json").read_text()
    assert '"DS103"' in approvals and "sales.orders.ip_address" in approvals
    checked = json.loads(runner.invoke(app, ["check", "--format", "json"]).stdout)["findings"]
    gated = [
        f["message"] for f in checked if f["rule"] == "migrations.destructive" and f["severity"] == "error"
    ]
    assert [message.split(" in ")[1].split(",")[0] for message in gated] == ["dev", "staging"]
