"""Revoking in the policy wherever the grant is written: the top-level `grants` (with or without
`environments`) and each environment's own `environments.<env>.grants`.

Every item that grants the privileges where the revoke applies is found, so that
`revoke select on table crm.customers from analysts in prod` narrows the prod section's grant.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from accelerator.edit.policy_patch import PolicyDocument, yaml_scalar
from accelerator.edit.values import normalize_privilege
from accelerator.erd.text_edits import TextEdit, delete_lines
from accelerator.errors import UnsupportedEditError
from accelerator.yamlsource import construct


@dataclass(frozen=True)
class _WrittenGrant:
    node: yaml.MappingNode
    privileges: list[str]  # normalized
    environments: list[str] | None  # None: every environment (a top-level item without `environments`)
    section: str | None  # the environment whose section holds it; None: the top-level `grants`
    siblings: yaml.Node  # the `grants` list holding it


def _value(mapping: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(mapping, yaml.MappingNode):
        return None
    return next((v for k, v in mapping.value if getattr(k, "value", None) == key), None)


def _items(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _written_grants(document: PolicyDocument, kind: str, name: str, principal: str) -> list[_WrittenGrant]:
    """The grant items of `principal` on `kind name`, wherever they are written (a catalog grant
    without a name is on the domain's catalog, the only one a policy's environments name)."""
    lists: list[tuple[yaml.Node | None, str | None]] = [(_value(document.root, "grants"), None)]
    sections = _value(document.root, "environments")
    if isinstance(sections, yaml.MappingNode):
        lists += [(_value(section, "grants"), str(key.value)) for key, section in sections.value]
    places = [
        (item, section, grants) for grants, section in lists if grants is not None for item in _items(grants)
    ]
    found: list[_WrittenGrant] = []
    for item, section, grants in places:
        data = construct(item)
        if not isinstance(item, yaml.MappingNode) or not isinstance(data, dict):
            continue
        if (
            data.get("on", data.get(True)) != kind  # YAML 1.1 reads the key `on` as true
            or str(data.get("name", "*")).lower() not in (name.lower(), *(["*"] if kind == "catalog" else []))
            or str(data.get("principal")) != principal
        ):
            continue
        try:
            privileges = [normalize_privilege(str(p)) for p in data.get("privileges") or []]
        except ValueError:
            continue  # governance reports the unknown privilege
        environments = [section] if section else ([str(e) for e in data.get("environments") or []] or None)
        found.append(_WrittenGrant(item, privileges, environments, section, grants))
    return found


def _privileges_edit(document: PolicyDocument, grant: _WrittenGrant, kept: list[str]) -> TextEdit:
    node = _value(grant.node, "privileges")
    assert node is not None
    assert isinstance(node, yaml.SequenceNode)
    # each kept privilege exactly as written (`USE SCHEMA` stays unquoted)
    written = [
        document.text[item.start_mark.index : item.end_mark.index]
        for item in node.value
        if normalize_privilege(str(construct(item))) in kept
    ]
    text = "[" + ", ".join(written) + "]"
    return TextEdit(document.file, node.start_mark.index, node.end_mark.index, text)


def _inside(edit: TextEdit, node: yaml.Node) -> bool:
    return node.start_mark.index <= edit.start and edit.end <= node.end_mark.index + 1


def revoke_in_policy(
    document: PolicyDocument,
    kind: str,
    name: str,
    principal: str,
    privileges: list[str],
    environment: str | None,
    securable: str,
) -> list[TextEdit]:
    """The edits that revoke `privileges` from `principal` on `kind name` in `environment` (None:
    everywhere), in every item that grants them there; raise when a privilege is not written so."""
    grants = [
        g
        for g in _written_grants(document, kind, name, principal)
        if environment is None or g.environments is None or environment in g.environments
    ]
    held = {p for g in grants for p in g.privileges}
    missing = [p for p in privileges if p not in held]
    if missing:
        where = f" in {environment}" if environment else ""
        raise UnsupportedEditError(
            f"no grant of {', '.join(missing)} on {kind} {securable} to {principal}{where} is written as such "
            f"in {document.file} (it may come from a wildcard grant)",
            hint="edit the policy's grants by hand, e.g. narrow the wildcard grant",
        )
    edits: list[TextEdit] = []
    emptied: dict[int, int] = {}  # items deleted per `grants` list: a list left empty is written `[]`
    for grant in grants:
        revoked = [p for p in grant.privileges if p in privileges]
        if not revoked:
            continue
        kept = [p for p in grant.privileges if p not in privileges]
        narrowing = environment is not None and grant.environments != [environment]
        if not narrowing and kept:
            edits.append(_privileges_edit(document, grant, kept))
        elif not narrowing:
            emptied[id(grant.siblings)] = emptied.get(id(grant.siblings), 0) + 1
            if emptied[id(grant.siblings)] == len(_items(grant.siblings)):  # its list's last item
                edits = [e for e in edits if not _inside(e, grant.siblings)]
                start, end = grant.siblings.start_mark.index, grant.siblings.end_mark.index
                while (
                    end > start and document.text[end - 1] in " \t\r\n"
                ):  # a block list ends at the next key
                    end -= 1
                edits.append(TextEdit(document.file, start, end, "[]"))
            else:
                start, end = grant.node.start_mark.index, grant.node.end_mark.index
                edits.append(delete_lines(document.file, document.text, start, end))
        elif grant.environments is not None and not kept:  # `environments: [staging, prod]` loses prod
            node = _value(grant.node, "environments")
            assert node is not None
            others = [e for e in grant.environments if e != environment]
            text = "[" + ", ".join(yaml_scalar(e) for e in others) + "]"
            edits.append(TextEdit(document.file, node.start_mark.index, node.end_mark.index, text))
        else:
            where = "every environment" if grant.environments is None else ", ".join(grant.environments)
            raise UnsupportedEditError(
                f"the grant of {', '.join(grant.privileges)} on {kind} {securable} to {principal} is written "
                f"once for {where} in {document.file}; revoking in {environment} alone would split it",
                hint=f"revoke it everywhere (leave out `in {environment}`), or split the grant by hand",
            )
    return edits
