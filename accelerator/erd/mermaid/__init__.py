"""Mermaid `erDiagram`: reads a `.mmd` file, or the ```mermaid fences of Markdown, and patches it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accelerator.erd.format import Format

if TYPE_CHECKING:
    from accelerator.erd.parsed import ParsedErd
    from accelerator.erd.patch_inputs import ErdPatcher


def _parse_mermaid(text: str, file: str, dialect: str, default_schema: str) -> ParsedErd:
    from accelerator.erd.mermaid.reader import parse_mermaid

    return parse_mermaid(text, file, default_schema=default_schema)


def _parse_markdown(text: str, file: str, dialect: str, default_schema: str) -> ParsedErd:
    from accelerator.erd.mermaid.reader import parse_markdown

    return parse_markdown(text, file, default_schema=default_schema)


def _mermaid_patcher(file: str, text: str, dialect: str) -> ErdPatcher:
    from accelerator.erd.mermaid.patch import MermaidPatcher

    return MermaidPatcher(file, text)


def _markdown_patcher(file: str, text: str, dialect: str) -> ErdPatcher:
    from accelerator.erd.mermaid.patch import MermaidPatcher

    return MermaidPatcher(file, text, markdown=True)


MERMAID = Format("mermaid", (".mmd", ".mermaid"), _parse_mermaid, _mermaid_patcher)
MARKDOWN = Format("markdown", (".md", ".markdown"), _parse_markdown, _markdown_patcher)
