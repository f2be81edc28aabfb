"""`accelerator infra synth`: the bot's own deployment on Databricks, from infra/infra.yaml.

Writes OUT/cdk.tf.json (the cdktn stack: Lakebase, the Databricks App, the identities), OUT/app/
(the App's app.yaml and requirements.txt, to sync to the workspace and deploy) and OUT/GITHUB.md
(the GitHub App's permissions and events, the repository variables, the environments).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accelerator.channels.cli.app import fail, new_app, out
from accelerator.errors import AcceleratorError

infra_app = new_app(
    help="Deploy the bot itself on Databricks (Lakebase, a Databricks App, secretless identities)."
)


@infra_app.command("synth")
def synth(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="the deployment's settings (see infra/infra.yaml)")
    ] = Path("infra/infra.yaml"),
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="where to write (default: the config's directory)")
    ] = None,
    terraform: Annotated[
        bool,
        typer.Option("--terraform/--no-terraform", help="synthesize cdk.tf.json (needs Node.js for cdktn)"),
    ] = True,
) -> None:
    """Write OUT/cdk.tf.json, OUT/app/app.yaml, OUT/app/requirements.txt and OUT/GITHUB.md."""
    from accelerator.infra import app_files, github_settings_markdown, load_infra_config

    try:
        settings = load_infra_config(config)
        files = {f"app/{name}": text for name, text in app_files(settings).items()}
        files["GITHUB.md"] = github_settings_markdown(settings)
        if terraform:
            from accelerator.infra.stack import synthesize_infra

            files["cdk.tf.json"] = synthesize_infra(settings)
    except AcceleratorError as error:
        fail(error)
    target = out_dir if out_dir is not None else config.parent
    for name, text in sorted(files.items()):
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        out.print(f"wrote {path}", markup=False)
    kind = "Lakebase Autoscaling" if settings.memory.kind == "autoscaling" else "Lakebase Provisioned"
    out.print(
        f"{settings.app.name}: {kind} memory {settings.memory.catalog}, "
        f"CI for {settings.github.repository} ({', '.join(settings.github.environments)})",
        markup=False,
    )
    if terraform:
        out.print(
            f'next: cd {target} && terraform init && TF_VAR_github_app_private_key="$(cat KEY.pem)" '
            "terraform apply",
            markup=False,
        )
