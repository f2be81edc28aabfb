"""The Mermaid `erDiagram` grammar (`erd/mermaid/mermaid.lark`), compiled once for every module.

Two parsers, one per grammar: `FAST_PARSER` adds the fast path of `mermaid.lark` (ATTR_BLOCK and
REL_LINE, one token per attribute block and per relationship) and is what the reader parses with;
`grammar_parser()` is the grammar as written, for syntax errors in its terms and for the patcher,
which needs every name token. Spans come from tokens, not propagate_positions.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lark import Lark

GRAMMAR = Path(__file__).with_name("mermaid.lark").read_text(encoding="utf-8")
FAST_PARSER = Lark(
    GRAMMAR + "\n%extend block: ATTR_BLOCK\n%extend relationship: REL_LINE\n",
    parser="lalr",
    maybe_placeholders=False,
)


@cache
def grammar_parser() -> Lark:
    """The grammar without the fast path, compiled on first use: most processes never need it."""
    return Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)


def terminal_pattern(name: str) -> str:
    """The regular expression of one terminal of the grammar."""
    return FAST_PARSER.get_terminal(name).pattern.to_regexp()
