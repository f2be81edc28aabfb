"""The bot's own deployment on Databricks (`accelerator infra synth`), configured by infra/infra.yaml.

- `config.py`: infra.yaml, validated with located errors (names, sizes, the Lakebase kind).
- `stack.py`: the cdktn stack (Lakebase memory, the Databricks App, the bot's and CI's identities).
- `app_files.py`: the App's app.yaml and requirements.txt.
- `github.py`: the GitHub App's permissions and events, the repository variables, GITHUB.md.
"""

from accelerator.infra.app_files import app_files
from accelerator.infra.config import InfraConfig, load_infra_config
from accelerator.infra.github import github_settings_markdown

__all__ = ["InfraConfig", "app_files", "github_settings_markdown", "load_infra_config"]
