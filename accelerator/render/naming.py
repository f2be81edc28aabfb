"""Stable, safe names for generated files and Terraform resource ids.

A clean name (lower-case letters, digits, single underscores) is kept as is; anything else becomes a
slug plus a short hash of the original, so different hostile names never collide and the same name
always gets the same id.
"""

from __future__ import annotations

import hashlib
import re

_CLEAN = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_MAX_SLUG = 40


def slug(name: str) -> str:
    """A lower-case `[a-z0-9_]` slug without `__`, so `__` can join parts unambiguously."""
    if _CLEAN.fullmatch(name) and len(name) <= _MAX_SLUG:
        return name
    cleaned = _NOT_SLUG.sub("_", name.lower()).strip("_")[:_MAX_SLUG].strip("_")
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned}_{digest}" if cleaned else digest


def resource_id(kind: str, *names: str) -> str:
    """A Terraform-safe, construct-safe id: `kind__part__part`, e.g. `schema__retail__crm`."""
    return "__".join([kind, *(slug(name) for name in names)])


def file_stem(name: str) -> str:
    return slug(name)
