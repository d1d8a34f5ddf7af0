#!/bin/sh
# First start on an empty volume: mariadb-install-db as natively (root and mysql by socket
# only, no test database), then MYSQL_DATABASE, MYSQL_USER@'%' with MYSQL_PASSWORD (MariaDB's
# default mysql_native_password) and /docker-entrypoint-initdb.d/*.sql, on a server without
# networking: a TCP healthcheck turns healthy only once this is done.
set -eu
cnf=/etc/mysql/bench.cnf
if [ "${1:-}" = mariadbd ] || [ "${1:-}" = mysqld ]; then
    shift
    set -- mariadbd --defaults-file="$cnf" "$@"
elif [ "${1#-}" != "$1" ]; then
    set -- mariadbd --defaults-file="$cnf" "$@"
else
    exec "$@"
fi

if [ ! -d /var/lib/mysql/mysql ]; then
    : "${MYSQL_USER:?}" "${MYSQL_PASSWORD:?}" "${MYSQL_DATABASE:?}"
    echo "docker-entrypoint: initialising /var/lib/mysql"
    mariadb-install-db --defaults-file="$cnf" --user=mysql --skip-test-db \
        --auth-root-authentication-method=socket >/dev/null
    sock=/run/mysqld/init.sock
    "$@" --skip-networking --socket="$sock" &
    pid=$!
    i=0
    until mariadb-admin --socket="$sock" -u mysql ping >/dev/null 2>&1; do
        i=$((i + 1))
        if [ "$i" -gt 120 ] || ! kill -0 "$pid" 2>/dev/null; then
            echo "docker-entrypoint: the init server did not start" >&2
            exit 1
        fi
        sleep 0.5
    done
    mariadb --socket="$sock" -u mysql <<SQL
CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'%' IDENTIFIED BY '$MYSQL_PASSWORD';
GRANT ALL PRIVILEGES ON \`$MYSQL_DATABASE\`.* TO '$MYSQL_USER'@'%';
SQL
    for f in /docker-entrypoint-initdb.d/*.sql; do
        [ -e "$f" ] || continue
        echo "docker-entrypoint: applying $f to $MYSQL_DATABASE"
        mariadb --socket="$sock" -u mysql "$MYSQL_DATABASE" < "$f"
    done
    mariadb-admin --socket="$sock" -u mysql shutdown
    wait "$pid" || true
    echo "docker-entrypoint: initialised"
fi
exec "$@"
