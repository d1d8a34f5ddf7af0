"""The one lifecycle of the services a command measures: build, gate (the contract suite), start
with the scenarios' hooks, warm up with the run's own tool, visit (measure one level) and stop.
`sweep`, `reproduce`, `calibrate` and the services of `chaos` all go through a Bench, so every
rule about how a service is started (and restarted), warmed up, measured or given up on is
written here once.

    with Bench(runtime, workdir, console) as bench:   # leaving it stops every service and
        bench.prepare(manifest, scenarios)             # runs the scenarios' clean-ups
        bench.warm_up(name, tool, load)
        level = bench.visit(name, tool, load, raw, round_)
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from .. import tools
from ..core.errors import GeneratorError, InfraError
from ..records.level import Level
from ..runtime import Handle, Runtime, generator
from ..scenarios import SCENARIOS, LevelContext
from ..servers.manifest import Manifest
from ..tools import Load
from .measure import measure_level

START_OVERHEAD_S = 3.0  # start + health check of a service (an estimate, for plans)
GATE_ESTIMATE_S = 15.0  # one contract-suite run per service, against a build just made
SETTLE_LIMIT_S = 60.0  # longest wait for a service to finish work abandoned by the last tool
SETTLE_IDLE = 0.10  # of its quota: the service is idle again


class NoProgress:
    """What a Bench reports its steps to when nobody shows them."""

    def step(self, text: str) -> None: ...
    def advance(self, seconds: float) -> None: ...


def _no_record(service: str, **fields) -> None: ...


@dataclass
class Bench:
    runtime: Runtime
    workdir: Path  # raw/ outputs go under it
    console: object | None = None  # rich Console; None: silent
    skip_gate: bool = False
    params: dict[str, int] = field(default_factory=dict)  # the scenarios' parameters (scenarios/)
    firmware_prefix: str = field(default_factory=lambda: f"wsb-{secrets.token_hex(4)}-")  # marks inserted rows
    record: Callable[..., None] = _no_record  # record(service, **fields): the run document's services
    progress: object = field(default_factory=NoProgress)  # step(text), advance(seconds)
    gated: dict[str, dict] = field(default_factory=dict)  # service -> gate result; shareable between benches
    handles: dict[str, Handle] = field(default_factory=dict)  # the running services
    mock_keys: dict[str, str] = field(default_factory=dict)  # each service's key on the mock
    failures: list[str] = field(default_factory=list)  # what could not be measured, and why
    _started: dict[str, Handle] = field(default_factory=dict)  # what to stop, measured or given up on
    _launch: dict[str, tuple] = field(default_factory=dict)  # how each was started: (manifest, port, env)

    def __enter__(self) -> Self:
        self._stack = ExitStack()
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()  # services stopped, scenario clean-ups run, in reverse order

    # --- the services ------------------------------------------------------------------------
    def hooks(self, mock_key: str = "none") -> LevelContext:
        return LevelContext(mock_key=mock_key, firmware_prefix=self.firmware_prefix, workdir=self.workdir,
                            params=self.params)

    def before_run(self, scenarios: Iterable[str]) -> dict:
        """Each scenario's once-per-run preparation (an empty devices table, say); its fields."""
        fields: dict = {}
        for name in scenarios:
            fields.update(SCENARIOS[name].before_run(self.hooks()))
        return fields

    def prepare(self, m: Manifest, scenarios: Iterable[str], gate: bool = True, port: int | None = None,
                env: dict[str, str] | None = None) -> bool:
        """Build, gate and start one service, with the hooks of `scenarios` around its life;
        on `port` and with `env` over its own settings when given (a fault run restarts it at
        the same address). False, reported and recorded, when it cannot be measured."""
        try:
            self._stack.enter_context(self.runtime.deployed(m))
            self.progress.step(f"{m.name}: build")
            self.runtime.build(m)
            if gate and not self._gate(m):
                return False
            self._start(m, list(scenarios), port, env)
            return True
        except (InfraError, GeneratorError) as e:
            self.fail(m.name, str(e))
            return False

    def _gate(self, m: Manifest) -> bool:
        """The contract suite against the build just made, once per service per command."""
        if m.name not in self.gated:
            self.progress.step(f"{m.name}: contract gate{' skipped' if self.skip_gate else ''}")
            self.gated[m.name] = self.runtime.gate(m, skip=self.skip_gate)
            self.progress.advance(0 if self.skip_gate else GATE_ESTIMATE_S)
        g = self.gated[m.name]
        self.record(m.name, gate=g)
        if g["status"] != "failed":
            return True
        self.fail(m.name, "contract suite failed: not measured", status="gate-failed",
                  detail=g.get("output_tail", "")[-800:])
        return False

    def _start(self, m: Manifest, scenarios: list[str], port: int | None, env: dict[str, str] | None) -> None:
        key = self.mock_keys[m.name] = self.runtime.mock_key(m)
        for name in scenarios:
            scenario, hooks = SCENARIOS[name], self.hooks(key)
            self._stack.callback(self._after_scenario, m.name, scenario, hooks)
            scenario.before_scenario(hooks)
        self.progress.step(f"{m.name}: start")
        self._launch[m.name] = (m, port, env)
        self._stack.callback(self._stop, m.name)
        self.handles[m.name] = self._started[m.name] = self.runtime.start(m, key, port=port, extra_env=env)

    def restart(self, service: str, env: dict[str, str] | None = None) -> Handle:
        """Stop the service, whatever state it is in, and start it again in a new box at the
        same address, with `env` over its own settings (the last ones when None)."""
        m, port, last_env = self._launch[service]
        env = last_env if env is None else env
        self._stop(service)
        self._launch[service] = (m, port, env)
        self.progress.step(f"{service}: restart")
        self.handles[service] = self._started[service] = self.runtime.start(
            m, self.mock_keys[service], port=port, extra_env=env)
        return self.handles[service]

    def _stop(self, service: str) -> None:
        handle = self._started.pop(service, None)
        if handle is not None:
            handle.stop()

    def _after_scenario(self, service: str, scenario, hooks: LevelContext) -> None:
        try:
            scenario.after_scenario(hooks)
        except Exception as e:  # noqa: BLE001 -- clean-up must not hide the measurement
            self._say(f"[yellow]{service} {scenario.name}: clean-up failed: {e}[/]")

    def fail(self, service: str, error: str, status: str = "failed", detail: str = "") -> None:
        """The service is reported and recorded as not measured, and measured no further."""
        self.failures.append(f"{service}: {error[-600:]}")
        self.record(service, status=status, error=error[-2000:])
        self._say(f"[red]{service}: {error[-600:]}[/]" + (f"\n{detail}" if detail else ""))
        self.handles.pop(service, None)

    def _say(self, text: str) -> None:
        if self.console is not None:
            self.console.print(text)

    # --- the measurements --------------------------------------------------------------------
    def warm_up(self, service: str, tool: str, load: Load, label: str) -> None:
        """One unrecorded run of the command's own tool: pools filled, code paths hot."""
        if service not in self.handles:
            return
        self.progress.step(f"{service} {label}: warm-up")
        load = dataclasses.replace(load, duration_s=max(load.duration_s, tools.get(tool).min_duration_s))
        raw = self.workdir / "raw" / f"{service}.{label}.warmup.{tool}.json"
        try:
            generator.run(tool, load, self.handles[service].base_url, raw,
                          self.runtime.placement.generator_cpus, self.workdir)
        except GeneratorError as e:
            self.fail(service, f"{label} warm-up: {e}")

    def visit(self, service: str, tool: str, load: Load, raw: Path, round_: int = 1,
              ceiling_rps: float | None = None, settle: bool = False, block: int | None = None) -> Level | None:
        """One level of a running service, the others idle beside it (their CPU recorded).
        None when it could not be measured; a level whose service died is returned, and the
        service is given up on. `settle`: wait until the service is idle again afterwards (a
        tool stopped at its time bound leaves requests the service still computes)."""
        handle = self.handles[service]
        idle = {name: h for name, h in self.handles.items() if name != service}
        try:
            level = measure_level(self.runtime, handle, service, tool, load, raw, self.workdir,
                                  self.hooks(self.mock_keys[service]), round_=round_, block=block,
                                  ceiling_rps=ceiling_rps, idle=idle)
        except (InfraError, GeneratorError) as e:
            self.fail(service, f"{load.scenario.name} at {load.users} users: {e}")
            return None
        if not level.service_alive:
            self.fail(service, f"{load.scenario.name}: service died at {load.users} users; see {handle.log}")
        elif settle:
            settle_idle(handle)
        return level


def settle_idle(handle: Handle, limit_s: float = SETTLE_LIMIT_S) -> None:
    """Wait until the service uses less than SETTLE_IDLE of its quota, at most limit_s."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        c0, t0 = handle.cpu(), time.monotonic()
        time.sleep(0.5)
        figures = handle.cpu_figures(c0, handle.cpu(), time.monotonic() - t0)
        if (figures.percent_of_quota or 0) < 100 * SETTLE_IDLE:
            return
