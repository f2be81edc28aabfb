"""Classification: class, tags and mask set on matching columns; classified columns need comments."""

from __future__ import annotations

from accelerator.model import Mask
from accelerator.policy import default_policy, govern

from .conftest import column, only, policy_from, project_of, table

CLASSES = """
classification:
  - name: pii.email
    match: {names: [email], regex: 'e_?mail'}
    tags: {pii: email}
    mask:
      strategy: redact
      exempt_groups: [pii_readers]
  - name: pii.birth_date
    match: {regex: 'birth'}
    tags: {pii: birth_date}
    mask: {strategy: redact}
  - name: confidential
    match: {tags: {sensitivity: high}}
    mask: {strategy: hash}
"""


def test_matching_columns_get_class_tags_and_mask() -> None:
    project = project_of(
        table(
            "customers",
            [
                column("email", comment="Login", tags={"source": "crm"}),
                column("contact_e_mail", comment="Contact"),
                column("birth_date", "DATE", comment="Born"),
                column("secret", comment="x", tags={"sensitivity": "high"}),
                column("city", comment="City"),
            ],
        )
    )
    policy = policy_from(CLASSES)
    governed = govern(project, policy)
    email, contact, birth, secret, city = governed.project.catalogs[0].schemas[0].tables[0].columns
    assert (email.classification, email.tags) == ("pii.email", {"pii": "email", "source": "crm"})
    assert email.mask is not None
    assert email.mask.model_dump() == {
        "function": "mask_redact_string_pii_readers",
        "strategy": "redact",
        "exempt_groups": ["pii_readers"],
    }
    assert email.mask.span is not None and email.mask.span.line == 6  # the policy line of `mask:`
    assert contact.classification == "pii.email" and contact.mask == email.mask
    # same strategy, another type: another function, so names are unique per (strategy, type)
    assert birth.mask is not None and birth.mask.function == "mask_redact_date"
    assert (secret.classification, secret.mask.function if secret.mask else None) == (
        "confidential",
        "mask_hash_string",
    )
    assert (city.classification, city.mask, city.tags) == (None, None, {})
    assert project.catalogs[0].schemas[0].tables[0].columns[0].classification is None  # input untouched


def test_classification_from_the_erd_is_kept_and_completed() -> None:
    project = project_of(
        table(
            "t",
            [
                column("contact", classification="pii.email", comment="c"),
                column("other", classification="internal", comment="c"),
            ],
        )
    )
    contact, other = govern(project, policy_from(CLASSES)).project.catalogs[0].schemas[0].tables[0].columns
    assert (contact.classification, contact.tags.get("pii"), contact.mask is not None) == (
        "pii.email",
        "email",
        True,
    )
    assert (other.classification, other.mask) == ("internal", None)


def test_existing_mask_and_tags_win() -> None:
    own_mask = Mask(function="my_mask", strategy="partial")
    project = project_of(table("t", [column("email", comment="c", mask=own_mask, tags={"pii": "contact"})]))
    email = govern(project, policy_from(CLASSES)).project.catalogs[0].schemas[0].tables[0].columns[0]
    assert email.mask == own_mask and email.tags == {"pii": "contact"}


def test_classified_column_without_comment() -> None:
    policy = only("classification.comment", CLASSES)
    assert govern(project_of(table("t", [column("email", comment="Login")])), policy).findings == []
    findings = govern(project_of(table("t", [column("email", line=17)])), policy).findings
    assert [(f.rule, f.severity, f.line, f.object) for f in findings] == [
        ("classification.comment", "warn", 17, "retail.sales.t.email")
    ]


def test_default_classes_cover_common_pii() -> None:
    names = ["email", "phone_number", "ssn", "date_of_birth", "street_address", "postal_code", "ip_address",
             "first_name", "last_name", "full_name", "credit_card_number", "order_id", "city", "status"]  # fmt: skip
    project = project_of(table("t", [column(name, comment="c") for name in names]))
    classes = [
        c.classification
        for c in govern(project, default_policy()).project.catalogs[0].schemas[0].tables[0].columns
    ]
    assert classes == [
        "pii.email", "pii.phone", "pii.national_id", "pii.birth_date", "pii.address", "pii.address",
        "pii.ip_address", "pii.name", "pii.name", "pii.name", "pii.credit_card", None, None, None,
    ]  # fmt: skip
