#!/usr/bin/env bash
# Start Debian's PostgreSQL cluster (if installed) and give the tests a throwaway database.
#
# Installs nothing. On success prints one line for the caller to eval:
#   export FLEETPLAN_TEST_POSTGRES_URL=postgresql+psycopg://fleetplan_test:...@127.0.0.1:PORT/fleetplan_test
# Without a PostgreSQL installation it prints nothing to stdout (the tests then skip PostgreSQL with
# a visible reason) and exits 0. Diagnostics go to stderr so `eval "$(scripts/ci-postgres.sh)"` is safe.
set -euo pipefail

role=fleetplan_test
database=fleetplan_test

say() { echo "ci-postgres: $*" >&2; }

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  say "PostgreSQL (postgresql-common) is not installed; PostgreSQL tests will be skipped"
  exit 0
fi

# The newest installed cluster: "version name port status owner datadir logfile".
read -r version cluster port status _ < <(pg_lsclusters --no-header | sort -k1,1V | tail -n 1) || true
if [[ -z "${version:-}" ]]; then
  say "no PostgreSQL cluster found (pg_lsclusters is empty); PostgreSQL tests will be skipped"
  exit 0
fi

if [[ "$status" != online* ]]; then
  say "starting cluster $version/$cluster on port $port"
  pg_ctlcluster "$version" "$cluster" start >&2
fi

# Run SQL as the postgres superuser over the local socket (peer authentication).
as_postgres() {
  if [[ "$(id -un)" == postgres ]]; then
    "$@"
  elif [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    sudo -n -u postgres -- "$@"
  fi
}
psql_admin() { as_postgres psql --quiet --no-psqlrc --tuples-only --no-align -v ON_ERROR_STOP=1 -p "$port" "$@"; }

for _ in $(seq 1 30); do  # bounded wait for the server to accept connections
  if as_postgres pg_isready --quiet -p "$port"; then break; fi
  sleep 1
done
as_postgres pg_isready --quiet -p "$port" || { say "server on port $port does not answer"; exit 1; }

# A random password, made once and kept (readable by postgres only) so that running this script
# again does not invalidate URLs already handed out. A throwaway test role, never a real account.
password_file="$(getent passwd postgres | cut -d: -f6)/.fleetplan_test_password"
if ! as_postgres test -s "$password_file"; then
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' | as_postgres sh -c "umask 077 && cat > '$password_file'"
fi
password="$(as_postgres cat "$password_file")"

if [[ "$(psql_admin -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" != 1 ]]; then
  psql_admin -d postgres -c "CREATE ROLE $role LOGIN" >&2
fi
psql_admin -d postgres -c "ALTER ROLE $role WITH LOGIN PASSWORD '$password'" >&2
if [[ "$(psql_admin -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" != 1 ]]; then
  psql_admin -d postgres -c "CREATE DATABASE $database OWNER $role" >&2
fi

say "database $database ready on 127.0.0.1:$port"
echo "export FLEETPLAN_TEST_POSTGRES_URL=postgresql+psycopg://$role:$password@127.0.0.1:$port/$database"
