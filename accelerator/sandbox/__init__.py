"""A local GitHub for the demo, the tests and users trying the bot: GitHub's REST paths under `/api/v3`
on real bare git repositories, with signed webhooks."""

from accelerator.sandbox.api import create_app
from accelerator.sandbox.server import RunningSandbox, start_sandbox
from accelerator.sandbox.state import SandboxState

__all__ = ["RunningSandbox", "SandboxState", "create_app", "start_sandbox"]
