#!/usr/bin/env bash
# A private Docker engine for CI and development, everything under .bench/docker (git-ignored):
#
#   compose/engine.sh start   # installs Debian's docker.io if dockerd is missing, starts dockerd
#   compose/engine.sh stop    # stops it (pidfile), removes its bridge and iptables chains
#   compose/engine.sh env     # prints the exports that point docker and compose at it
#
# data root .bench/docker/data, exec root .bench/docker/exec (containerd's state too), socket
# unix://.bench/docker/docker.sock, pidfile .bench/docker/dockerd.pid, log .bench/docker/dockerd.log.
# It never touches /var/run/docker.sock or /var/lib/docker, so a system engine, if any, is left
# alone. Needs root (as CI runs), like any dockerd.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/.bench/docker
sock=$dir/docker.sock
pidfile=$dir/dockerd.pid
# The engine's default bridge: a name of our own, so a system engine's docker0 is never touched.
bridge=wsb-docker0

print_env() {
    echo "export DOCKER_HOST=unix://$sock"
    # The CLI's config and plugins (compose, installed by compose/install-tools.sh) in .bench too.
    echo "export DOCKER_CONFIG=$root/.bench/tools/docker"
}

running() {
    [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

start() {
    if running; then
        echo "dockerd already running (pid $(cat "$pidfile"))"
        return
    fi
    if ! command -v dockerd >/dev/null || ! command -v containerd >/dev/null; then
        echo "installing Debian's docker.io (dockerd, containerd, runc)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get -o Acquire::Retries=5 update -qq
        # policy-rc.d or no systemd: the package's own service does not start; ours does below.
        apt-get -o Acquire::Retries=5 install -y -qq --no-install-recommends docker.io iptables >/dev/null
    fi
    mkdir -p "$dir/data" "$dir/exec"
    # What dockerd and its containerd create outside .bench whatever their flags: a trust key
    # (Engine 20.10), the plugin directory, containerd's shim sockets and opt directory; and the
    # FORWARD policy it sets to DROP. Noted when absent now, removed or restored at stop.
    local path
    for path in /etc/docker/key.json /run/docker /run/containerd /opt/containerd; do
        [[ -e $path ]] || grep -qxF "$path" "$dir/created-outside" 2>/dev/null ||
            echo "$path" >>"$dir/created-outside"
    done
    if command -v iptables >/dev/null && ! iptables -S DOCKER >/dev/null 2>&1; then
        iptables -S FORWARD 2>/dev/null | awk '$1 == "-P" {print $3}' >"$dir/forward-policy" || true
    fi
    if ! ip link show "$bridge" >/dev/null 2>&1; then
        ip link add "$bridge" type bridge
        ip addr add 172.31.250.1/24 dev "$bridge"
        ip link set "$bridge" up
    fi
    # --bridge: our own bridge (above) for the default network, which the classic builder's RUN
    # steps use; compose's project networks are created and removed by compose itself.
    nohup dockerd \
        --data-root "$dir/data" --exec-root "$dir/exec" -H "unix://$sock" --pidfile "$pidfile" \
        --storage-driver overlay2 --bridge "$bridge" --log-level warn \
        >"$dir/dockerd.log" 2>&1 </dev/null 9>&- &
    local i
    for i in $(seq 1 60); do  # up to 30 s
        if [[ -S $sock ]] && DOCKER_HOST=unix://$sock docker version >/dev/null 2>&1; then
            echo "dockerd up (pid $(cat "$pidfile")), DOCKER_HOST=unix://$sock"
            return
        fi
        sleep 0.5
    done
    echo "dockerd did not answer within 30 s; last lines of $dir/dockerd.log:" >&2
    tail -20 "$dir/dockerd.log" >&2
    stop
    exit 1
}

stop() {
    if running; then
        local pid i
        pid=$(cat "$pidfile")
        # Containers and project networks first: a network's host bridge (br-*) outlives dockerd.
        # Images and build cache stay in the data root, the next run's cache.
        export DOCKER_HOST=unix://$sock
        docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1 || true
        docker network prune -f >/dev/null 2>&1 || true
        kill -TERM "$pid"
        for i in $(seq 1 60); do  # up to 30 s, then SIGKILL
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "dockerd (pid $pid) still running after 30 s: SIGKILL" >&2
            kill -KILL "$pid" || true
        fi
        echo "dockerd stopped"
    fi
    rm -f "$pidfile"
    if [[ -f $dir/created-outside ]]; then
        while read -r path; do
            case $path in
                /etc/docker/key.json | /run/docker | /run/containerd | /opt/containerd) rm -rf "$path" ;;
            esac
        done <"$dir/created-outside"
        rm -f "$dir/created-outside"
    fi
    # What dockerd leaves outside .bench: its bridge and its iptables chains.
    if ip link show "$bridge" >/dev/null 2>&1; then
        ip link delete "$bridge" 2>/dev/null || true
    fi
    clean_iptables
    true
}

clean_iptables() {
    command -v iptables >/dev/null || return 0
    # Only when no other engine runs here: a system dockerd keeps its chains and jumps.
    [[ -S /var/run/docker.sock ]] && return 0
    local table chain rule
    # The rules dockerd added to the built-in chains (its jumps, its bridge's), then its chains.
    for table in nat filter; do
        { iptables -t "$table" -S 2>/dev/null || true; } |
            { grep -E "^-A (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) .*(DOCKER|$bridge)" || true; } |
            sed 's/^-A/-D/' |
            while read -r rule; do
                # shellcheck disable=SC2086
                iptables -t "$table" $rule 2>/dev/null || true
            done
        for chain in DOCKER DOCKER-USER DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2; do
            iptables -t "$table" -F "$chain" 2>/dev/null || true
        done
        for chain in DOCKER DOCKER-USER DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2; do
            iptables -t "$table" -X "$chain" 2>/dev/null || true
        done
    done
    if [[ -s $dir/forward-policy ]]; then
        iptables -P FORWARD "$(cat "$dir/forward-policy")" 2>/dev/null || true
        rm -f "$dir/forward-policy"
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    env) print_env ;;
    *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
