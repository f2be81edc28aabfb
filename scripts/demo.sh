#!/usr/bin/env bash
# `make demo`: check and generate the retail example, then a conversation on a copy of it, on embedded
# defaults (no Databricks, no GitHub, no database server).
set -euo pipefail
cd "$(dirname "$0")/.."
ACC="$PWD/.venv/bin/accelerator"
OUT="$PWD/generated/retail"
cd examples/retail

echo "== accelerator check (findings pinned to the ERD's lines)"
"$ACC" check --format text || [ $? -eq 1 ]

echo
echo "== accelerator generate --out $OUT"
"$ACC" generate --out "$OUT" || [ $? -eq 1 ]

echo
echo "== a taste of what was generated"
sed -n '1,40p' "$OUT/sql/prod/"*.sql | head -40
echo "..."
echo "Files are in $OUT: model.json, sql/<env>/, terraform/<env>/cdk.tf.json, docs/."

# -- the conversation: a scripted session, then a new process that remembers it ------------------
# It runs on a scratch copy, so the example in the repository is never modified; the memory is the
# embedded PostgreSQL (pgserver) under the copy's .accelerator/pg unless DATABASE_URL is set.
REPO="$(cd ../.. && pwd)"
DEMO="$REPO/.accelerator/demo"
rm -rf "$DEMO"
mkdir -p "$DEMO"
cp -r "$PWD" "$DEMO/retail"
rm -rf "$DEMO/retail/generated"
cd "$DEMO/retail"

echo
echo "== accelerator chat --turns turns.txt   (3 turns; edits land in erd/ and policies/, output in generated/)"
"$ACC" chat --turns turns.txt

echo
echo "== the ERD now says:"
grep -n "customer_name" erd/retail.dbml

echo
echo "== a NEW process resumes the same session (same tree and inputs -> same thread) and remembers"
printf 'status\n' > later.txt
"$ACC" chat --turns later.txt

echo
echo "== accelerator sessions"
"$ACC" sessions
THREAD="$("$ACC" sessions --format json | "$REPO/.venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)[0]["thread_id"])')"

echo
echo "== accelerator memory show $THREAD"
"$ACC" memory show "$THREAD"
