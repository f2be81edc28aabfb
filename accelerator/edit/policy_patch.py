"""Minimal textual edits of the governance policy YAML: the primitives policy edits are planned with.

The YAML is composed (not loaded) so every node knows its character offsets; an edit inserts or
removes whole lines, or rewrites one flow list, with the indentation and style of its siblings. The
file is never re-dumped, so its comments and layout survive.

The policy format (accelerator/policy/schema.py) holds grants per catalog/schema/table,
classification rules matched by column name, classes decided per column (`classified_columns`,
qualified names) and one object's owner and tags (`objects`). The primitives take plain values,
not edits: an operation's `plan_policy` says which primitive it is (see the operation modules).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import yaml

from accelerator.erd.text_edits import TextEdit, delete_lines, indentation_at, insert_line_after, line_start
from accelerator.errors import UnsupportedEditError
from accelerator.yamlsource import compose, construct

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.@-]*$")
_YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def yaml_scalar(value: str) -> str:
    if _PLAIN.match(value) and value.lower() not in _YAML_WORDS:
        return value
    return "'" + value.replace("'", "''") + "'"


def written_like(node: yaml.Node, value: str) -> str:
    """`value` as a scalar written in `node`'s style: quoted the way it was, plain where it can be."""
    style = getattr(node, "style", None)
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style == '"':
        return json.dumps(value)  # a JSON string is a YAML double-quoted scalar
    return yaml_scalar(value)


@dataclass(frozen=True)
class NamedGrant:
    """A grant item of the policy that names its securable (`name:`), wherever it is written."""

    item: yaml.Node  # the whole item
    name: yaml.ScalarNode  # its `name:` value
    kind: str  # catalog | schema | table
    principal: str
    section: str | None  # the environment whose `grants` hold it; None: the top-level `grants`

    @property
    def where(self) -> str:
        return f"environments.{self.section}.grants" if self.section else "grants"


def _flow_list(values: list[str]) -> str:
    return "[" + ", ".join(yaml_scalar(v) for v in values) + "]"


class PolicyDocument:
    """The policy file's text, composed: every node knows its character offsets."""

    def __init__(self, file: str, text: str) -> None:
        root = compose(text, file)
        if root is not None and not isinstance(root, yaml.MappingNode):
            raise UnsupportedEditError(f"{file} is not a YAML mapping; cannot add to it")
        self.file, self.text, self.root = file, text, root

    def add_grant(
        self, kind: str, name: str, principal: str, privileges: list[str], environment: str | None
    ) -> list[TextEdit]:
        """Append a grant item to `grants`, in the style (block or flow) of the last one."""
        fields = [f"on: {kind}", f"name: {yaml_scalar(name)}"]
        fields += [f"principal: {yaml_scalar(principal)}", f"privileges: {_flow_list(privileges)}"]
        if environment:
            fields.append(f"environments: {_flow_list([environment])}")
        found = _top_level(self.root, "grants")
        items = found[1].value if found and isinstance(found[1], yaml.SequenceNode) else []
        if items and not items[-1].flow_style:
            return _append_item(self.file, self.text, self.root, "grants", fields)
        return _append_item(self.file, self.text, self.root, "grants", ["{" + ", ".join(fields) + "}"])

    def named_grants(self) -> list[NamedGrant]:
        """The grant items with a `name:`, in the top-level `grants` and each environment's."""
        lists: list[tuple[yaml.Node | None, str | None]] = [(_value(self.root, "grants"), None)]
        sections = _value(self.root, "environments")
        if isinstance(sections, yaml.MappingNode):
            lists += [(_value(section, "grants"), str(key.value)) for key, section in sections.value]
        found: list[NamedGrant] = []
        for grants, section in lists:
            for item in grants.value if isinstance(grants, yaml.SequenceNode) else []:
                name, data = _value(item, "name"), construct(item)
                if isinstance(name, yaml.ScalarNode) and isinstance(data, dict):
                    kind = str(data.get("on", data.get(True)))  # YAML 1.1 reads the key `on` as true
                    found.append(NamedGrant(item, name, kind, str(data.get("principal")), section))
        return found

    def rename_scalars(self, renamed: list[tuple[yaml.Node, str]]) -> list[TextEdit]:
        """Rewrite each scalar node (a grant's `name:`, an entry's key) to its new value, quoted as it was."""
        return [
            TextEdit(self.file, node.start_mark.index, node.end_mark.index, written_like(node, new))
            for node, new in renamed
        ]

    def class_names(self) -> list[str]:
        """The classes the policy defines (`classification[*].name`), in file order."""
        found = _top_level(self.root, "classification")
        rules = construct(found[1]) if found and isinstance(found[1], yaml.SequenceNode) else []
        return [str(rule["name"]) for rule in rules if isinstance(rule, dict) and "name" in rule]

    def classify_column(self, classification: str, column: str) -> list[TextEdit]:
        """Classify exactly `column` (`schema.table.column`): its entry in `classified_columns`,
        rewritten if it has one (names compare case-insensitively), else a new line."""
        entry = self._classified_entry(column)
        if entry is not None:
            value = entry[1]
            return [
                TextEdit(self.file, value.start_mark.index, value.end_mark.index, yaml_scalar(classification))
            ]
        return self._add_classified({column: classification})

    def rename_classified_columns(self, renamed: dict[str, str]) -> list[TextEdit]:
        """Rewrite the keys of the `classified_columns` entries named in `renamed` (old -> new)."""
        entries = [(self._classified_entry(old), new) for old, new in renamed.items()]
        return self.rename_scalars([(entry[0], new) for entry, new in entries if entry is not None])

    def unclassify_columns(self, columns: list[str]) -> list[TextEdit]:
        """Remove the `classified_columns` entries of `columns` (a block mapping's lines)."""
        edits = []
        for column in columns:
            entry = self._classified_entry(column)
            if entry is None:
                continue
            found = _top_level(self.root, "classified_columns")
            assert found is not None
            if getattr(found[1], "flow_style", False):
                raise UnsupportedEditError(
                    f"classified_columns in {self.file} is written as a flow mapping {{...}}",
                    hint=f"remove {column} from it by hand, or write one `column: class` per line",
                )
            edits.append(
                delete_lines(self.file, self.text, entry[0].start_mark.index, entry[1].end_mark.index)
            )
        return edits

    def set_object_owner(self, name: str, owner: str) -> list[TextEdit]:
        """Make `owner` the owner of `name` in its `objects` entry (rewritten, added to, or new)."""
        return self._set_object_field(name, "owner", owner)

    def set_object_tag(self, name: str, key: str, value: str) -> list[TextEdit]:
        """Set the tag `key: value` in `name`'s `objects` entry (rewritten, added to, or new)."""
        return self._set_object_field(name, "tags", value, key)

    def _set_object_field(self, name: str, field: str, value: str, tag: str | None = None) -> list[TextEdit]:
        written = f"{{{yaml_scalar(tag)}: {yaml_scalar(value)}}}" if tag is not None else yaml_scalar(value)
        entry = _entry(self.root, "objects", name)
        if entry is None:
            return self._add_entries("objects", {name: f"{{{field}: {written}}}"}, _OBJECTS_HEADER)
        key, settings = entry
        if not isinstance(settings, yaml.MappingNode):  # `name:` with no value yet
            return [
                TextEdit(self.file, key.end_mark.index, settings.end_mark.index, f": {{{field}: {written}}}")
            ]
        current = next(((k, v) for k, v in settings.value if k.value == field), None)
        if current is None:
            return [_add_field(self.file, self.text, settings, f"{field}: {written}")]
        node = current[1]
        if tag is None:
            return [
                TextEdit(self.file, node.start_mark.index, node.end_mark.index, written_like(node, value))
            ]
        if not isinstance(node, yaml.MappingNode):  # `tags:` with no value yet
            return [TextEdit(self.file, current[0].end_mark.index, node.end_mark.index, f": {written}")]
        old = next((v for k, v in node.value if str(k.value) == tag), None)
        if old is not None:
            return [TextEdit(self.file, old.start_mark.index, old.end_mark.index, written_like(old, value))]
        return [_add_field(self.file, self.text, node, f"{yaml_scalar(tag)}: {yaml_scalar(value)}")]

    def object_keys(self) -> list[yaml.Node]:
        """The key nodes of the `objects` entries, as written."""
        found = _top_level(self.root, "objects")
        return [key for key, _ in found[1].value] if found and isinstance(found[1], yaml.MappingNode) else []

    def classified_columns(self) -> dict[str, str]:
        """The `classified_columns` entries as written."""
        found = _top_level(self.root, "classified_columns")
        data = construct(found[1]) if found and isinstance(found[1], yaml.MappingNode) else {}
        return {str(key): str(value) for key, value in data.items()} if isinstance(data, dict) else {}

    def _classified_entry(self, column: str) -> tuple[yaml.Node, yaml.Node] | None:
        found = _top_level(self.root, "classified_columns")
        if found is None or not isinstance(found[1], yaml.MappingNode):
            return None
        wanted = column.lower()
        return next(((k, v) for k, v in found[1].value if str(k.value).lower() == wanted), None)

    def _add_classified(self, entries: dict[str, str]) -> list[TextEdit]:
        written = {column: yaml_scalar(name) for column, name in entries.items()}
        return self._add_entries("classified_columns", written, _CLASSIFIED_HEADER)

    def _add_entries(self, section: str, entries: dict[str, str], header: str) -> list[TextEdit]:
        """Add `key: value` lines (values already written as YAML) to the top-level mapping `section`."""
        lines = [f"{yaml_scalar(key)}: {value}" for key, value in entries.items()]
        file, text = self.file, self.text
        found = _top_level(self.root, section)
        if found is None:
            separator = "" if text.endswith("\n") or not text else "\n"
            block = "".join(f"  {line}\n" for line in lines)
            return [TextEdit(file, len(text), len(text), f"{separator}\n{header}{section}:\n{block}")]
        mapping = found[1]
        if isinstance(mapping, yaml.MappingNode) and mapping.value and not mapping.flow_style:
            last_key, last_value = mapping.value[-1]
            indent = indentation_at(text, last_key.start_mark.index)
            at = max(last_value.end_mark.index - 1, last_value.start_mark.index)
            return [insert_line_after(file, text, at, "\n".join(f"{indent}{line}" for line in lines))]
        if isinstance(mapping, yaml.MappingNode) and mapping.value:  # a flow mapping: add to it
            inner = ", ".join(lines)
            end = mapping.end_mark.index - 1  # before the closing brace
            return [TextEdit(file, end, end, f", {inner}")]
        block = "".join(f"\n  {line}" for line in lines)  # `section:` or `{}`
        return [
            TextEdit(
                file,
                found[0].end_mark.index,
                max(mapping.end_mark.index, found[0].end_mark.index),
                f":{block}",
            )
        ]


_CLASSIFIED_HEADER = (
    "# Columns classified one by one (by `classify`, or kept through a rename); they win over the\n"
    "# matches of `classification`.\n"
)
_OBJECTS_HEADER = (
    "# One object's owner and tags (by `set owner of` and `tag`); they win over the *_defaults and the ERD.\n"
)


def _entry(root: yaml.Node | None, section: str, name: str) -> tuple[yaml.Node, yaml.Node] | None:
    """The entry of the top-level mapping `section` whose key is `name` (compared case-insensitively)."""
    found = _top_level(root, section)
    if found is None or not isinstance(found[1], yaml.MappingNode):
        return None
    wanted = name.lower()
    return next(((k, v) for k, v in found[1].value if str(k.value).lower() == wanted), None)


def _add_field(file: str, text: str, mapping: yaml.MappingNode, line: str) -> TextEdit:
    """Add `line` (`key: value`) to a non-empty-or-flow mapping, in its style."""
    if mapping.flow_style or not mapping.value:
        end = mapping.end_mark.index - 1  # before the closing brace
        return TextEdit(file, end, end, f", {line}" if mapping.value else line)
    last_key, last_value = mapping.value[-1]
    indent = indentation_at(text, last_key.start_mark.index)
    return insert_line_after(
        file, text, max(last_value.end_mark.index - 1, last_value.start_mark.index), f"{indent}{line}"
    )


def _top_level(root: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if not isinstance(root, yaml.MappingNode):
        return None
    return next(((k, v) for k, v in root.value if k.value == key), None)


def _value(mapping: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(mapping, yaml.MappingNode):
        return None
    return next((v for k, v in mapping.value if getattr(k, "value", None) == key), None)


def _append_item(file: str, text: str, root: yaml.Node | None, key: str, lines: list[str]) -> list[TextEdit]:
    """Append a list item (its lines, without the `- ` indentation) to the top-level list `key`."""
    found = _top_level(root, key)
    if found is None or not isinstance(found[1], yaml.SequenceNode) or not found[1].value:
        indent = "  "
        item = "\n".join([f"{indent}- {lines[0]}", *(f"{indent}  {line}" for line in lines[1:])])
        if found is None:
            separator = "" if text.endswith("\n") or not text else "\n"
            return [TextEdit(file, len(text), len(text), f"{separator}\n{key}:\n{item}\n")]
        value = found[1]  # `key:` with an empty or flow-empty value
        return [
            TextEdit(
                file,
                found[0].end_mark.index,
                max(value.end_mark.index, found[0].end_mark.index),
                f":\n{item}",
            )
        ]
    last = found[1].value[-1]
    dash = text.rfind("-", line_start(text, last.start_mark.index), last.start_mark.index)
    indent = indentation_at(text, dash)
    item = "\n".join([f"{indent}- {lines[0]}", *(f"{indent}  {line}" for line in lines[1:])])
    return [insert_line_after(file, text, max(last.end_mark.index - 1, last.start_mark.index), item)]
