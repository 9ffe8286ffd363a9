#!/usr/bin/env bash
# Start a throw-away PostgreSQL server from Debian's package on a loopback port and
# export GATEWAY_TEST_POSTGRES_URL for the tests that run the same code path on it.
# Sourced by .ci/run; usable by hand: `source scripts/ci-postgres.sh && start_postgres`.

PG_PORT="${PG_PORT:-55432}"
PG_DIR="${PG_DIR:-/tmp/gateway-ci-pg}"

_pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

start_postgres() {
  local bin
  if ! bin="$(_pg_bin)"; then
    echo "ci-postgres: installing Debian's postgresql package" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    bin="$(_pg_bin)"
  fi
  local runas=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$PG_DIR" postgres
    runas=(runuser -u postgres --)
  fi
  rm -rf "$PG_DIR"
  mkdir -p "$PG_DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
  "${runas[@]}" "$bin/initdb" -D "$PG_DIR/data" -U gateway --auth=trust >/dev/null
  "${runas[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null
  "${runas[@]}" "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U gateway gateway_test
  export GATEWAY_TEST_POSTGRES_URL="postgresql+psycopg://gateway@127.0.0.1:${PG_PORT}/gateway_test"
  # The directory is fixed into the trap: PG_DIR may have been set for this call only.
  trap "PG_DIR='$PG_DIR' stop_postgres" EXIT
  echo "ci-postgres: PostgreSQL on 127.0.0.1:${PG_PORT}" >&2
}

stop_postgres() {
  local bin
  bin="$(_pg_bin)" || return 0
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
  else
    "$bin/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
  fi
}
