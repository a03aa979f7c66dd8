#!/bin/sh
# Sets up Temporal for Troupe the way operators do, idempotently, so it can run on every deploy:
#
#   setup.sh schema      create the databases, then setup-schema + update-schema for persistence and
#                        visibility (temporal-sql-tool, PostgreSQL 12+); needs no running server
#   setup.sh namespace   wait for the frontend, create (or update) the namespace with its retention and
#                        register Troupe's search attributes through the operator API (temporal CLI)
#   setup.sh all         both, in that order (the server must come up in between, e.g. in the background)
#
# The same script runs in `npm run cluster`, in `npm run test:cluster` and in docker-compose's
# temporal-schema / temporal-namespace jobs (temporalio/admin-tools image, which ships both tools and the
# schema files), so what CI proves is what compose runs. Plain POSIX sh: the admin-tools image has no
# bash. Every setting comes from the environment:
#
#   SQL_TOOL            temporal-sql-tool binary            (default: temporal-sql-tool)
#   SCHEMA_DIR          folder holding postgresql/v12/...   (default: /etc/temporal/schema, admin-tools)
#   POSTGRES_SEEDS      PostgreSQL host                     (default: 127.0.0.1)
#   DB_PORT             PostgreSQL port                     (default: 5432)
#   POSTGRES_USER / POSTGRES_PWD                            (default: temporal / empty)
#   DBNAME / VISIBILITY_DBNAME                              (default: temporal / temporal_visibility)
#   TEMPORAL_CLI        temporal CLI binary                 (default: temporal)
#   TEMPORAL_ADDRESS    the frontend, host:port             (default: 127.0.0.1:7233)
#   TEMPORAL_NAMESPACE  (default: default)    TEMPORAL_NAMESPACE_RETENTION (default: 72h)
#   TROUPE_SEARCH_ATTRIBUTES  space-separated Name=Type; the default is clients/temporal.ts's
#                       SEARCH_ATTRIBUTES (test/deploy/setup-script.test.ts keeps them equal)
set -eu

SQL_TOOL=${SQL_TOOL:-temporal-sql-tool}
SCHEMA_DIR=${SCHEMA_DIR:-/etc/temporal/schema}
POSTGRES_SEEDS=${POSTGRES_SEEDS:-127.0.0.1}
DB_PORT=${DB_PORT:-5432}
POSTGRES_USER=${POSTGRES_USER:-temporal}
POSTGRES_PWD=${POSTGRES_PWD:-}
DBNAME=${DBNAME:-temporal}
VISIBILITY_DBNAME=${VISIBILITY_DBNAME:-temporal_visibility}
TEMPORAL_CLI=${TEMPORAL_CLI:-temporal}
TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS:-127.0.0.1:7233}
TEMPORAL_NAMESPACE=${TEMPORAL_NAMESPACE:-default}
TEMPORAL_NAMESPACE_RETENTION=${TEMPORAL_NAMESPACE_RETENTION:-72h}
TROUPE_SEARCH_ATTRIBUTES=${TROUPE_SEARCH_ATTRIBUTES:-LeadStatus=Keyword BookingStatus=Keyword PaymentStatus=Keyword LeadImportStatus=Keyword}

say() { echo "[temporal-setup] $*"; }

sql_tool() {
  sql_db=$1
  shift
  "$SQL_TOOL" --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" \
    ${POSTGRES_PWD:+--pw "$POSTGRES_PWD"} --db "$sql_db" "$@"
}

# create-database may fail on a database that exists (the MySQL plugin does; PostgreSQL's passes); that,
# and only that, is fine on a re-run.
create_database() {
  if out=$(sql_tool "$1" create-database 2>&1); then
    say "database $1 is there"
  elif printf '%s' "$out" | grep -q 'already exists'; then
    say "database $1 exists"
  else
    echo "$out" >&2
    return 1
  fi
}

# setup-schema -v 0.0 only creates the version tables (a no-op once they exist); update-schema then
# applies every versioned step above the recorded version, so both are safe to repeat.
migrate() {
  db=$1
  dir=$2
  [ -d "$SCHEMA_DIR/$dir/versioned" ] || {
    echo "no schema at $SCHEMA_DIR/$dir/versioned (set SCHEMA_DIR)" >&2
    return 1
  }
  quietly sql_tool "$db" setup-schema -v 0.0
  quietly sql_tool "$db" update-schema -d "$SCHEMA_DIR/$dir/versioned"
  say "schema of $db is up to date ($dir)"
}

# The SQL tool logs every statement; show its output only when it fails.
quietly() {
  out=$("$@" 2>&1) || {
    echo "$out" >&2
    return 1
  }
}

schema() {
  create_database "$DBNAME"
  create_database "$VISIBILITY_DBNAME"
  migrate "$DBNAME" postgresql/v12/temporal
  migrate "$VISIBILITY_DBNAME" postgresql/v12/visibility
}

cli() { "$TEMPORAL_CLI" --address "$TEMPORAL_ADDRESS" "$@"; }

wait_for_frontend() {
  for _ in $(seq 1 90); do
    if cli operator cluster health >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "Temporal frontend at $TEMPORAL_ADDRESS did not become healthy in 90 s" >&2
  return 1
}

namespace() {
  wait_for_frontend
  if cli operator namespace describe --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
    cli operator namespace update --namespace "$TEMPORAL_NAMESPACE" --retention "$TEMPORAL_NAMESPACE_RETENTION" >/dev/null
    say "namespace $TEMPORAL_NAMESPACE exists; retention set to $TEMPORAL_NAMESPACE_RETENTION"
  else
    cli operator namespace create --namespace "$TEMPORAL_NAMESPACE" --retention "$TEMPORAL_NAMESPACE_RETENTION" >/dev/null
    say "created namespace $TEMPORAL_NAMESPACE (retention $TEMPORAL_NAMESPACE_RETENTION)"
  fi
  # A namespace just created takes a moment to reach every frontend's cache; retry the listing.
  existing=''
  for _ in $(seq 1 30); do
    if existing=$(cli operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" 2>/dev/null); then break; fi
    sleep 1
  done
  for pair in $TROUPE_SEARCH_ATTRIBUTES; do
    name=${pair%%=*}
    type=${pair#*=}
    if printf '%s' "$existing" | grep -qw "$name"; then
      say "search attribute $name exists"
    else
      cli operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" --name "$name" --type "$type" >/dev/null
      say "registered search attribute $name ($type)"
    fi
  done
}

case "${1:-all}" in
  schema) schema ;;
  namespace) namespace ;;
  all) schema && namespace ;;
  *)
    echo "usage: setup.sh schema|namespace|all" >&2
    exit 2
    ;;
esac
