"""The errors the sandbox answers with, as GitHub shapes them: a status, a message, validation details."""

from __future__ import annotations

from typing import Any

DOCUMENTATION_URL = "https://docs.github.com/rest"


class GitHubError(Exception):
    """An HTTP error answered with GitHub's body: `{"message": ..., "documentation_url": ...}`."""

    def __init__(self, status: int, message: str, errors: list[Any] | None = None) -> None:
        """`errors`: GitHub's validation details (objects), or for some 422s its sentences (strings)."""
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "documentation_url": DOCUMENTATION_URL}
        if self.errors is not None:
            body["errors"] = self.errors
        body["status"] = str(self.status)
        return body


def not_found() -> GitHubError:
    return GitHubError(404, "Not Found")


def validation_failed(resource: str, field: str, message: str, code: str = "custom") -> GitHubError:
    """A 422 as GitHub answers a rejected field."""
    return GitHubError(
        422,
        "Validation Failed",
        [{"resource": resource, "code": code, "field": field, "message": message}],
    )
