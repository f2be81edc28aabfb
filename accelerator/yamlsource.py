"""YAML files validated by pydantic models, with errors located at the offending YAML line.

The YAML is composed into nodes (which know their line and column) and constructed into plain data;
a pydantic validation error's `loc` path is walked through the nodes to find where to point.

Aliases are bounded: a file whose aliases expand to more than `MAX_EXPANDED_NODES` nodes (a "billion
laughs" document) or refer to themselves (`&a [*a]`) is a located error, so no consumer walks an
exponential or endless structure.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

import yaml
from pydantic import BaseModel, ValidationError

from accelerator.errors import PolicyError

ModelT = TypeVar("ModelT", bound=BaseModel)

# Nodes a document may expand to through its aliases beyond those written in it.
MAX_EXPANDED_NODES = 100_000
MAX_DEPTH = 100  # levels of nesting named in the error when the composer runs out of stack


# libyaml's loader, where PyYAML was built with it: the same nodes, about 10x faster than the pure
# Python one (a turn composes the policy, and it is read again on every parse of it).
FAST_LOADER: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def compose_fast(text: str, fast: type[Any] | None, slow: type[Any]) -> yaml.Node | None:
    """`text`'s node tree, composed by `fast` (a libyaml loader) where it gives what `slow` (the pure
    Python loader of the same resolvers) gives: not for a text with a byte order mark (libyaml's
    marks skip it, the edits index the text) nor one nested past `MAX_DEPTH` (libyaml's composer
    recurses in C, where no RecursionError stops it). A document libyaml refuses is composed again
    by `slow`, whose error names the offending character; so are the errors of both."""
    if fast is None or text.startswith("\ufeff") or _deeper_than(text, MAX_DEPTH, fast):
        return yaml.compose(text, Loader=slow)
    try:
        root = yaml.compose(text, Loader=fast)
    except (yaml.YAMLError, UnicodeError):  # libyaml cannot encode a lone surrogate
        return yaml.compose(text, Loader=slow)
    _plain_styles(root)
    return root


def _deeper_than(text: str, limit: int, fast: type[Any]) -> bool:
    """Whether collections nest deeper than `limit` (libyaml's event parser keeps its own stack);
    False for a text it cannot parse (the caller composes it with the pure Python loader)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=fast):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > limit:
                    return True
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except (yaml.YAMLError, UnicodeError):
        return False
    return False


def _plain_styles(root: yaml.Node | None) -> None:
    """libyaml marks a plain scalar's style '' where the pure Python loader has None."""
    stack = [root] if root is not None else []
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # an alias: the same node again
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.style == "":
                node.style = None
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)


def compose(text: str, file: str) -> yaml.Node | None:
    """Parse YAML text into a node tree; a YAML syntax error, a self-referencing alias or aliases
    that expand past `MAX_EXPANDED_NODES` are located PolicyErrors."""
    try:
        root = compose_fast(text, FAST_LOADER, yaml.SafeLoader)
    except RecursionError:  # the composer recurses once per level of nesting
        raise nesting_error(text, file) from None
    except yaml.MarkedYAMLError as bad:
        mark = bad.problem_mark or bad.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise PolicyError(
            f"invalid YAML: {bad.problem or bad.context}",
            file=file,
            line=line,
            column=column,
            hint="check indentation and quoting around this position",
            source=text,
        ) from None
    except yaml.reader.ReaderError as bad:
        raise reader_error(bad, text, file) from None
    check_aliases(root, text, file)
    return root


def reader_error(bad: yaml.reader.ReaderError, text: str, file: str) -> PolicyError:
    """A character YAML does not allow (a NUL, a control character, a lone surrogate), located."""
    before = text[: bad.position]
    line = before.count("\n") + 1
    column = bad.position - (before.rfind("\n") + 1) + 1
    return PolicyError(
        f"invalid YAML: the character #x{bad.character:04x} is not allowed in a YAML file",
        file=file,
        line=line,
        column=column,
        hint="remove it, or write it as an escape (\\uXXXX) inside a double-quoted string",
        source=text,
    )


def nesting_error(text: str, file: str) -> PolicyError:
    """The error for a document nested deeper than the composer can go, at the first collection
    past `MAX_DEPTH` levels (the parser's events are read without recursion)."""
    depth, mark = 0, None
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                break
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return PolicyError(
        f"the YAML is nested more than {MAX_DEPTH} levels deep",
        file=file,
        line=line,
        column=column,
        hint="flatten the structure",
        source=text,
    )


def check_aliases(root: yaml.Node | None, text: str, file: str) -> None:
    """Refuse a node graph with a cycle or one that expands to too many nodes (an alias is a shared
    node: the composer gives the same object for `&a` and each `*a`). Call it on every composed
    document before walking or constructing it (`compose` does)."""
    expanded: dict[int, int] = {}  # id(node) -> nodes it expands to, itself included
    written: set[int] = set()
    on_path: set[int] = set()

    def fail(node: yaml.Node, message: str, hint: str) -> PolicyError:
        mark = node.start_mark
        return PolicyError(
            message, file=file, line=mark.line + 1, column=mark.column + 1, hint=hint, source=text
        )

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in expanded:
            return expanded[key]
        if key in on_path:
            raise fail(node, "this alias refers to the collection that contains it", "remove the alias")
        written.add(key)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        on_path.add(key)
        total = 1 + sum(size(child) for child in children)
        on_path.discard(key)
        expanded[key] = total
        if total > MAX_EXPANDED_NODES + len(written):
            raise fail(
                node,
                f"the aliases here expand to more than {MAX_EXPANDED_NODES:,} values",
                "write the values out instead of nesting aliases of aliases",
            )
        return total

    if root is not None:
        size(root)


def construct(node: yaml.Node | None) -> Any:
    if node is None:
        return {}
    return yaml.SafeLoader("").construct_document(node)


def node_at(root: yaml.Node | None, path: tuple[int | str, ...]) -> yaml.Node | None:
    """The deepest node along `path` that exists."""
    node = root
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next((pair for pair in node.value if pair[0].value == str(part)), None)
            if match is None:
                return node
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return node
    return node


def key_node_at(root: yaml.Node | None, path: tuple[int | str, ...]) -> yaml.Node | None:
    """The key node of the last mapping key in `path` (for 'unknown key' errors)."""
    parent = node_at(root, path[:-1])
    if isinstance(parent, yaml.MappingNode):
        for key_node, _ in parent.value:
            if key_node.value == str(path[-1]):
                return cast(yaml.Node, key_node)
    return parent


MAPPING_HINT = "the file must be a YAML mapping of keys to values"


def top_mapping(
    data: Any, text: str, file: str, *, hint: str = MAPPING_HINT, empty_ok: bool = False
) -> dict[str, Any]:
    """The constructed document `data` as a mapping; an empty document is {} when `empty_ok`.
    Anything else is a PolicyError at 1:1 of `file`: a YAML file of settings is a mapping."""
    if data is None and empty_ok:
        return {}
    if not isinstance(data, dict):
        raise PolicyError(
            f"expected a mapping at the top of {file}, got {type(data).__name__}",
            file=file,
            line=1,
            column=1,
            hint=hint,
            source=text,
        )
    return dict(data)


def load_yaml_model(text: str, file: str, model: type[ModelT]) -> ModelT:
    root = compose(text, file)
    data = top_mapping(construct(root), text, file)
    try:
        return model.model_validate(data)
    except ValidationError as invalid:
        raise validation_error(invalid, root, text, file, model) from None


def validation_error(
    invalid: ValidationError,
    root: yaml.Node | None,
    text: str,
    file: str,
    model: type[BaseModel],
    *,
    at: tuple[int | str, ...] = (),
) -> PolicyError:
    """Turn the first pydantic error into a PolicyError at the YAML node it concerns; `at` is where
    in the document the data `model` validated was written (a section: `("memory",)`)."""
    error = invalid.errors()[0]
    inner = tuple(part for part in error["loc"] if not _is_union_tag(part))
    loc = at + inner
    dotted = ".".join(str(p) for p in loc) or "(top level)"
    if error["type"] == "extra_forbidden":
        node = key_node_at(root, loc)
        message = f"{dotted}: unknown key"
        hint = _allowed_keys_hint(model, inner)
    else:
        node = node_at(root, loc)
        message = f"{dotted}: {error['msg']}"
        got = error.get("input")
        if got is not None and not isinstance(got, dict | list):
            message += f", got {got!r}"
        hint = "see the documented format of this file"
    mark = node.start_mark if node is not None else None
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return PolicyError(message, file=file, line=line, column=column, hint=hint, source=text)


def _is_union_tag(part: int | str) -> bool:
    # pydantic inserts the union member's name (e.g. 'ErdSource', 'str') into `loc`
    return isinstance(part, str) and (part[:1].isupper() or part in ("str", "int", "bool"))


def _allowed_keys_hint(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if field is None:
            return "remove this key"
        current = _model_in(field.annotation)
        if current is None:
            return "remove this key"
    if not hasattr(current, "model_fields"):
        return "remove this key"
    names = [f.alias or n for n, f in current.model_fields.items() if not f.exclude]
    return "allowed keys: " + ", ".join(names)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
