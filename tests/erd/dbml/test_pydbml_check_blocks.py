"""pydbml's grammar, run per top-level block and remembered by the block's text
(`erd/dbml/check.py`): the same verdicts, at the same file:line:column, as a run over the whole file."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from accelerator.erd.dbml import check
from accelerator.erd.dbml.check import check_with_pydbml, forget_checks
from accelerator.erd.dbml.nodes import Block
from accelerator.erd.dbml.reader import parse_dbml
from accelerator.erd.dbml.syntax import DbmlDocument, Scan, scan_dbml, separate_scans
from accelerator.errors import ErdSyntaxError
from tests.erd.test_dbml import FEATURES, RETAIL

SOURCE = RETAIL.read_text() + FEATURES


@pytest.fixture(autouse=True)
def _cold() -> Iterator[None]:
    forget_checks()
    with separate_scans():
        yield
    forget_checks()


def rejection(text: str, scanned: Scan | DbmlDocument) -> tuple[str, int, int] | None:
    try:
        check_with_pydbml(text, "m.dbml", scanned)
    except ErdSyntaxError as error:
        assert error.file == "m.dbml" and error.source == text and error.hint
        return error.message, error.line, error.column
    return None


def where(text: str, fragment: str) -> tuple[int, int]:
    """The line and column where `fragment` first starts in `text`."""
    offset = text.index(fragment)
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def blocks_at(text: str, *keywords: str) -> Scan:
    """A scan of `text` whose blocks (without nodes) start at each keyword and stop after the line
    break that ends them: for texts the scanner would refuse before pydbml sees them."""
    starts = [text.index(keyword) for keyword in keywords]
    stops = [*starts[1:], len(text)]
    return Scan(text, [(0, Block(None, start, stop)) for start, stop in zip(starts, stops, strict=True)])


THREE_TABLES = (
    "// three tables\n"
    "Table a {\n  id int\n}\n\n"
    "Table b {\n  id int [note: 'fine']\n}\n"
    "// the third one is wrong\n"
    "Table c {\n  id int\n  name varchar [bogus]\n}\n"
)


def test_a_rejection_in_a_later_block_is_at_its_place_in_the_file() -> None:
    scan = blocks_at(THREE_TABLES, "Table a", "Table b", "Table c")
    found = rejection(THREE_TABLES, scan)
    assert found is not None
    message, line, column = found
    assert (line, column) == where(THREE_TABLES, "bogus") == (12, 17) and "bogus" in message
    assert found == rejection(THREE_TABLES, DbmlDocument())  # as the grammar over the whole file says
    # remembered by its text: the same block further down is rejected at its new place
    moved = "// one more line\n" + THREE_TABLES
    assert rejection(moved, blocks_at(moved, "Table a", "Table b", "Table c")) == (message, 13, 17)


def test_a_rejection_after_the_last_block_is_at_its_place_in_the_file() -> None:
    text = "Table a {\n  id int\n}\n\nTable b {\n  id int\n}\n\n  stray\n"
    found = rejection(text, blocks_at(text, "Table a", "Table b"))
    assert found == rejection(text, DbmlDocument()) and found is not None
    assert found[1:] == where(text, "stray") == (9, 3) and "stray" in found[0]
    # and in the text between two blocks (which belongs to the stretch of the block after it)
    text = "Table a {\n  id int\n}\n  stray\nTable b {\n  id int\n}\n"
    found = rejection(text, blocks_at(text, "Table a", "Table b"))
    assert (
        found == rejection(text, DbmlDocument()) and found is not None and found[1:] == where(text, "stray")
    )


def test_what_a_parse_action_refuses_is_located_at_its_block() -> None:
    text = "Table a {\n  id int\n}\n\nTable b {\n}\n"  # pydbml: a table without columns
    found = rejection(text, blocks_at(text, "Table a", "Table b"))
    assert found is not None and "has no columns" in found[0] and "position" not in found[0]
    assert found[1:] == where(text, "Table b")


def test_stretches_cover_the_file_and_end_blocks() -> None:
    scan = scan_dbml(SOURCE, "s.dbml")
    stretches = list(check._stretches(SOURCE, scan))
    assert "".join(stretch for _, stretch, _, _ in stretches) == SOURCE
    assert len(stretches) == len(scan.blocks) + 1  # each block, then what follows the last one
    for (start, stretch, first, _), (shift, block) in zip(stretches, scan.blocks, strict=False):
        assert SOURCE[start:].startswith(stretch) and stretch.endswith("\n")
        assert start + first == block.start + shift and stretch[first:].lstrip()[:1].isalpha()


def test_a_block_ended_by_a_comment_over_lines_shares_the_next_stretch() -> None:
    text = "Table a {\n  id int\n} /* over\n lines */ Table b {\n  id int\n}\n"
    scan = scan_dbml(text, "c.dbml")
    assert len(scan.blocks) == 2
    assert [stretch for _, stretch, _, _ in check._stretches(text, scan)] == [text, ""]
    found = rejection(text, scan)  # pydbml wants a line break after the comment
    assert (
        found == rejection(text, scan.document) and found is not None and found[1:] == where(text, "Table b")
    )


def test_block_verdicts_agree_with_the_whole_file_grammar() -> None:
    """Characters of the features file replaced at random (offsets unchanged, so its scan still
    places the blocks): each check per block rejects where the whole-file grammar does, or neither."""
    valid = scan_dbml(SOURCE, "v.dbml")
    generator = random.Random(11)
    alphabet = "\n {}[]:,.'\"`/*>-<?#()aT0\t"
    outcomes = set()
    for attempt in range(120):
        chars = list(SOURCE)
        for _ in range(1 + attempt % 2):
            chars[generator.randrange(len(chars))] = generator.choice(alphabet)
        text = "".join(chars)
        whole = rejection(text, valid.document)
        assert rejection(text, Scan(text, valid.blocks)) == whole, text
        outcomes.add(whole is None)
    assert outcomes == {True, False}


def test_files_the_scanner_reads_pass_as_they_did() -> None:
    """Blocks the scanner reads (lines added at random) pass or fail the check per block as the
    whole file does, and through `parse_dbml`."""
    generator = random.Random(5)
    snippets = [
        " // c",
        " /* c */",
        "/* c\n c */\n",
        "\n",
        "  ",
        "\t",
        "Note n {\n 'x'\n}\n",
        "enum e {\n a\n}\n",
    ]
    snippets += ["Ref: crm.customers.email - crm.customers.email\n", "TableGroup g {\n crm.customers\n}\n"]
    read = 0
    for attempt in range(60):
        text = SOURCE
        for _ in range(2):
            cut = text.find("\n", generator.randrange(len(text))) + 1
            text = text[:cut] + generator.choice(snippets) + text[cut:]
        try:
            scan = scan_dbml(text, f"f{attempt}.dbml")
        except ErdSyntaxError:
            continue
        read += 1
        assert rejection(text, scan) == rejection(text, scan.document)
    assert read > 20


def test_a_changed_table_is_the_only_text_the_grammar_reads_again(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []
    verdict = check._verdict
    monkeypatch.setattr(check, "_verdict", lambda text, first: read.append(text) or verdict(text, first))
    text = RETAIL.read_text()
    parse_dbml(text, "retail.dbml")
    assert "".join(read) == text and len(read) == len(scan_dbml(text, "retail.dbml").blocks) + 1
    read.clear()
    parse_dbml(text, "retail.dbml")
    assert read == []
    changed = text.replace("phone varchar(32)", "phone varchar(40)")
    parse_dbml(changed, "retail.dbml")
    assert len(read) == 1 and read[0].lstrip().startswith("Table crm.customers") and "varchar(40)" in read[0]
    read.clear()
    parse_dbml("// moved\n" + changed, "retail.dbml")  # blocks moved, their texts unchanged
    assert read == [
        "// moved\n// Retail domain: customers (crm) and their orders (sales).\n"
        + text[text.index("Project") : text.index("}") + 2]
    ]


def test_remembered_verdicts_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check._checked, "max_entries", 3)
    text = RETAIL.read_text()
    parse_dbml(text, "retail.dbml")
    assert len(check._checked) == 3
    assert list(check._checked)[-1] == text[text.rindex("}") + 2 :]  # the most recent: the end


def test_remembered_verdicts_are_bounded_in_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    text = RETAIL.read_text()
    stretches = [stretch for _, stretch, _, _ in check._stretches(text, scan_dbml(text, "retail.dbml"))]
    monkeypatch.setattr(check._checked, "max_size", len(stretches[-1]) + len(stretches[-2]))
    parse_dbml(text, "retail.dbml")
    assert list(check._checked) == stretches[-2:]
    assert check._checked.total_size == len(stretches[-1]) + len(stretches[-2])
    forget_checks()
    assert not check._checked and check._checked.total_size == 0
