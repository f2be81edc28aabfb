"""The check run `accelerator/governance` on the head commit: its conclusion from the error findings,
its annotations on the ERD and policy lines, at most 50 per request (GitHub's limit), the rest
appended in batches. One per head commit: a retried turn finds it and writes nothing again.

Only a run the bot made counts as "it": any App, or a workflow the pull request adds (with
`checks: write`), can create a run of the same name, and a green one must not stand in for the bot's.
The bot's runs are those of its App (the run's `app.slug` is the bot's login without `[bot]`). Branch
protection should pin the required check to the App too ("Require status checks", source: the App).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from github.Repository import Repository

from accelerator.lru import BoundedLru
from accelerator.model import Finding

CHECK_NAME = "accelerator/governance"
BATCH = 50
MAX_ANNOTATIONS = 1000
LEVELS = {"error": "failure", "warn": "warning", "info": "notice"}


class Published(BoundedLru[tuple[str, str], None]):
    """The heads (repository key, commit sha) the bot's run is known to be on, in this process: a
    later turn on the same head lists no runs. A run is never taken back, so this is never stale."""

    def __init__(self, size: int = 4096) -> None:
        super().__init__(size)

    def add(self, key: tuple[str, str]) -> None:
        self.put(key, None)


PUBLISHED = Published()


def annotations_of(findings: Sequence[Finding], files: set[str] | None = None) -> list[dict[str, Any]]:
    """The findings located in the repository's files, as check annotations."""
    found: list[dict[str, Any]] = []
    for finding in findings:
        if not finding.file or not finding.line or (files is not None and finding.file not in files):
            continue
        found.append(
            {
                "path": finding.file,
                "start_line": finding.line,
                "end_line": finding.line,
                "annotation_level": LEVELS.get(finding.severity, "notice"),
                "title": finding.rule[:255],
                "message": finding.message[:64_000],
            }
        )
    return found[:MAX_ANNOTATIONS]


def conclusion(findings: Sequence[Finding], problem: str | None) -> str:
    return "failure" if problem or any(f.severity == "error" for f in findings) else "success"


def made_by(run: Any, bot_login: str) -> bool:
    """The check run was created by the bot's App (`bot_login`: `NAME[bot]`, the App's slug NAME)."""
    app = getattr(run, "app", None)
    slug = getattr(app, "slug", None) if app is not None else None
    return isinstance(slug, str) and slug == bot_login.removesuffix("[bot]")


def publish_check(
    repo: Repository,
    head: str,
    findings: Sequence[Finding],
    problem: str | None,
    files: set[str] | None = None,
    *,
    bot_login: str,
    new_commit: bool = False,
) -> int | None:
    """Create the head's check run unless the bot made one; the run's id (None when it existed).
    A run of the same name by another App or a workflow is not the bot's: it does not count.
    `new_commit`: the caller made the head commit in this very turn, so no run of the bot's can be on
    it yet (its runs are not listed)."""
    if not new_commit:
        existing = repo.get_commit(head).get_check_runs(check_name=CHECK_NAME)
        if any(run.name == CHECK_NAME and made_by(run, bot_login) for run in existing):
            return None
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = sum(1 for f in findings if f.severity == "warn")
    title = "does not build" if problem else f"{errors} error(s), {warnings} warning(s)"
    summary = (problem or f"Governance findings: {errors} error(s), {warnings} warning(s), "
               f"{len(findings) - errors - warnings} note(s).")[:60_000]  # fmt: skip
    notes = annotations_of(findings, files)
    output: dict[str, Any] = {"title": title, "summary": summary, "annotations": notes[:BATCH]}
    run = repo.create_check_run(
        CHECK_NAME, head, status="completed", conclusion=conclusion(findings, problem), output=output
    )
    for start in range(BATCH, len(notes), BATCH):
        run.edit(output={"title": title, "summary": summary, "annotations": notes[start : start + BATCH]})
    return run.id
