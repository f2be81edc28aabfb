"""render_docs: data dictionary, Mermaid diagram, findings; escaping; determinism."""

from __future__ import annotations

from accelerator.model import Catalog, Column, Finding, Project, Schema, Table
from accelerator.render import render_docs
from accelerator.render.markdown import code

from .render_fixtures import governed_project, span

FINDINGS = [
    Finding(
        rule="naming.table.case",
        severity="warn",
        message="use | snake\ncase",
        span=span(7, 7),
        object="retail.crm.customers",
    ),
    Finding(rule="policy.global", severity="error", message="no owner group", object=None),
    Finding(rule="other.catalog", severity="info", message="about finance", object="finance.ledger"),
]


def retail_doc(project: Project | None = None) -> str:
    project = project or governed_project()
    project.catalogs.append(
        Catalog(name="finance", schemas=[Schema(name="gl", tables=[Table(name="ledger")])])
    )
    documents = render_docs(project, FINDINGS)
    assert list(documents) == ["finance.md", "retail.md"]
    return documents["retail.md"]


def test_data_dictionary_per_schema_and_table() -> None:
    doc = retail_doc()
    assert doc.startswith("# Data dictionary: `retail`\n\nSample domain\n")
    assert "| Catalog per environment | dev: `dev_retail`, prod: `prod_retail` |" in doc
    assert "| Grants | `analysts`: USE_CATALOG; `engineers`: ALL_PRIVILEGES (dev) |" in doc
    assert (
        doc.index("## Schema `crm`") < doc.index("### Table `crm.customers`") < doc.index("## Schema `sales`")
    )
    assert "| Owner | `data-owners` |" in doc
    assert "| Tags | `domain` = `crm`, `tier` = `gold` |" in doc
    assert "| Column | Type | Nullable | Key | Classification | Mask | Comment |" in doc
    assert "| `customer_id` | BIGINT | no | PK |  |  | Surrogate key |" in doc
    assert (
        "| `email` | STRING | yes | UK | pii.email | mask_email (hash; exempt: pii_readers) | Login and contact email |"
    ) in doc
    assert "| `customer_id` | BIGINT | no | FK |  |  |  |" in doc
    assert "- FK `customer_id` references `crm.customers(customer_id)`" in doc


def test_cells_escape_pipes_newlines_and_html() -> None:
    doc = retail_doc()
    assert "| `city` | STRING | yes |  |  |  | City \\| town<br>or village |" in doc
    project = governed_project()
    project.catalogs[0].schemas[0].tables[0].columns[0].comment = "<script>x</script> a|b"
    project.catalogs[0].schemas[0].tables[0].columns[0].name = "odd|`name`"
    doc = retail_doc(project)
    assert "| `` odd\\|`name` `` |" in doc
    assert "&lt;script&gt;x&lt;/script&gt; a\\|b |" in doc
    assert "<script>" not in doc


def test_code_spans_survive_backticks() -> None:
    assert code("plain") == "`plain`"
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"
    assert code("two\nlines") == "`two lines`"


def test_mermaid_diagram_of_the_model() -> None:
    doc = retail_doc()
    diagram = doc[doc.index("```mermaid\n") : doc.index("```\n", doc.index("```mermaid\n") + 3)]
    assert diagram.startswith("```mermaid\nerDiagram\n")
    assert '    crm_customers {\n        BIGINT customer_id PK "Surrogate key"\n' in diagram
    assert '        STRING email UK "Login and contact email"\n' in diagram
    assert '        DECIMAL_12_2 total_amount "Order total in EUR"\n' in diagram
    assert '        STRING city "City | town or village"\n' in diagram
    # nullable FK column: the parent is optional; the label is the relationship label or the columns
    assert '    crm_customers |o--o{ crm_addresses : "customer_id"\n' in diagram
    assert '    crm_customers ||--o{ sales_orders : "places"\n' in diagram


def test_mermaid_names_and_comments_are_made_safe() -> None:
    project = governed_project()
    crm = project.catalogs[0].schema("crm")
    assert crm is not None
    crm.tables.append(
        Table(
            name='we ird}"', columns=[Column(name="1st col", type="ARRAY<STRING>", comment='say "hi"\nnow')]
        )
    )
    crm.tables.append(Table(name="we-ird", columns=[]))  # collides with the first after reduction
    doc = retail_doc(project)
    assert "    crm_we_ird {\n        ARRAY_STRING _1st_col \"say 'hi' now\"\n    }\n" in doc
    assert "    crm_we-ird {\n" in doc or "    crm_we_ird_2 {\n" in doc


def test_findings_table_per_catalog() -> None:
    documents = render_docs(
        _with_finance(governed_project()),
        [*FINDINGS, Finding(rule="fin.only", severity="warn", message="ledger", object="finance.gl.ledger")],
    )
    retail, finance = documents["retail.md"], documents["finance.md"]
    assert "## Findings\n\n| Severity | Rule | Location | Message |\n|---|---|---|---|\n" in retail
    assert "| warn | naming.table.case | erd/retail.dbml:7:7 | use \\| snake<br>case |" in retail
    # project-wide findings appear everywhere; a catalog's own findings only in its document
    assert "| error | policy.global |  | no owner group |" in retail
    assert "| error | policy.global |  | no owner group |" in finance
    assert "naming.table.case" not in finance
    assert "fin.only" in finance and "fin.only" not in retail
    assert render_docs(governed_project(), [])["retail.md"].endswith("## Findings\n\nNo findings.\n")


def test_docs_are_byte_identical_twice() -> None:
    assert render_docs(governed_project(), FINDINGS) == render_docs(
        governed_project(), list(reversed(FINDINGS))
    )


def _with_finance(project: Project) -> Project:
    project.catalogs.append(
        Catalog(name="finance", schemas=[Schema(name="gl", tables=[Table(name="ledger")])])
    )
    return project
