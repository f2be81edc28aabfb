"""Re-parsing DBML after small edits: what the recent scans and table templates reuse changes nothing.

Every test compares the warm parse (against the recent texts of the file) with a cold one, made with
no recent scans at all, of the same text: the same model, spans, findings, syntax tree and errors.
"""

from __future__ import annotations

import random
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from accelerator.erd import parse_erd
from accelerator.erd.dbml.reader import parse_dbml
from accelerator.erd.dbml.syntax import (
    RECENT_FILES,
    RECENT_TEXTS,
    forget_scans,
    parse_dbml_syntax,
    separate_scans,
)
from accelerator.erd.parsed import ParsedErd
from accelerator.errors import AcceleratorError, SourceError
from accelerator.model import Column, ForeignKey, Identity, Located, Mask, Table

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import dbml as synthetic  # noqa: E402

RETAIL = ROOT / "examples" / "retail" / "erd" / "retail.dbml"

HANDWRITTEN = """\
Project shop {
  database_type: 'Databricks'
  Note: '''
    Multi-line {project} note }
  '''
}

// enums can live in a schema { not a block
enum sales.order_status {
  placed
  shipped [note: 'left the } warehouse']
  "in progress"
}

enum priority {
  low
  high
}

Table sales.orders as O [headercolor: #3498db, note: 'overridden by the body note'] {
  id bigserial [pk]
  status sales.order_status [not null, default: 'placed']
  urgency priority
  tags array<string>
  attributes map<string,int>
  amount decimal(10,2) [default: 0.5]
  placed_at "timestamp with time zone" [default: `now()`]
  counter int [increment, unique]
  motto varchar [default: 'it\\'s {']
  customer_id bigint [ref: > crm.customers.id, note: 'who } ordered']
  /* a comment { over
     two lines */ region char(2)
  Note {
    'Orders placed by customers'
  }
}

Table crm.customers {
  id bigint [primary key]
  "e mail" varchar(255) [unique, not null]
  referrer_id bigint [ref: - crm.customers.id]
  region_code char(2)
  country_code char(2)
  Note: 'People who buy'
}

Table crm.regions {
  region_code char(2) [ref: < crm.customers.region_code]
  country_code char(2)
  name varchar
  indexes {
    (country_code, region_code) [pk, name: 'pk_regions']
    name [unique]
    `lower(name)` [type: btree]
  }
}

Table tags as T {
  id int [pk]
  label varchar
}

Ref customers_regions: crm.customers.(country_code, region_code) > crm.regions.(country_code, region_code) [delete: cascade]
Ref {
  O.id <> T.id
}
Ref: O.urgency - T.label

TableGroup crm_group [color: #abc] {
  crm.customers
  crm.regions
}

Note sticky {
  'A sticky { note'
}
"""

CORPORA = {
    "synthetic": synthetic(12, 6),
    "handwritten": HANDWRITTEN,
    "retail": RETAIL.read_text(),
}

NAMES = ["id", "orders", "crm", "label", "x1", "parent_id", "t3", "priority", "high", "Note", "Table", "ref"]
TYPES = ["int", "varchar(10)", "decimal(12,2)", "priority", "sales.order_status", "array<string>", "bogus"]
LINES = [  # "{n}" becomes the step number
    "  added int [not null]\n",
    "  added_{n} bigint [ref: > crm.customers.id]\n",
    "  added_{n} priority [note: 'a { note']\n",
    "  // a comment with a }\n",
    "  /* { */\n",
    "\n",
    "Table extra_{n} {\n  id int [pk]\n}\n",
    "enum extra_{n} {\n  a\n}\n",
    "Ref: O.id < T.id\n",
    "  indexes {\n    (id) [unique]\n  }\n",
    "}\n",
    "Table {\n",
]
BREAKERS = ["{", "}", "[", "]", "'", '"', "`", "/*", "'''", ":", ",", ">", "\n", " "]
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@contextmanager
def no_recent_scans() -> Iterator[None]:
    """Parse as a first parse would, without disturbing the recent scans of the warm parses."""
    with separate_scans():
        yield


def located(model: BaseModel, path: str = "") -> Iterator[tuple[str, str, Any, Any, Any]]:
    """(path, type, span, name span, fields set) of every model in the tree; spans are excluded
    from model_dump()."""
    if isinstance(model, Located):
        yield path, type(model).__name__, model.span, model.name_span, sorted(model.model_fields_set)
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            if isinstance(item, BaseModel):
                yield from located(item, f"{path}.{name}[{index}]")


def summary(parsed: ParsedErd) -> tuple[object, ...]:
    return (
        "parsed",
        parsed.file,
        parsed.source,
        [schema.model_dump() for schema in parsed.schemas],
        [list(located(schema)) for schema in parsed.schemas],
        [finding.model_dump() for finding in parsed.findings],
    )


def outcome(text: str, file: str = "m.dbml", default_schema: str = "default") -> tuple[object, ...]:
    """What parsing gives: the model, spans and findings, or the error with its location."""
    try:
        parsed = parse_dbml(text, file, default_schema=default_schema, check_with_reference_parser=False)
    except AcceleratorError as error:
        assert isinstance(error, SourceError)
        return (
            "error",
            type(error).__name__,
            error.message,
            error.hint,
            error.file,
            error.line,
            error.column,
            error.source,
        )
    return summary(parsed)


def document(text: str, file: str = "m.dbml") -> object:
    try:
        return parse_dbml_syntax(text, file)
    except AcceleratorError as error:
        assert isinstance(error, SourceError)
        return type(error).__name__, error.message, error.line, error.column


def cold_outcome(text: str, file: str = "m.dbml", default_schema: str = "default") -> tuple[object, ...]:
    with no_recent_scans():
        return outcome(text, file, default_schema)


def edited(text: str, generator: random.Random, step: int) -> str:
    """`text` after one small random edit: most keep it DBML, some break it."""
    choice = generator.random()
    lines = text.splitlines(keepends=True)
    if choice < 0.3:  # rename a token (or a keyword, or a name already taken)
        words = list(WORD.finditer(text))
        word = generator.choice(words)
        name = generator.choice([*NAMES, f"{word.group()}_{step}"])
        return text[: word.start()] + name + text[word.end() :]
    if choice < 0.5:  # insert a line
        at = generator.randrange(len(lines) + 1)
        line = generator.choice(LINES).replace("{n}", str(step))
        return "".join([*lines[:at], line, *lines[at:]])
    if choice < 0.62:  # delete a line
        at = generator.randrange(len(lines))
        return "".join(lines[:at] + lines[at + 1 :])
    if choice < 0.72:  # change a type
        types = [m for m in re.finditer(r"^(\s+\w+ )(\S+)", text, re.MULTILINE)]
        if types:
            found = generator.choice(types)
            return text[: found.start(2)] + generator.choice(TYPES) + text[found.end(2) :]
        return text
    if choice < 0.8:  # change a setting
        settings = [m.end() for m in re.finditer(r"\[", text)]
        if settings:
            at = generator.choice(settings)
            return text[:at] + generator.choice(["pk, ", "not null, ", "unique, ", "note: '}', "]) + text[at:]
        return text
    if choice < 0.87:  # indent or unindent a line: a block may start at another column
        at = generator.randrange(len(lines))
        line = lines[at]
        lines[at] = line[1:] if line.startswith(" ") and generator.random() < 0.5 else "  " + line
        return "".join(lines)
    at = generator.randrange(len(text) + 1)  # a stray character: mostly a syntax error
    return text[:at] + generator.choice(BREAKERS) + text[at:]


@pytest.fixture(autouse=True)
def fresh_scans() -> Iterator[None]:
    forget_scans()
    yield
    forget_scans()


@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_random_edits_parse_as_a_cold_parse_does(corpus: str) -> None:
    generator = random.Random(corpus)
    good = [CORPORA[corpus]]  # the texts that parse, latest last
    failures = 0

    def check(text: str, step: int) -> bool:
        """Whether `text` parses; either way as cold."""
        default_schema = "default" if generator.random() < 0.9 else "crm"
        warm = outcome(text, default_schema=default_schema)
        assert warm == cold_outcome(text, default_schema=default_schema), f"step {step}"
        with no_recent_scans():
            cold_document = document(text)
        assert document(text) == cold_document, f"step {step}"
        return warm[0] == "parsed"

    for step in range(150):
        if generator.random() < 0.1 and len(good) > 1:  # undo: back to a recent text
            text = good[-generator.randint(2, min(5, len(good)))]
        else:
            text = edited(good[-1], generator, step)
        if check(text, step):
            good.append(text)
            continue
        failures += 1
        if generator.random() < 0.5:  # one more edit while broken
            check(edited(text, generator, step), step)
        check(good[-1], step)  # and the fix: back to the last text that parsed
    assert 10 < failures < 100  # both kinds were compared


def test_edits_around_braces_in_strings_and_comments() -> None:
    text = HANDWRITTEN
    pieces = ["}", "{", "'", "*/", "\n}\n", "\nTable z {\n"]
    inside = [m.start() + 1 for m in re.finditer(r"'[^'\n]*\{|\{[^\n]*\*/|// [^\n]*\{", text)]
    assert inside
    generator = random.Random(5)
    for step in range(60):
        at = generator.choice(inside)
        changed = text[:at] + generator.choice(pieces) + text[at:]
        assert outcome(changed) == cold_outcome(changed), f"step {step}"
        assert outcome(text) == cold_outcome(text)  # and back


def test_a_rename_and_a_line_insert_in_a_large_file() -> None:
    text = synthetic(200, 10)
    start = text.index("Table s0.t100 {")
    name = text.index("col_5", start)
    renamed = text[:name] + "col_5x" + text[name + 5 :]
    line = text.index("\n", start) + 1
    inserted = text[:line] + "  added int [not null]\n" + text[line:]
    deleted = text[:line] + text[text.index("\n", line) + 1 :]
    outcome(text)
    for changed in (renamed, inserted, deleted, text):
        assert outcome(changed) == cold_outcome(changed)


def test_parse_erd_with_the_reference_check_of_small_files() -> None:
    text = CORPORA["synthetic"]
    changed = text.replace("col_3", "col_3x", 1)
    for version in (text, changed, changed + "\nTable t_new {\n  id int\n}\n"):
        warm = summary(parse_erd(version, "s.dbml", format="dbml"))
        with no_recent_scans():
            assert warm == summary(parse_erd(version, "s.dbml", format="dbml"))


def test_the_syntax_tree_keeps_offsets_into_its_own_text() -> None:
    """The DBML patcher edits the text at the tree's offsets, also of blocks read in an earlier text."""
    text = HANDWRITTEN
    parse_dbml_syntax(text, "m.dbml")
    changed = "// one more line at the top\n" + text.replace("label varchar", "label_text varchar")
    tree = parse_dbml_syntax(changed, "m.dbml")
    for node in tree.tables:
        assert changed[node.start :].startswith("Table")
        for column in node.columns:
            assert changed[column.name.start : column.name.end] == column.name.text
            assert changed[column.type.start : column.type.end] == column.type.text
    assert parse_dbml_syntax(changed, "m.dbml") is tree  # shared, as when it was an lru_cache


def test_columns_and_foreign_keys_are_what_validation_would_make() -> None:
    """The builder makes them without pydantic's validation, and copies of them for later parses."""
    for version in (HANDWRITTEN, HANDWRITTEN.replace("label", "title")):
        parsed = parse_dbml(version, "m.dbml", check_with_reference_parser=False)
        for table in (table for schema in parsed.schemas for table in schema.tables):
            for model in [*table.columns, *table.foreign_keys]:
                given = {name: getattr(model, name) for name in model.model_fields_set}
                validated = type(model)(**given)
                assert list(validated.__dict__.items()) == list(model.__dict__.items())
                assert validated.model_fields_set == model.model_fields_set


def mutable_ids(value: object, skip: type | None = None) -> Iterator[int]:
    """The ids of every model, list and dict in `value` (not looking into models of type `skip`)."""
    if skip is not None and isinstance(value, skip):
        return
    if isinstance(value, BaseModel):
        yield id(value)
        for name in type(value).model_fields:
            yield from mutable_ids(getattr(value, name), skip)
    elif isinstance(value, list | dict):
        yield id(value)
        for item in value.values() if isinstance(value, dict) else value:
            yield from mutable_ids(item, skip)


def change_columns_in_place(columns: list[Column]) -> None:
    """Every way a caller could change the columns it was given in place, which none should
    (columns are values: copied, then changed), and which a later parse must not hand out."""
    for position, column in enumerate(columns):
        change = position % 4
        if change == 0:
            column.name, column.type, column.nullable = f"{column.name}_x", "BINARY", not column.nullable
        elif change == 1:
            column.comment, column.default, column.classification = "changed", "'x'", "pii.email"
            column.mask = Mask(function="m")
        elif change == 2:
            column.tags["owner"] = "me"
            if column.allowed_values is not None:
                column.allowed_values.append("extra")
        elif column.identity is not None:
            column.identity.start = 7
        else:
            column.identity, column.span = Identity(start=3), None


def mutate(parsed: ParsedErd) -> None:
    """What a caller could do to what it was given: change its lists, keys and tables, and (what no
    caller should) its columns in place."""
    schema = parsed.schemas[0]
    table = schema.tables[0]
    schema.tables.append(Table(name="appended"))
    schema.comment = "changed"
    table.foreign_keys.append(ForeignKey(columns=["id"], ref_schema="s", ref_table="t", ref_columns=["id"]))
    change_columns_in_place(table.columns)
    table.columns[0] = table.columns[0].model_copy(update={"name": "renamed"})
    table.columns.append(table.columns[0].model_copy())
    table.tags["owner"] = "me"
    if table.primary_key is not None:
        table.primary_key.columns.append("extra")
    for other in schema.tables:
        change_columns_in_place(other.columns[1:2])
        other.columns.reverse()
        for key in other.unique_keys:
            key.columns.clear()
        for fk in other.foreign_keys:
            fk.ref_columns.append("extra")


@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_changing_a_result_does_not_change_the_next_parse(corpus: str) -> None:
    text = CORPORA[corpus]
    similar = text.replace("id", "ident", 1)
    for version in (text, text, similar, text):
        parsed = parse_dbml(version, "m.dbml", check_with_reference_parser=False)
        mutate(parsed)
    for version in (text, similar):
        assert outcome(version) == cold_outcome(version)


def test_parses_share_the_columns_of_blocks_that_did_not_move_and_nothing_else() -> None:
    """A block that did not move hands out the Column objects it built again (columns are values),
    a block that moved or changed new ones; no other model, list or dict is shared."""
    text = HANDWRITTEN
    versions = (text, text.replace("label", "title"), text, "// moved\n" + text, text)
    parses = [parse_dbml(version, "m.dbml", check_with_reference_parser=False) for version in versions]

    def column_ids(parsed: ParsedErd) -> list[set[int]]:
        return [{id(c) for c in table.columns} for schema in parsed.schemas for table in schema.tables]

    first, renamed, again, moved, last = map(column_ids, parses)
    assert first == again == last  # the same text, nothing moved: every column handed out again
    assert not set().union(*moved) & set().union(*first)  # moved: new columns
    assert any(not old & new for old, new in zip(first, renamed, strict=True))  # the changed block's
    assert sum(old == new for old, new in zip(first, renamed, strict=True)) >= len(first) - 2
    ids = [
        set(mutable_ids(parsed.schemas, skip=Column)) | set(mutable_ids(parsed.findings)) for parsed in parses
    ]
    assert all(ids)
    for one in range(len(ids)):
        for other in range(one + 1, len(ids)):
            assert not ids[one] & ids[other], (one, other)


def test_a_column_changed_in_place_is_not_handed_out_again() -> None:
    """A caller that changes a shared column in place (which none should) does not change what the
    next parses give: the block makes that column again."""
    text = HANDWRITTEN
    for version in (text, text, "// moved\n" + text):
        parsed = parse_dbml(version, "m.dbml", check_with_reference_parser=False)
        for schema in parsed.schemas:
            for table in schema.tables:
                change_columns_in_place(table.columns)
        for checked in (text, "// moved\n" + text):
            assert outcome(checked) == cold_outcome(checked)
    parsed = parse_dbml(text, "m.dbml", check_with_reference_parser=False)
    column = parsed.schemas[0].tables[0].columns[0]
    column.comment = "changed in place"
    again = parse_dbml(text, "m.dbml", check_with_reference_parser=False).schemas[0].tables[0].columns
    assert again[0] is not column and again[0].comment != "changed in place"
    assert again[1] is parsed.schemas[0].tables[0].columns[1]  # the others are still shared


def test_threads_parsing_edits_of_one_file_get_cold_results() -> None:
    base = synthetic(40, 6)
    generator = random.Random(3)
    texts = [base]
    for step in range(30):
        texts.append(edited(texts[generator.randrange(len(texts))], generator, step))
    expected = {text: cold_outcome(text) for text in texts}
    wrong: list[str] = []

    def work(seed: int) -> None:
        picker = random.Random(seed)
        for _ in range(40):
            text = picker.choice(texts)
            if outcome(text) != expected[text]:
                wrong.append(text)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not wrong


def test_recent_scans_are_bounded() -> None:
    """The last RECENT_TEXTS texts of the last RECENT_FILES files are kept (their syntax trees are
    handed out again); older ones are read again."""
    text = CORPORA["synthetic"]
    versions = [text.replace("t1 ", f"t1_{version} ", 1) for version in range(3 * RECENT_TEXTS)]
    files = [f"file{index}.dbml" for index in range(3 * RECENT_FILES)]
    trees = {(file, version): parse_dbml_syntax(version, file) for file in files for version in versions}
    for file in files[-RECENT_FILES:]:  # kept: looked up first, as they evict nothing
        for version in versions[-RECENT_TEXTS:]:
            assert parse_dbml_syntax(version, file) is trees[file, version]
    last = files[-1]
    assert (
        parse_dbml_syntax(versions[-RECENT_TEXTS - 1], last) is not trees[last, versions[-RECENT_TEXTS - 1]]
    )
    first = files[-RECENT_FILES - 1]
    assert parse_dbml_syntax(versions[-1], first) is not trees[first, versions[-1]]
    assert parse_dbml_syntax(versions[-1], first) == trees[first, versions[-1]]


def test_tables_of_blocks_that_moved_are_new_and_moved() -> None:
    """A block read in an earlier text makes its table from what it built then (moved by as many
    lines as the block moved): the same table a cold parse makes, sharing nothing with the first."""
    text = HANDWRITTEN
    first = parse_dbml(text, "m.dbml", check_with_reference_parser=False)
    moved = "// one\n// two\n" + text
    second = parse_dbml(moved, "m.dbml", check_with_reference_parser=False)
    assert summary(second) == cold_outcome(moved)
    before = [table for schema in first.schemas for table in schema.tables]
    after = [table for schema in second.schemas for table in schema.tables]
    for old, new in zip(before, after, strict=True):
        assert old.span is not None and new.span is not None and new.span.line == old.span.line + 2
        assert [c.span.line + 2 for c in old.columns if c.span] == [
            c.span.line for c in new.columns if c.span
        ]
    assert not set(mutable_ids(first.schemas)) & set(mutable_ids(second.schemas))
