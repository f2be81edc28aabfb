"""lark's parse errors -> `ErdSyntaxError`s in Mermaid's terms: what was found, what was expected, a hint.

lark reports terminal names (`ATTR_TYPE`, `RBRACE`); users write Mermaid, so each expected set is
described with Mermaid's words, and two frequent mistakes get their own message: a missing
`erDiagram` header and an attribute block whose `}` is missing.
"""

from __future__ import annotations

import re

from lark import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from accelerator.erd.parsed import LineIndex
from accelerator.errors import ErdSyntaxError

SYNTAX_DOCS = "https://mermaid.js.org/syntax/entityRelationshipDiagram.html"
_CARDINALITIES = {"ZERO_OR_ONE", "EXACTLY_ONE", "ONE_OR_MORE", "ZERO_OR_MORE"}
_RELATIONS = {"IDENTIFYING", "NON_IDENTIFYING"}
_BLOCK = {"ATTR_TYPE", "ATTR_NAME", "RBRACE"}
_MARKERS = "`||`, `|o`, `o|`, `}|`, `|{`, `}o`, `o{` or a word alias such as `one or more`"
_RELATIONSHIP_HINT = (
    "a relationship is `A ||--o{ B : label`: a marker on each side (`||` exactly one, `|o`/`o|` zero or "
    "one, `}|`/`|{` one or more, `}o`/`o{` zero or more) joined by `--` (identifying) or `..` "
    "(non-identifying), then `:` and a label"
)
# Outside quotes and comments: block braces, and the cardinality markers that also hold a brace.
_BRACES = re.compile(r"\"[^\"\n]*\"|`[^`\n]*`|%%[^\n]*|(?<![\w.-])o\{|\|\{|\}\||\}o(?![\w])|[{}]")
_STATEMENT_LIKE = re.compile(r"\{|--|\.\.|\s(?:optionally\s+)?to\s|^\s*erDiagram", re.I)


def syntax_error(error: UnexpectedInput, text: str, file: str, source: str) -> ErdSyntaxError:
    """Describe a lark error at its position in `text` (whose lines are those of `source`)."""
    index = LineIndex(text, file)
    if isinstance(error, UnexpectedToken):
        expected = set(error.expected)
        at_end = error.token.type == "$END"
        position = len(text.rstrip()) if at_end else error.token.start_pos or 0
        found = _describe_found(error.token.type, str(error.token))
    else:
        expected = set(getattr(error, "allowed", None) or getattr(error, "expected", None) or ())
        at_end = not isinstance(error, UnexpectedCharacters)
        position = len(text.rstrip()) if at_end else error.pos_in_stream or 0
        found = "the end of the diagram" if at_end else f"`{_word_at(text, position)}`"
    line, column = index.position(position)

    def located(message: str, hint: str, at: tuple[int, int] = (line, column)) -> ErdSyntaxError:
        return ErdSyntaxError(message, file=file, line=at[0], column=at[1], hint=hint, source=source)

    if "ER_DIAGRAM" in expected:
        return located(
            f"a Mermaid ER diagram starts with the header `erDiagram`; found {found}",
            "start the diagram with a line `erDiagram` (an optional `---` front-matter block may come first)",
        )
    if expected & _BLOCK and (at_end or _STATEMENT_LIKE.search(_line_at(text, position))):
        brace = _unclosed_brace(text, position)
        if brace is not None:
            entity = text[:brace].rsplit("\n", 1)[-1].strip() or "the entity"
            ending = "the diagram ends" if at_end else f"line {line} holds another statement"
            return located(
                f"the attribute block of {entity} is never closed: {ending} before its `}}`",
                f"add a line `}}` after the last attribute of {entity}",
                index.position(brace),
            )
    words = list(re.finditer(r"\S+", _line_at(text, position)[: column - 1]))
    if "ATTR_NAME" in expected and len(words) >= 3:  # `type name XX`: XX was read as the next type
        attribute, bad = f"{words[0].group()} {words[1].group()}", words[2].group()
        return located(
            f"`{bad}` after the attribute `{attribute}` is not a key; expected `PK`, `FK` or `UK` "
            '(comma-separated), then an optional comment in "double quotes"',
            'write the attribute as `type name [PK|FK|UK] ["comment"]`',
            (line, words[2].start() + 1),
        )
    expected_text = _join(_expected_phrases(expected))
    message = f"found {found}; expected {expected_text}" if expected_text else f"unexpected {found}"
    if expected & (_CARDINALITIES | _RELATIONS) or "COLON" in expected or "LABEL_TEXT" in expected:
        hint = _RELATIONSHIP_HINT
    elif expected & _BLOCK:
        hint = (
            'write one attribute per line as `type name [PK|FK|UK] ["comment"]`, and close the block with `}`'
        )
    else:
        hint = f"see the erDiagram syntax at {SYNTAX_DOCS}"
    return located(message, hint)


def _describe_found(kind: str, value: str) -> str:
    if kind == "$END":
        return "the end of the diagram"
    if kind == "_NL":
        return "the end of the line"
    shown = value.strip() if kind == "QUOTED" else (value.split() or [value])[0]
    return f"`{shown[:40]}`"


def _expected_phrases(expected: set[str]) -> list[str]:
    phrases: list[str] = []
    if "TITLE_LINE" in expected:  # the start of a statement
        phrases.append("an entity or a relationship (`A ||--o{ B : label`)")
    elif "ENTITY_NAME" in expected:
        phrases.append("an entity name")
    if expected & _CARDINALITIES:
        phrases.append(f"a cardinality marker ({_MARKERS})")
    if expected & _RELATIONS:
        phrases.append("`--` (identifying) or `..` (non-identifying), or `to` / `optionally to`")
    in_block = bool(expected & {"ATTR_TYPE", "KEY"})
    for terminal, phrase in (
        ("ATTR_TYPE", "an attribute `type name`"),
        ("ATTR_NAME", "an attribute name (attributes are `type name`)"),
        ("KEY", "a key `PK`, `FK` or `UK`"),
        ("COMMA", "`,` and another key"),
        ("COLON", "`:` and a relationship label"),
        ("LABEL_TEXT", 'a relationship label (a word or "quoted text")'),
        ("LBRACE", "`{` and the attributes"),
        ("LSQB", '`["alias"]`'),
        ("ALIAS_TEXT", "an alias"),
        ("RSQB", "`]`"),
        ("CLASS_LIST", "a class name"),
        ("RBRACE", "a `}` closing the block"),
    ):
        if terminal in expected:
            phrases.append(phrase)
    if "QUOTED" in expected and in_block:
        phrases.insert(len(phrases) - ("RBRACE" in expected), 'a comment in "double quotes"')
    if "_NL" in expected and "RBRACE" not in expected:
        phrases.append("the end of the line")
    return phrases


def _join(phrases: list[str]) -> str:
    if len(phrases) <= 1:
        return "".join(phrases)
    return ", ".join(phrases[:-1]) + " or " + phrases[-1]


def _word_at(text: str, position: int) -> str:
    match = re.compile(r"[^\s]{1,30}").match(text, position)
    return match.group(0) if match else text[position : position + 1]


def _line_at(text: str, position: int) -> str:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return text[start : end if end >= 0 else len(text)]


def _unclosed_brace(text: str, position: int) -> int | None:
    """The offset of the last block `{` before `position` that no `}` closes."""
    open_braces: list[int] = []
    for match in _BRACES.finditer(text, 0, position):
        token = match.group(0)
        if token == "{":
            open_braces.append(match.start())
        elif token == "}" and open_braces:
            open_braces.pop()
    return open_braces[-1] if open_braces else None
