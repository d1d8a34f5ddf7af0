"""`infra`, `up`, `down`, `build`, `check`: the servers, one service by hand, and the services'
own builds and tests."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading

from ..core.config import run_dir, service_env, settings
from ..core.errors import ENVIRONMENT, FINDING, OK
from ..core.help import Formatter
from ..runtime import service
from ..servers import infra, manifest, procs
from . import options

HELP = Formatter


def register(sub: argparse._SubParsersAction) -> None:
    i = sub.add_parser("infra", formatter_class=HELP,
                       help="start/stop PostgreSQL, MariaDB, memcached and the external mock")
    i.add_argument("action", choices=["up", "down", "status", "env"],
                   help="env prints the contract's environment for a service")
    i.add_argument("service", nargs="?", help="with env: the service whose environment to print")
    i.set_defaults(func=cmd_infra)

    u = sub.add_parser("up", formatter_class=HELP,
                       help="start the servers and one service (foreground unless --detach)")
    u.add_argument("service", help="a folder of services/ with a service.toml")
    u.add_argument("--detach", action="store_true", help="return once healthy; print the base URL")
    u.add_argument("--port", type=int, default=0, help="port to bind (0: a free one)")
    u.add_argument("--host", default=settings()["service"]["host"], help="address to bind")
    u.set_defaults(func=cmd_up)

    b = sub.add_parser("build", formatter_class=HELP, help="build services from their manifests (default: all)")
    b.add_argument("services", nargs="*", action=options.ListAction, help="services to build (default: all, and the mock)")
    b.set_defaults(func=cmd_build)

    c = sub.add_parser("check", formatter_class=HELP, help="run services' own unit tests and linters (default: all)")
    c.add_argument("services", nargs="*", action=options.ListAction, help="services to check (default: all, and the mock)")
    c.set_defaults(func=cmd_check)

    d = sub.add_parser("down", formatter_class=HELP, help="stop detached services and every server")
    d.set_defaults(func=cmd_down)


def cmd_infra(args: argparse.Namespace) -> int:
    if args.action == "up":
        infra.up()
    elif args.action == "down":
        infra.down()
        return 0
    elif args.action == "env":
        for key, value in service_env(args.service or "default").items():
            print(f"{key}={value}")
        return 0
    states = infra.status()
    for s in states:
        print(f"{s.name:<14} {'running' if s.running else 'stopped':<8} {s.address}")
    return OK if all(s.running for s in states) else FINDING


def cmd_up(args: argparse.Namespace) -> int:
    m = manifest.load(args.service)
    infra.up()
    service.build(m)
    running = service.start(m, port=args.port or settings()["service"]["port"], host=args.host)
    print(f"{m.name} is up: {running.base_url}  (pid {running.pid}, log {running.log})", flush=True)
    if args.detach:
        (run_dir() / f"{m.name}.pid").write_text(str(running.pid))
        print(running.base_url)
        return 0
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print("Ctrl-C stops the service and the servers.", flush=True)
    while not stop.wait(0.5):
        if not running.alive():
            print(f"{m.name} exited; see {running.log}", file=sys.stderr)
            break
    running.stop()
    infra.down()
    return OK if stop.is_set() else ENVIRONMENT  # the service died: nothing to conclude


def cmd_down(args: argparse.Namespace) -> int:
    for m in manifest.load_all():
        pidfile = run_dir() / f"{m.name}.pid"
        pid = procs.read_pid(pidfile)
        if pid:
            procs.stop_pid(pid)
        pidfile.unlink(missing_ok=True)
    infra.down()
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    for m in _chosen(args.services):
        print(f"build {m.name}", flush=True)
        service.build(m)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Run each service's own tests and linters (the manifest's `test` command)."""
    failed = []
    for m in _chosen(args.services):
        argv = m.test_argv()
        if not argv:
            continue
        print(f"== {m.name}: {m.test}", flush=True)
        if subprocess.run(argv, cwd=m.cwd, check=False).returncode != 0:
            failed.append(m.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return FINDING if failed else OK


def _chosen(names: list[str]) -> list[manifest.Manifest]:
    return [manifest.load(n) for n in names] if names else manifest.load_all(include_mock=True)
