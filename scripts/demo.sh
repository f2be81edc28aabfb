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

# -- schema evolution: a second version of the ERD becomes a migration, its drop flagged ----------
REPO="$(cd ../.. && pwd)"
EVOLVE="$REPO/.accelerator/evolution"
rm -rf "$EVOLVE"
mkdir -p "$EVOLVE"
cp -r "$PWD" "$EVOLVE/retail"
rm -rf "$EVOLVE/retail/generated"
(
  cd "$EVOLVE/retail"
  "$ACC" generate --no-terraform > /dev/null || [ $? -eq 1 ]
  echo
  echo "== version 2 of the ERD: orders gains channel and loses ip_address"
  sed -i "s/^  ip_address varchar(45).*/  channel varchar(20) [note: 'web, store or phone']/" erd/retail.dbml
  echo
  echo "== accelerator plan --env prod   (exit 1: a destructive change is pending)"
  status=0
  "$ACC" plan --env prod || status=$?
  [ "$status" -eq 1 ]
  echo
  echo "== accelerator generate: the delta only, as the next migration"
  "$ACC" generate --no-terraform > /dev/null || [ $? -eq 1 ]
  ls generated/sql/prod
  cat generated/sql/prod/V0002__*.sql
  echo
  echo "== accelerator check   (exit 1: the drop is gated until someone approves it)"
  "$ACC" check | grep -m1 "migrations.destructive" || true
  echo
  echo "== accelerator allow DS103 on retail.sales.orders.ip_address --by demo"
  "$ACC" allow DS103 on retail.sales.orders.ip_address --by demo
  "$ACC" check > /dev/null
  echo "accelerator check: exit 0 (the migrations match migrations.sum, the drop is approved)"
)

# -- merge: what accelerator-apply.yml does on push to main, against the sandbox's Databricks -------
# `accelerator sandbox` serves a Databricks workspace beside its GitHub (same port). Uses the evolved
# copy of the schema-evolution step ($EVOLVE/retail: V0001 + V0002, generated with --no-terraform,
# so the SQL creates the catalog and schemas).
MERGE="$REPO/.accelerator/merge"
rm -rf "$MERGE"
mkdir -p "$MERGE"
"$ACC" sandbox --port 0 --state "$MERGE/state" > "$MERGE/sandbox.log" 2>&1 &
SANDBOX_PID=$!
trap 'kill "$SANDBOX_PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q '^sandbox: ' "$MERGE/sandbox.log" && break; sleep 0.1; done
URL="$(sed -n 's#^sandbox: \(https\{0,1\}://[^/]*\).*#\1#p' "$MERGE/sandbox.log")"
export DATABRICKS_HOST="$URL" DATABRICKS_TOKEN=ci DATABRICKS_WAREHOUSE_ID=sandbox \
  DATABRICKS_CONFIG_FILE="$MERGE/no-databrickscfg"
"$REPO/.venv/bin/python" - "$URL" <<'PY'
import sys, httpx
url, auth = sys.argv[1], {"Authorization": "Bearer ci"}
httpx.post(f"{url}/sandbox/databricks/admins", json={"user": "ci"}, headers=auth).raise_for_status()
httpx.put(f"{url}/sandbox/databricks/groups/data_platform", json={"members": ["ci"]}, headers=auth).raise_for_status()
PY
(
  cd "$EVOLVE/retail"
  echo
  echo "== merge: accelerator apply --env dev   (Terraform's part skipped: the sandbox has no Terraform)"
  "$ACC" apply --env dev --no-terraform | grep -v '^  '
  echo
  echo "== accelerator history --env dev   (dev_retail._accelerator.schema_history)"
  "$ACC" history --env dev
  echo
  echo "== accelerator apply --env dev again: nothing to do"
  "$ACC" apply --env dev --no-terraform | tail -1
  echo
  echo "== accelerator drift --env dev"
  "$ACC" drift --env dev
)
kill "$SANDBOX_PID"
wait "$SANDBOX_PID" 2>/dev/null || true

# -- the conversation: a scripted session, then a new process that remembers it ------------------
# It runs on a scratch copy, so the example in the repository is never modified; the memory is the
# embedded PostgreSQL (pgserver) under the copy's .accelerator/pg unless DATABASE_URL is set.
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

# -- the PR bot: a pull request conversation on accelerator sandbox, in one process ------------------
# The sandbox's webhooks reach the bot's intake and workers (what `accelerator serve` runs); the
# memory is the same embedded database as the chat above (or DATABASE_URL), in a schema of its own.
echo
"$REPO/.venv/bin/python" "$REPO/scripts/demo_pr.py" --example "$REPO/examples/retail"
