"""Real SQL dumps and scripts: client lines, skipped statements, the corpus, and malformed input.

The corpus (tests/corpus/sql/) holds published schema files, each with its source and licence in
its header; manifest.yaml holds what a person counted in each, which the parse must equal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from accelerator.cli import app
from accelerator.erd.parsed import ParsedErd
from accelerator.erd.patch_inputs import TableTarget
from accelerator.erd.sql.patch import SqlPatcher
from accelerator.erd.sql.reader import parse_sql
from accelerator.erd.text_edits import apply_text_edits
from accelerator.errors import ErdSyntaxError
from accelerator.generate import ErdInput, PolicyInput, generate, govern_inputs
from accelerator.model import Table

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "sql"
MANIFEST: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "manifest.yaml").read_text())["files"]
runner = CliRunner()


def corpus_params(manifest: dict[str, dict[str, Any]]) -> list[Any]:
    """One case per file; an entry with `xfail: why` is a known reader gap, strict (it must fail)."""
    return [
        pytest.param(name, marks=pytest.mark.xfail(reason=entry["xfail"], strict=True))
        if "xfail" in entry
        else name
        for name, entry in sorted(manifest.items())
    ]


def corpus_text(name: str, entry: dict[str, Any]) -> str:
    """The file's text; for an entry with `rejects: {line, column, words}` (the published file is not
    valid in its dialect), the file must be rejected there, and is read with the `;` the error asks for."""
    text = (CORPUS / name).read_text()
    rejected = entry.get("rejects")
    if rejected is None:
        return text
    with pytest.raises(ErdSyntaxError) as error:
        parse_sql(text, name, dialect=entry["dialect"], default_schema=entry["default_schema"])
    assert (error.value.line, error.value.column) == (rejected["line"], rejected["column"])
    assert rejected["words"] in str(error.value)
    offset = sum(len(line) for line in text.splitlines(keepends=True)[: rejected["line"] - 1])
    offset += rejected["column"] - 1
    return text[:offset] + ";" + text[offset:]


def tables(parsed: ParsedErd) -> dict[str, Table]:
    return {t.name: t for s in parsed.schemas for t in s.tables}


# -- the corpus -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", corpus_params(MANIFEST))
def test_corpus_file_reads_as_counted(name: str) -> None:
    expected = MANIFEST[name]
    text = corpus_text(name, expected)
    parsed = parse_sql(text, name, dialect=expected["dialect"], default_schema=expected["default_schema"])
    found = tables(parsed)
    assert sorted(found) == sorted(expected["tables"])
    for table_name, counted in expected["tables"].items():
        table = found[table_name]
        assert len(table.columns) == counted["columns"], table_name
        key = table.primary_key.columns if table.primary_key else None
        assert key == counted.get("primary_key"), table_name
        assert [[f.columns, f.ref_table] for f in table.foreign_keys] == counted.get("foreign_keys", [])
        assert [u.columns for u in table.unique_keys] == counted.get("unique", [])
        for column_name, type_ in counted.get("types", {}).items():
            column = table.column(column_name)
            assert column is not None and column.type == type_, (table_name, column_name)
    assert not [f for f in parsed.findings if f.severity == "error"]


@pytest.mark.parametrize("name", corpus_params(MANIFEST))
def test_corpus_file_generates(name: str) -> None:
    expected = MANIFEST[name]
    erd = ErdInput(
        name,
        corpus_text(name, expected),
        "corpus",
        dialect=expected["dialect"],
        default_schema=expected["default_schema"],
    )
    governed = govern_inputs("corpus", [erd], PolicyInput())
    generation = generate(governed, [governed.project.environments[0].name], terraform=False)
    assert any(path.startswith("sql/") for path in generation.files)
    assert len(list(governed.project.iter_tables())) == len(expected["tables"])


def test_corpus_files_name_their_source_and_licence() -> None:
    for path in CORPUS.glob("*.sql"):
        head = path.read_text()[:400].lower()
        assert "source:" in head and "licence:" in head, path.name


# -- client lines and skipped statements ----------------------------------------------------------


def test_tsql_go_after_semicolon_separates_batches() -> None:
    ddl = (
        "SET NOCOUNT ON;\nGO\nCREATE TABLE a (id INT PRIMARY KEY)\nGO\n"
        "CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a(id))\nGO\n"
    )
    found = tables(parse_sql(ddl, "go.sql", dialect="tsql"))
    assert sorted(found) == ["a", "b"]
    assert [(f.columns, f.ref_table, f.ref_columns) for f in found["b"].foreign_keys] == [
        (["a_id"], "a", ["id"])
    ]


def test_sqlcmd_lines_and_procedures_are_skipped() -> None:
    ddl = """\
:setvar DatabaseName shop
:on error exit
CREATE TABLE t (id INT NOT NULL PRIMARY KEY)
GO
CREATE PROCEDURE p AS
BEGIN
    SELECT 1;
    SELECT 2;
END
GO
ALTER TABLE t ADD CONSTRAINT df_id DEFAULT 7 FOR id
GO
"""
    parsed = parse_sql(ddl, "cmd.sql", dialect="tsql")
    assert tables(parsed)["t"].column("id").default == "7"  # type: ignore[union-attr]
    assert [(f.severity, f.line) for f in parsed.findings] == [("info", 5)]


def test_pg_dump_copy_data_functions_and_meta_commands() -> None:
    ddl = """\
\\connect shop
\\set ON_ERROR_STOP on
CREATE TABLE public.a (id integer NOT NULL, note text);
CREATE FUNCTION public.f(timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END; $$;
COPY public.a (id, note) FROM stdin;
1\tit's 'unbalanced
2\t\\N
\\.
CLUSTER public.a USING a_pkey;
\\copy public.a from stdin
3\tx
\\.
ALTER TABLE ONLY public.a ADD CONSTRAINT a_pkey PRIMARY KEY (id);
"""
    parsed = parse_sql(ddl, "dump.sql")
    a = tables(parsed)["a"]
    assert a.primary_key is not None and a.primary_key.columns == ["id"]
    assert {f.message.split(" statement")[0] for f in parsed.findings} == {"CREATE FUNCTION", "CLUSTER"}
    assert all(f.severity == "info" for f in parsed.findings)


def test_mysql_delimiter_bodies_and_source() -> None:
    ddl = """\
CREATE TABLE t (id INT PRIMARY KEY, ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP);
DELIMITER //
CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW BEGIN
  SET NEW.id = 1;
  IF NEW.id > 0 THEN SET NEW.id = 2; END IF;
END//
DELIMITER ;
DELIMITER $$
CREATE DEFINER=`root`@`localhost` PROCEDURE p() BEGIN SELECT 1; END$$
DELIMITER ;
source other.sql
CREATE TABLE u (id INT PRIMARY KEY, t_id INT, FOREIGN KEY (t_id) REFERENCES t (id));
"""
    parsed = parse_sql(ddl, "my.sql", dialect="mysql")
    assert sorted(tables(parsed)) == ["t", "u"]
    rules = sorted((f.rule, f.severity) for f in parsed.findings)
    assert rules == [
        ("sql.column.on_update", "warn"),
        ("sql.include.unread", "warn"),
        ("sql.statement.skipped", "info"),
        ("sql.statement.skipped", "info"),
    ]


def test_sqlplus_lines_and_pl_sql_blocks() -> None:
    ddl = """\
SET ECHO OFF
PROMPT creating
CONNECT hr/hr
SPOOL out.log
CREATE TABLE t (id NUMBER(10) PRIMARY KEY);
CREATE OR REPLACE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW
DECLARE
  n NUMBER;
BEGIN
  :new.id := 1;
END;
/
CREATE TABLE u (id NUMBER(10) PRIMARY KEY);
"""
    parsed = parse_sql(ddl, "ora.sql", dialect="oracle")
    assert sorted(tables(parsed)) == ["t", "u"]
    assert [(f.severity, f.line) for f in parsed.findings] == [("info", 6)]


def test_create_schema_elements_databricks_clauses_and_column_foreign_key() -> None:
    parsed = parse_sql(
        "CREATE SCHEMA s CREATE TABLE a (id int PRIMARY KEY) CREATE TABLE b (id int, a_id int REFERENCES a(id));",
        "s.sql",
    )
    assert [(s.name, [t.name for t in s.tables]) for s in parsed.schemas] == [("s", ["a", "b"])]
    assert tables(parsed)["b"].foreign_keys[0].ref_schema == "s"
    ddl = """\
CREATE TABLE a (id BIGINT PRIMARY KEY);
CREATE TABLE b (id BIGINT, d DATE, a_id BIGINT CONSTRAINT fk FOREIGN KEY REFERENCES a)
USING DELTA PARTITIONED BY (d) CLUSTER BY (id) TBLPROPERTIES ('delta.appendOnly' = 'true');
"""
    parsed = parse_sql(ddl, "dbx.sql", dialect="databricks")
    b = tables(parsed)["b"]
    assert [(f.name, f.columns, f.ref_table, f.ref_columns) for f in b.foreign_keys] == [
        ("fk", ["a_id"], "a", ["id"])
    ]
    assert (b.cluster_by, b.properties) == (["id"], {"delta.appendOnly": "true"})
    assert [(f.rule, f.severity, f.line) for f in parsed.findings] == [("sql.table.partitioning", "warn", 2)]


# -- malformed input: exit 2, located -------------------------------------------------------------


@pytest.mark.parametrize(
    ("dialect", "ddl", "where", "words"),
    [
        ("postgres", "CREATE TABLE a (id int);\nCREATE TABL b (id int);\n", ":2:8:", "did you mean TABLE"),
        ("postgres", "CREATE TABLE a (id INT PRIMARY KEY, name VARCHAR(10),, );\n", ":1:54:", "comma"),
        ("postgres", "CREATE TABLE a (\n  id INT NOT NULL NULL\n);\n", ":2:3:", "NULL and NOT NULL"),
        ("postgres", "CREATE TABLE a (id INT);\nALTER TABLE a ADD COLUMN y;\n", ":2:26:", "no type"),
        ("databricks", "CREATE TABLE a (id INT, );\n", ":1:23:", "comma"),
        ("tsql", "CREATE TABLE a (id INT,, )\nGO\n", ":1:24:", "comma"),
        ("tsql", "CREATE TABLE a (id INT, b INT,,)\nGO\n", ":1:31:", "comma"),
        ("bigquery", "DROP SCHEMA `x`\n\nCREATE SCHEMA `x`;\n", ":3:1:", "has no `;`"),
        ("postgres", "CREATE TABLE a (id int)\nCREATE TABLE b (id int);\n", ":2:1:", "has no `;`"),
        (
            "snowflake",
            "CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN b int\nALTER TABLE a ADD c int;\n",
            ":3:1:",
            "has no `;`",
        ),
    ],
)
def test_malformed_ddl_exits_2_located(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialect: str, ddl: str, where: str, words: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.sql").write_text(ddl)
    result = runner.invoke(app, ["check", "--erd", "bad.sql", "--dialect", dialect])
    assert result.exit_code == 2, result.output
    assert f"bad.sql{where}" in result.stderr and words in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_tsql_needs_no_semicolon_between_statements_and_accepts_one_trailing_comma() -> None:
    ddl = """\
SET NOCOUNT ON
CREATE TABLE a (id INT NOT NULL, PRIMARY KEY (id),
)
CREATE TABLE b (id INT, a_id INT)
ALTER TABLE b ALTER COLUMN a_id INT NOT NULL
ALTER TABLE b ADD CONSTRAINT fk FOREIGN KEY (a_id) REFERENCES a (id)
GRANT CREATE TABLE, ALTER TABLE TO loader
GO
"""
    parsed = parse_sql(ddl, "t.sql", dialect="tsql")
    found = tables(parsed)
    assert sorted(found) == ["a", "b"]
    assert [(f.columns, f.ref_table) for f in found["b"].foreign_keys] == [(["a_id"], "a")]
    assert [(f.rule, f.severity, f.line) for f in parsed.findings][:1] == [
        ("sql.table.trailing_comma", "info", 2)
    ]


def test_granting_create_table_is_not_a_table_inside_a_statement() -> None:
    parsed = parse_sql("GRANT create session TO u;\nGRANT create table TO u;\n", "g.sql", dialect="oracle")
    assert [(f.severity, f.line) for f in parsed.findings] == [("info", 1), ("info", 2)]


def test_a_domain_column_has_its_base_type_and_the_domain_check_is_reported() -> None:
    ddl = """\
CREATE DOMAIN public.year AS integer
\tCONSTRAINT year_check CHECK (((VALUE >= 1901) AND (VALUE <= 2155)));
CREATE DOMAIN public."bıgınt" AS bigint;
CREATE TYPE public.rating AS ENUM ('G', 'PG');
CREATE TABLE public.film (
    y public.year, b public."bıgınt", r public.rating DEFAULT 'G'::public.rating
);
"""
    parsed = parse_sql(ddl, "d.sql", default_schema="public")
    film = tables(parsed)["film"]
    assert [(c.type, c.default) for c in film.columns] == [("INT", None), ("BIGINT", None), ("STRING", "'G'")]
    assert [(f.rule, f.severity, f.line) for f in parsed.findings] == [("sql.domain.constraint", "warn", 2)]


def test_databricks_notebook_cells_end_their_statements() -> None:
    ddl = """\
-- Databricks notebook source
DESC TABLE EXTENDED a

-- COMMAND ----------

-- MAGIC %md ## tables
CREATE TABLE a (id BIGINT PRIMARY KEY)

-- COMMAND ----------

CREATE TABLE b (a_id BIGINT REFERENCES a)
"""
    parsed = parse_sql(ddl, "n.sql", dialect="databricks")
    assert sorted(tables(parsed)) == ["a", "b"]
    assert [(f.severity, f.line) for f in parsed.findings] == [("info", 2)]
    with pytest.raises(ErdSyntaxError, match="has no `;`"):  # outside a notebook, `;` is needed
        parse_sql(ddl.replace("-- COMMAND ----------", ""), "n.sql", dialect="databricks")


def test_a_block_without_its_terminator_warns_that_tables_are_lost() -> None:
    parsed = parse_sql(
        "CREATE PROCEDURE p AS BEGIN SELECT 1;\nCREATE TABLE t (id INT);\n", "x.sql", dialect="tsql"
    )
    assert not tables(parsed)
    assert [f.severity for f in parsed.findings] == ["warn"]


def test_not_null_null_is_a_syntax_error() -> None:
    with pytest.raises(ErdSyntaxError):
        parse_sql("CREATE TABLE a (id INT NULL NOT NULL);", "n.sql")


# -- patching dumps -------------------------------------------------------------------------------


def test_a_dump_with_go_after_semicolon_and_copy_data_is_patched() -> None:
    ddl = "SET NOCOUNT ON;\nGO\nCREATE TABLE a (id INT PRIMARY KEY)\nGO\nCREATE TABLE b (id INT, a_id INT REFERENCES a(id))\nGO\n"
    parsed = parse_sql(ddl, "go.sql", dialect="tsql")
    edits = SqlPatcher("go.sql", ddl, "tsql").rename_table(TableTarget("default", tables(parsed)["a"]), "aa")
    patched = apply_text_edits({"go.sql": ddl}, edits)["go.sql"]
    assert sorted(tables(parse_sql(patched, "go.sql", dialect="tsql"))) == ["aa", "b"]
    assert "REFERENCES aa(id)" in patched
    dump = "CREATE TABLE public.a (id integer);\nCOPY public.a (id) FROM stdin;\n1\tit's (\n\\.\nCREATE TABLE public.b (a_id integer REFERENCES public.a (id));\n"
    parsed = parse_sql(dump, "dump.sql")
    edits = SqlPatcher("dump.sql", dump, "postgres").rename_table(
        TableTarget("public", tables(parsed)["a"]), "aa"
    )
    patched = apply_text_edits({"dump.sql": dump}, edits)["dump.sql"]
    assert "1\tit's (\n" in patched and "REFERENCES public.aa (id)" in patched
    assert sorted(tables(parse_sql(patched, "dump.sql"))) == ["aa", "b"]


@pytest.mark.parametrize(
    ("dialect", "copy"),
    [
        ("bigquery", "CREATE OR REPLACE TABLE `s`.`r` CLONE `s`.`e`;"),
        ("snowflake", "CREATE TABLE s.r CLONE s.e;"),
        ("databricks", "CREATE TABLE s.r SHALLOW CLONE s.e;"),
        ("mysql", "CREATE TABLE s.r LIKE s.e;"),
    ],
)
def test_a_clone_or_like_copy_of_a_table_in_the_file_has_its_columns_and_key(dialect: str, copy: str) -> None:
    ddl = f"CREATE TABLE s.e (id INT NOT NULL, boss INT, PRIMARY KEY (id));\n{copy}\n"
    parsed = parse_sql(ddl, "c.sql", dialect=dialect)
    r = tables(parsed)["r"]
    assert [(c.name, c.nullable) for c in r.columns] == [("id", False), ("boss", True)]
    assert r.primary_key is not None and r.primary_key.columns == ["id"]
    assert r.columns[0].span is not None and r.columns[0].span.line == 2  # located at the copy
    assert tables(parsed)["e"].columns[0].span.line == 1  # type: ignore[union-attr]
    assert not parsed.findings


def test_a_copy_of_a_table_not_in_the_file_warns_that_its_columns_are_unknown() -> None:
    parsed = parse_sql("CREATE TABLE r CLONE elsewhere.e;\n", "c.sql", dialect="snowflake")
    assert not tables(parsed)
    assert [(f.rule, f.severity) for f in parsed.findings] == [("sql.table.unread", "warn")]


def test_tsql_clustered_and_nonclustered_indexes_are_read_not_unknown() -> None:
    ddl = (
        "CREATE TABLE s (id INT NOT NULL PRIMARY KEY, m INT)\nGO\n"
        "CREATE UNIQUE NONCLUSTERED INDEX ix ON s(m)\nGO\nCREATE CLUSTERED INDEX cx ON s(id)\nGO\n"
    )
    parsed = parse_sql(ddl, "x.sql", dialect="tsql")
    assert [(f.rule, f.severity, f.line) for f in parsed.findings] == [("sql.statement.skipped", "info", 5)]
    assert [u.columns for u in tables(parsed)["s"].unique_keys] == [["m"]]  # the unique index


def test_mysql_double_semicolon_delimiter_ends_trigger_bodies() -> None:
    ddl = """\
CREATE TABLE film (id INT PRIMARY KEY);
DELIMITER ;;
CREATE TRIGGER ins_film AFTER INSERT ON film FOR EACH ROW BEGIN
    INSERT INTO t VALUES (new.id);
  END;;
DELIMITER ;
CREATE TABLE t (id INT PRIMARY KEY);
"""
    parsed = parse_sql(ddl, "my.sql", dialect="mysql")
    assert sorted(tables(parsed)) == ["film", "t"]
    assert [(f.severity, f.line) for f in parsed.findings] == [("info", 3)]
