"""PR comment -> typed commands (the way Atlantis' comment_parser turns a comment into a command).

A comment is one turn. It is cut into statements (`statements.py`: lines or `;`-separated parts,
skipping Markdown quotes and fenced code), each is parsed with the LALR grammar `commands.lark`,
and each tree becomes the typed operation registered for its rule (`operations.RULES`: the
class's `from_tree`). The grammar's start rule is built from the registry, so an operation's rules
are reachable exactly when it is registered.

Decision: parsing never raises. `parse_commands` returns every command it understood and a
`CommandSyntaxError` for every statement it did not, so a reply can report all problems of a
comment at once. Because the commands of one comment are meant together, the agent applies a turn
only when it has no errors (`ParsedComment.ok`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from lark import Lark, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from pydantic import ValidationError

from accelerator.edit.help import COMMAND_FORMS_ALL, closest_forms, near
from accelerator.edit.operation import EditBase
from accelerator.edit.operations import RULES, EditOp, ParsedCommand
from accelerator.edit.phrasings import PHRASINGS, trim_chatter
from accelerator.edit.readers import MisplacedValue
from accelerator.edit.statements import DEFAULT_BOT_NAMES, CommentStatement, split_statements
from accelerator.edit.values import invisible_character, replace_invisible
from accelerator.errors import CommandSyntaxError

__all__ = [
    "CommentStatement",
    "ParsedComment",
    "corrected_keywords",
    "parse_commands",
    "parse_statement",
    "split_joined",
    "split_statements",
]


@dataclass
class ParsedComment:
    """What a comment says: the commands understood, in order, and an error per bad statement."""

    commands: list[ParsedCommand] = field(default_factory=list)
    errors: list[CommandSyntaxError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every statement parsed: only then is the turn applied."""
        return not self.errors

    @property
    def edits(self) -> list[EditOp]:
        return [command for command in self.commands if isinstance(command, EditBase)]


def parse_commands(text: str, *, bot_names: Sequence[str] = DEFAULT_BOT_NAMES) -> ParsedComment:
    """Parse a comment into typed commands and located syntax errors (never raises)."""
    parsed = ParsedComment()
    for statement in split_statements(text, bot_names=bot_names):
        start, trimmed = trim_chatter(statement.text)  # `go ahead and rename ...` is one command
        statement = CommentStatement(trimmed, statement.line, statement.column + start)
        for part in split_joined(statement):
            try:
                parsed.commands.append(parse_statement(part, source=text))
            except CommandSyntaxError as error:
                parsed.errors.append(error)
    return parsed


def split_joined(statement: CommentStatement) -> list[CommentStatement]:
    """Commands joined by "and" / ", then" in one statement (`rename ... to d and drop column ...`):
    split where the joiner, outside quotes, is followed by a word that starts a command."""
    text, parts, start = statement.text, [], 0
    quoted = _quoted_offsets(text)
    for match in _JOINER.finditer(text):
        if match.start() in quoted or match.group("verb").lower() not in _starting_words():
            continue
        parts.append(CommentStatement(text[start : match.start()], statement.line, statement.column + start))
        start = match.start("verb")
    if not parts:
        return [statement]
    parts.append(CommentStatement(text[start:], statement.line, statement.column + start))
    return [part for part in parts if part.text.strip()]


_JOINER = re.compile(r"(?:\s*,\s*(?:and\s+)?|\s+(?:and|&)\s+)(?:then\s+|also\s+)?(?P<verb>[A-Za-z]+)\b", re.I)


def _quoted_offsets(text: str) -> set[int]:
    inside: set[int] = set()
    quote: str | None = None
    for index, char in enumerate(text):
        if quote is not None:
            inside.add(index)
            if char == quote:
                quote = None
        elif char in "\"'`":
            quote = char
            inside.add(index)
    return inside


@cache
def _starting_words() -> frozenset[str]:
    """The first keyword of every form and phrasing (`rename`, `drop`, `who`, ...)."""
    return frozenset(form.keywords.split()[0] for form in COMMAND_FORMS_ALL) | {
        "remove",
        "delete",
        "describe",
    }


def parse_statement(statement: CommentStatement, *, source: str | None = None) -> ParsedCommand:
    """Parse one statement; raise `CommandSyntaxError` located in the comment.

    Chatter around the command (`please`, a trailing `?`) is left out first; a statement that does
    not parse is tried again with its leading keywords' typos corrected (`renam colum`), and the
    error is the one of the statement as written when that does not parse either."""
    start, text = trim_chatter(statement.text)
    statement = CommentStatement(text, statement.line, statement.column + start)
    try:
        return _parse_one(statement, source)
    except CommandSyntaxError:
        corrected = corrected_keywords(statement.text)
        if corrected is None:
            raise
        try:
            return _parse_one(CommentStatement(corrected, statement.line, statement.column), source)
        except CommandSyntaxError:
            pass
        raise


def corrected_keywords(text: str) -> str | None:
    """`text` with its leading words replaced by the closest form's keywords when each is a near
    miss (`dorp colum` -> `drop column`), or None when no form's keywords are near or none differ."""
    words = []
    for match in re.finditer(r"\S+", text):
        if not match.group().isalpha():
            break
        words.append(match)
    best: tuple[int, tuple[str, ...]] | None = None
    for form in COMMAND_FORMS_ALL:
        keywords = tuple(form.keywords.split())
        if len(keywords) > len(words):
            continue
        distances = [near(w.group().lower(), k) for w, k in zip(words, keywords, strict=False)]
        if any(d is None for d in distances) or not any(distances):
            continue
        total = sum(d for d in distances if d is not None)
        if best is None or total < best[0]:
            best = (total, keywords)
    if best is None:
        return None
    keywords = best[1]
    out, position = [], 0
    for match, keyword in zip(words, keywords, strict=False):
        out += [text[position : match.start()], keyword]
        position = match.end()
    return "".join(out) + text[position:]


def _parse_one(statement: CommentStatement, source: str | None) -> ParsedCommand:
    invisible = invisible_character(statement.text, allow="\t")
    if invisible is not None:  # before the parser, which would echo the character as "found ..."
        offset, description = invisible
        raise _error_at(
            statement,
            offset,
            f"the command contains {description}, an invisible or control character",
            "retype the command without it: names, principals and texts cannot hold such characters",
            replace_invisible(source, allow="\t\n\r") if source is not None else None,
        )
    try:
        tree = _parser().parse(statement.text)
    except UnexpectedInput as error:
        raise _syntax_error(statement, error, source) from None
    try:
        return RULES[str(tree.data)].from_tree(tree, statement.text)
    except MisplacedValue as error:
        raise _error_at(statement, error.offset, error.message, error.hint, source) from None
    except ValidationError as error:
        message = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
        raise _error_at(statement, 0, message, None, source) from None


# -- the parser and its errors --------------------------------------------------------------------


@cache
def _parser() -> Lark:
    rules = (Path(__file__).parent / "commands.lark").read_text(encoding="utf-8")
    alternatives = [*RULES, *(phrasing.form.rule for phrasing in PHRASINGS)]
    grammar = f"?command: {' | '.join(alternatives)}\n\n{rules}"
    return Lark(grammar, start="command", parser="lalr", lexer="contextual", propagate_positions=True)


_TERMINAL_WORDS = {
    "NAME": "a name",
    "QUOTED_NAME": "a name",
    "STRING": 'a "quoted" text',
    "PRINCIPAL": "a principal",
    "TAG_WORD": "a value",
    "SIGNED_NUMBER": "a number",
    "$END": "the end of the command",
    "<END-OF-FILE>": "the end of the command",
}


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    if name.startswith("_") and name[1:].isalpha():
        return f"`{name[1:].lower()}`"
    try:
        return f"`{_parser().get_terminal(name).pattern.value}`"
    except KeyError:  # a name lark made up for a state, not one of the grammar's terminals
        return name.lower()


def _syntax_error(
    statement: CommentStatement, error: UnexpectedInput, source: str | None
) -> CommandSyntaxError:
    if isinstance(error, UnexpectedToken):
        # exact, unlike `error.expected`: LALR merges the states after a name across contexts
        parser_state = error.interactive_parser
        accepted = parser_state.accepts() if parser_state else error.expected  # type: ignore[no-untyped-call]
        expected_names = set(accepted)
        token = error.token
        at_end = token.type == "$END"
        offset = len(statement.text) if at_end else (token.start_pos or 0)
        found = "the command ends" if at_end else f"found `{token.value}`"
    elif isinstance(error, UnexpectedCharacters):
        expected_names = set(error.allowed)
        offset = error.pos_in_stream or 0
        found = f"found `{statement.text[offset]}`"
    else:  # pragma: no cover - LALR raises only the two above
        expected_names, offset, found = set(), 0, "the command does not parse"
    expected = sorted({_describe_terminal(name) for name in expected_names})
    suggestions = closest_forms(statement.text)
    if offset == 0:
        message = f"`{statement.text.split()[0]}` is not a command"
    else:
        message = f"expected {_join(expected)}, but {found}"
    error_out = _error_at(statement, offset, message, _hint(suggestions), source)
    error_out.expected = expected
    error_out.suggestions = suggestions
    return error_out


def _hint(suggestions: list[str]) -> str:
    if not suggestions:
        return "write `help` for the list of commands"
    return "did you mean " + " or ".join(f"`{form}`" for form in suggestions) + "?"


def _form_hint(text: str) -> str:
    """For a statement that parsed but says something invalid: show its form."""
    forms = closest_forms(text, limit=1)
    return f"the form is `{forms[0]}`" if forms else "write `help` for the list of commands"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _error_at(
    statement: CommentStatement, offset: int, message: str, hint: str | None, source: str | None
) -> CommandSyntaxError:
    return CommandSyntaxError(
        message,
        line=statement.line,
        column=statement.column + offset,
        hint=hint if hint is not None else _form_hint(statement.text),
        source=source,
    )
