#!/bin/sh
# Entry point of the gateway image. It turns the database password file into a libpq
# password file, so the password reaches PostgreSQL without ever being in an environment
# variable or in GATEWAY_DATABASE_URL (which then names user, host and database only).
#
# DATABASE_PASSWORD_FILE: path of the mounted secret (one line, the password). Unset:
# nothing is done. PGPASSFILE is written under TMPDIR (a tmpfs / emptyDir in the
# deployments), mode 0600 as libpq requires, with ':' and '\' escaped as .pgpass needs.
set -eu

if [ -n "${DATABASE_PASSWORD_FILE:-}" ]; then
    if [ ! -r "$DATABASE_PASSWORD_FILE" ]; then
        echo "gateway-entrypoint: cannot read DATABASE_PASSWORD_FILE ($DATABASE_PASSWORD_FILE)" >&2
        exit 2
    fi
    umask 077
    passfile="${TMPDIR:-/tmp}/gateway.pgpass"
    escaped=$(tr -d '\r\n' < "$DATABASE_PASSWORD_FILE" | sed -e 's/\\/\\\\/g' -e 's/:/\\:/g')
    printf '*:*:*:*:%s\n' "$escaped" > "$passfile"
    unset escaped
    PGPASSFILE="$passfile"
    export PGPASSFILE
fi

exec "$@"
