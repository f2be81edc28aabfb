"""Read a policy file: YAML -> located nodes -> validated `PolicySpec` -> `Policy`.

Every error is a `PolicyError` at the line and column of the offending key or value: the YAML is
composed into nodes (which carry marks) and each pydantic error's `loc` is walked down that tree.
The YAML dialect is 1.2-like for booleans: only true/false are booleans, so `on: table` and
`severity: {x: off}` keep their words.
"""

from __future__ import annotations

import difflib
import re
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from accelerator.errors import PolicyError
from accelerator.model.elements import Span
from accelerator.policy.identifiers import safe_name_problem
from accelerator.policy.policy import Locations, Path, Policy
from accelerator.policy.schema import PolicySpec
from accelerator.yamlsource import FAST_LOADER, check_aliases, compose_fast, nesting_error, reader_error


class PolicyYamlLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's yes/no/on/off booleans."""


PolicyYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
PolicyYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
# The same resolvers on libyaml's parser (see yamlsource.compose_fast), where PyYAML has it.
PolicyYamlFastLoader: type[Any] | None = (
    type(
        "PolicyYamlFastLoader",
        (FAST_LOADER,),
        {"yaml_implicit_resolvers": PolicyYamlLoader.yaml_implicit_resolvers},
    )
    if FAST_LOADER is not None
    else None
)


def parse_policy(text: str, file: str) -> Policy:
    """Parse and validate a policy; raise a located PolicyError on any problem."""
    try:
        node = compose_fast(text, PolicyYamlFastLoader, PolicyYamlLoader)
        check_aliases(node, text, file)  # an alias bomb or a self-reference is a located error
        data = PolicyYamlLoader("").construct_document(node) if node is not None else {}
    except RecursionError:  # the composer recurses once per level of nesting
        raise nesting_error(text, file) from None
    except yaml.MarkedYAMLError as bad:
        mark = bad.problem_mark or bad.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = bad.problem or bad.context or "invalid YAML"
        raise PolicyError(
            f"invalid YAML: {problem}",
            file=file,
            line=line,
            column=column,
            hint="check indentation, and quote values that contain ': ' or start with '{' or '*'",
            source=text,
        ) from None
    except yaml.reader.ReaderError as bad:
        raise reader_error(bad, text, file) from None
    locations = Locations()
    if node is not None:
        _index(node, (), locations, file, text)
    if not isinstance(data, dict):
        span = locations.span(()) or Span(file=file, line=1, column=1, end_line=1, end_column=1)
        raise _error(
            "the policy must be a mapping of keys such as rules:, grants:",
            span,
            text,
            "start with `version: 1`",
        )
    try:
        spec = PolicySpec.model_validate(data)
    except ValidationError as invalid:
        raise _validation_error(invalid, locations, file, text) from None
    policy = Policy(spec=spec, file=file, source=text, locations=locations)
    _check_references(policy)
    return policy


def default_policy() -> Policy:
    """The documented built-in policy (`accelerator/policy/default.yaml`)."""
    text = resources.files("accelerator.policy").joinpath("default.yaml").read_text(encoding="utf-8")
    return parse_policy(text, "accelerator/policy/default.yaml")


def _span(node: yaml.Node, file: str) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(
        file=file,
        line=start.line + 1,
        column=start.column + 1,
        end_line=end.line + 1,
        end_column=end.column + 1,
    )


def _index(node: yaml.Node, path: Path, locations: Locations, file: str, text: str) -> None:
    locations.values[path] = _span(node, file)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise _error(
                    f"duplicate key {key!r}", _span(key_node, file), text, "remove one of the two entries"
                )
            seen.add(key)
            locations.keys[(*path, key)] = _span(key_node, file)
            _index(value_node, (*path, key), locations, file, text)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _index(item, (*path, position), locations, file, text)


def _error(message: str, span: Span, source: str, hint: str | None) -> PolicyError:
    return PolicyError(message, file=span.file, line=span.line, column=span.column, hint=hint, source=source)


def display_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _validation_error(invalid: ValidationError, locations: Locations, file: str, text: str) -> PolicyError:
    located = []
    for error in invalid.errors():
        path = _yaml_path(error["loc"], locations)
        span = (locations.keys.get(path) if error["type"] == "extra_forbidden" else None) or locations.span(
            path
        )
        span = span or Span(file=file, line=1, column=1, end_line=1, end_column=1)
        located.append((span.line, span.column, error, path, span))
    located.sort(key=lambda item: (item[0], item[1]))
    _, _, error, path, span = located[0]
    message, hint = _describe(error, path)
    hint = hint or f"see the `{_section(path)}` section of accelerator/policy/POLICY.md"
    if len(located) > 1:
        hint = f"{hint}; {len(located) - 1} more problem(s) in this file" if hint else None
    return _error(message, span, text, hint)


def _section(path: Path) -> str:
    names = [part for part in path if isinstance(part, str)]
    return names[0] if names else "top level"


def _yaml_path(loc: tuple[int | str, ...], locations: Locations) -> Path:
    """The pydantic `loc` as a path in the YAML tree, minus pydantic's own union/validator tags."""
    path: Path = ()
    for part in loc:
        candidate = (*path, part)
        if candidate in locations.values or candidate in locations.keys:
            path = candidate
        elif isinstance(part, str) and ("[" in part or "-" in part):
            continue  # e.g. 'function-after[...]', '[key]'
        else:
            path = candidate  # a missing key: its parent is the closest written node
    return path


def _describe(error: Any, path: Path) -> tuple[str, str | None]:
    kind, where = error["type"], display_path(path)
    given = error.get("input")
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        options = re.findall(r"'([^']*)'", expected) or re.split(r",\s*|\s+or\s+", expected)
        message = f"{where}: expected one of {', '.join(options)}, got {given!r}"
        return message, _closest(str(given), options) or f"use one of {', '.join(options)}"
    if kind == "extra_forbidden":
        parent, key = path[:-1], path[-1]
        allowed = _allowed_keys(parent)
        listing = ", ".join(allowed) if allowed else "none"
        message = f"{display_path(parent)}: unknown key {key!r}; allowed keys: {listing}"
        return message, _closest(str(key), allowed) or "remove the key or fix its spelling"
    if kind == "missing":
        message = f"{display_path(path[:-1])}: missing required key {path[-1]!r}"
        return message, f"add `{path[-1]}: ...`"
    if kind == "value_error":
        return f"{where}: {error['msg'].removeprefix('Value error, ')}", None
    if kind in _TYPE_ERRORS:
        expected, hint = _TYPE_ERRORS[kind]
        return f"{where}: expected {expected}, got {given!r}", hint
    return f"{where}: {error['msg'][:1].lower()}{error['msg'][1:]}, got {given!r}", None


_TYPE_ERRORS = {
    "string_type": ("a string", "quote the value"),
    "int_type": ("a whole number", "write a number such as 64"),
    "int_parsing": ("a whole number", "write a number such as 64"),
    "bool_type": ("true or false", "write true or false"),
    "bool_parsing": ("true or false", "write true or false"),
    "list_type": ("a list", "write a list: [a, b] or one '- item' per line"),
    "dict_type": ("a mapping", "write a mapping: {key: value} or one 'key: value' per line"),
    "model_type": ("a mapping", "write a mapping: {key: value} or one 'key: value' per line"),
}


def _closest(given: str, options: list[str]) -> str | None:
    lowered = {option.lower().replace("_", "").replace("-", ""): option for option in options}
    key = given.lower().replace("_", "").replace("-", "")
    if key in lowered:
        return f"did you mean {lowered[key]!r}?"
    close = difflib.get_close_matches(given, options, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _allowed_keys(path: Path) -> list[str]:
    """The keys the model at `path` accepts (walking PolicySpec's annotations)."""
    model: Any = PolicySpec
    for part in path:
        model = _child_model(model, part)
        if model is None:
            return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [info.alias or name for name, info in model.model_fields.items()]
    return []


def _child_model(model: Any, part: str | int) -> Any:
    import typing

    if isinstance(model, type) and issubclass(model, BaseModel):
        for name, info in model.model_fields.items():
            if part in (name, info.alias):
                return _unwrap(info.annotation)
        return None
    origin = typing.get_origin(model)
    args = typing.get_args(model)
    if origin is list and args:
        return _unwrap(args[0])
    if origin is dict and len(args) == 2:
        return _unwrap(args[1])
    return None


def _unwrap(annotation: Any) -> Any:
    import types
    import typing

    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return members[0] if len(members) == 1 else annotation
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def _check_references(policy: Policy) -> None:
    """Cross-key checks: grant environments exist, severities name known rules."""
    spec, where = policy.spec, policy.locations
    defined = list(spec.environments or {})
    for env in defined:
        problem = safe_name_problem(env, "environment")
        if problem:
            span = where.keys.get(("environments", env)) or where.span(("environments",))
            assert span is not None
            raise _error(f"environments: {env!r}: {problem}", span, policy.source, "rename the environment")
    for index, grant in enumerate(spec.grants):
        for position, env in enumerate(grant.environments):
            problem = safe_name_problem(env, "environment")
            if problem:
                span = where.span(("grants", index, "environments", position))
                assert span is not None
                raise _error(
                    f"grants[{index}]: environment {env!r}: {problem}",
                    span,
                    policy.source,
                    "name a defined environment",
                )
            if spec.environments is not None and env not in defined:
                span = where.span(("grants", index, "environments", position))
                assert span is not None
                close = _closest(env, defined)
                hint = close or (
                    "define it under environments:" if defined else "add an environments: section"
                )
                raise _error(
                    f"grants[{index}]: environment {env!r} is not defined", span, policy.source, hint
                )
    restricted = ("rules", "grants", "restricted_privileges")
    for env in spec.rules.grants.restricted_privileges:
        span = where.keys.get((*restricted, env))
        if span is None:
            continue  # the built-in default (prod) applies only where such an environment exists
        problem = safe_name_problem(env, "environment")
        if problem is None and spec.environments is not None and env not in defined:
            problem = "not defined under environments:"
        if problem:
            hint = _closest(env, defined) or "define it under environments:"
            message = f"rules.grants.restricted_privileges: environment {env!r}: {problem}"
            raise _error(message, span, policy.source, hint)
    confirm = ("rules", "governance", "confirm_weakening")
    for position, env in enumerate(spec.rules.governance.confirm_weakening):
        problem = safe_name_problem(env, "environment")
        if problem is None and spec.environments is not None and env not in defined:
            problem = "not defined under environments:"
        if problem:
            span = where.span((*confirm, position))
            assert span is not None
            hint = _closest(env, defined) or "define it under environments:"
            raise _error(
                f"{display_path(confirm)}: environment {env!r}: {problem}", span, policy.source, hint
            )
    allow = ("rules", "migrations", "allow_destructive")
    for env in spec.rules.migrations.allow_destructive:
        problem = safe_name_problem(env, "environment")
        if problem is None and spec.environments is not None and env not in defined:
            problem = "not defined under environments:"
        if problem:
            span = where.keys.get((*allow, env)) or where.span(allow)
            assert span is not None
            hint = _closest(env, defined) or "define it under environments:"
            raise _error(f"{display_path(allow)}: environment {env!r}: {problem}", span, policy.source, hint)
    classes = [rule.name for rule in spec.classification]
    for column, name in spec.classified_columns.items():
        if name not in classes:
            span = where.span(("classified_columns", column))
            assert span is not None
            hint = _closest(name, classes) or (
                f"define it under classification:, or use one of {', '.join(classes)}"
                if classes
                else "define it under classification:"
            )
            message = f"classified_columns: {column}: unknown class {name!r}"
            raise _error(message, span, policy.source, hint)
    known = sorted(policy.rules)
    for rule_id in spec.severity:
        prefix = rule_id[:-2] if rule_id.endswith(".*") else None
        matches = (
            any(k.startswith(prefix + ".") for k in known) if prefix is not None else rule_id in policy.rules
        )
        if not matches and rule_id != "*":
            span = where.keys.get(("severity", rule_id)) or where.span(("severity",))
            assert span is not None
            hint = _closest(rule_id, known) or "see the rule list in accelerator/policy/POLICY.md"
            raise _error(f"severity: unknown rule {rule_id!r}", span, policy.source, hint)


__all__ = ["default_policy", "display_path", "parse_policy"]
