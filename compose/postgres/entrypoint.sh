#!/bin/sh
# First start on an empty volume: initdb as db/infra.toml's native cluster is made (superuser
# postgres, scram-sha-256, UTF8, C.UTF-8), the application role and database
# (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB), then /docker-entrypoint-initdb.d/*.sql as that
# role, on a socket-only server: a TCP healthcheck turns healthy only once this is done.
set -eu
if [ "${1:-}" = postgres ]; then
    shift
    set -- postgres -D "$PGDATA" "$@"
elif [ "${1#-}" != "$1" ]; then
    set -- postgres -D "$PGDATA" "$@"
else
    exec "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_USER:?}" "${POSTGRES_PASSWORD:?}"
    db=${POSTGRES_DB:-$POSTGRES_USER}
    echo "docker-entrypoint: initialising $PGDATA"
    initdb -D "$PGDATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >/dev/null
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -w -t 60 -o "-c listen_addresses='' -c unix_socket_directories=/tmp" start >/dev/null
    psql -v ON_ERROR_STOP=1 -q -h /tmp -U postgres -d postgres \
        -v user="$POSTGRES_USER" -v password="$POSTGRES_PASSWORD" -v db="$db" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"user";
SQL
    for f in /docker-entrypoint-initdb.d/*.sql; do
        [ -e "$f" ] || continue
        echo "docker-entrypoint: applying $f as $POSTGRES_USER"
        # As the application role, so it owns what the schema creates (as natively).
        psql -v ON_ERROR_STOP=1 -q -h /tmp -U postgres -d "$db" \
            -c "SET ROLE \"$POSTGRES_USER\"" -f "$f"
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    echo "docker-entrypoint: initialised"
fi
exec "$@" -c listen_addresses='*'
