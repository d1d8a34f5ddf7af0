"""What a sweep will do, from the command line: services, scenarios, levels, durations.

Kept apart from running it so that the plan (and its expected duration) can be printed and
tested without a single request."""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass, field

from .. import tools
from ..core.errors import UsageError
from ..scenarios import QUICK as QUICK_SCENARIOS
from ..scenarios import SCENARIOS
from ..servers import manifest, variants
from . import calibrate, headline
from .bench import GATE_ESTIMATE_S, START_OVERHEAD_S

OPEN_LOOP_FRACTIONS = (0.25, 0.50, 0.75, 0.90)
# Estimates of the time around the measurements, from the sweeps on this project's machines
# (docs/results/2026-12-01-reduced-*: gates of 6 to 11 s, 7.33 s between the starts of 7 s
# levels); the gate's and a start's are bench.py's.
LEVEL_OVERHEAD_S = 0.35  # probes, hooks and the results file around each level
# The reference protocol, in two parts on two cores within 70 minutes: the headline part (README's
# comparisons in blocks at one plateau level, 13 rounds, each scenario in its share of them:
# the figures to quote, about 40 minutes) and the curve (every service and scenario at 10, 50
# and 100 users, 2 interleaved rounds: the shape and the latencies). --quick is a first look of
# a few minutes, with no headline part.
DEFAULTS = {"levels": "10,50,100", "duration": "6s", "warmup": "3s", "pause": "1s", "rounds": 2,
            "headline_rounds": 13}
QUICK = {"scenarios": list(QUICK_SCENARIOS), "levels": "10,50,100", "duration": "2s",
         "warmup": "1s", "pause": "0.5s", "rounds": 2, "headline_rounds": 0}


def parse_duration(text: str) -> float:
    """'10s', '1.5s', '500ms', '2m', or a bare number of seconds."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(ms|s|m)?\s*", str(text))
    if not m:
        raise UsageError(f"bad duration {text!r}: use e.g. 10s, 500ms, 2m")
    value, unit = float(m.group(1)), m.group(2) or "s"
    return value * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]


def parse_levels(text: str) -> list[int]:
    """'10:100:10' (start:stop:step, inclusive) or '10,50,100'."""
    try:
        if ":" in text:
            start, stop, step = (int(x) for x in text.split(":"))
            if step <= 0:
                raise ValueError
            levels = list(range(start, stop + 1, step))
        else:
            levels = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"bad levels {text!r}: use start:stop:step (10:100:10) or a list (10,50)") from None
    if not levels or min(levels) < 1:
        raise UsageError(f"bad levels {text!r}: at least one level, each >= 1 user")
    return levels


@dataclass
class SweepPlan:
    services: list[str]
    scenarios: list[str]
    levels: list[int]
    duration_s: float
    warmup_s: float
    pause_s: float
    tool: str = tools.DEFAULT_CLOSED_LOOP
    open_loop: bool = False
    keepalive: bool = True
    params: dict[str, int] = field(default_factory=dict)  # the scenarios' parameters (scenarios/)
    skip_gate: bool = False
    quick: bool = False
    runtime: str = "native"  # or "compose": see loadtest/runtime/
    tool_basis: str = "given"  # why this closed-loop tool: given, calibration, or default
    rounds: int = 1  # each round of the curve visits every cell once, in a seeded random order
    curve: bool = True  # False: the headline part alone (--headline)
    headline_rounds: int = 0  # rounds of the headline part (headline.toml's blocks); 0: none
    headline_users: int = headline.load().users
    seed: int = 0  # of that order; recorded so the order can be replayed
    open_loop_fractions: list[float] = field(default_factory=lambda: list(OPEN_LOOP_FRACTIONS))

    def tools(self) -> list[str]:
        """Every tool the sweep runs: the closed loop's, and the open loop's if asked."""
        names = {self.tool, tools.open_loop_tool().name} if self.open_loop else {self.tool}
        return sorted(names)

    def tool_spec(self) -> tools.Tool:
        return tools.get(self.tool)

    def steps_per_scenario(self) -> int:
        return len(self.levels) + (len(self.open_loop_fractions) if self.open_loop else 0)

    def level_seconds(self) -> float:
        return self.duration_s + self.pause_s + LEVEL_OVERHEAD_S

    def cells_per_round(self) -> int:
        """Visits of one round of the curve (0 without it)."""
        return len(self.services) * len(self.scenarios) * self.steps_per_scenario() if self.curve else 0

    def headline(self) -> headline.Headline:
        """The headline comparisons this run can make: both services and the scenario measured."""
        return headline.load().within(self.services, self.scenarios)

    def headline_visits(self) -> int:
        return self.headline().visits(self.headline_rounds)

    def headline_blocks(self) -> dict[str, int]:
        """{scenario: its blocks in the headline part}."""
        h = self.headline()
        return {scenario: h.blocks(scenario, self.headline_rounds) for scenario in h.groups()}

    def probe(self) -> headline.Probe | None:
        """The pre-flight noise probe, run before a headline part (headline.toml's [probe])."""
        return self.headline().probe if self.headline_visits() else None

    def probe_seconds(self) -> float:
        p = self.probe()
        return p.levels * self.level_seconds() if p else 0.0

    def expected_seconds(self) -> float:
        """Gate and start of every service, a warm-up per service and scenario, then every
        round's cells."""
        per_service = START_OVERHEAD_S + (0.0 if self.skip_gate else GATE_ESTIMATE_S)
        warmups = len(self.scenarios) * (self.warmup_s + LEVEL_OVERHEAD_S if self.warmup_s > 0 else 0.0)
        return (len(self.services) * (per_service + warmups) + self.probe_seconds()
                + (self.rounds * self.cells_per_round() + self.headline_visits()) * self.level_seconds())

    def as_dict(self) -> dict:
        return asdict(self)


def from_args(args) -> SweepPlan:
    """Turn the sweep's argparse namespace into a plan; unknown names raise UsageError."""
    known = [m.name for m in manifest.load_all()]
    services = variants.expand(args.services) or known
    for name in services:
        manifest.load(name)  # ManifestError with the list of known services
        if variants.split(name)[1] and args.runtime != "native":
            raise UsageError(f"{name}: variants run natively only (the compose file has no service for it)")
    quick = bool(args.quick)
    scenarios = args.scenario or (QUICK["scenarios"] if quick else list(SCENARIOS))
    for s in scenarios:
        if s not in SCENARIOS:
            raise UsageError(f"unknown scenario {s!r}; known: {', '.join(SCENARIOS)}")

    # The closed loop runs the tool `loadtest calibrate` found with the highest ceiling here.
    calibrated = calibrate.closed_loop_tool(calibrate.load())
    default_tool = calibrated or tools.DEFAULT_CLOSED_LOOP
    basis = "given" if args.tool else ("calibration" if calibrated else "default")

    def pick(name: str) -> str:
        given = getattr(args, name)
        return given if given is not None else (QUICK if quick else DEFAULTS)[name]

    plan = SweepPlan(
        services=services, scenarios=scenarios, levels=parse_levels(pick("levels")),
        duration_s=parse_duration(pick("duration")), warmup_s=parse_duration(pick("warmup")),
        pause_s=parse_duration(pick("pause")), tool=args.tool or default_tool, open_loop=args.open_loop,
        keepalive=not args.no_keepalive, params=scenario_params(args, scenarios),
        skip_gate=args.skip_gate, quick=quick, runtime=args.runtime, tool_basis=basis,
        rounds=args.rounds if args.rounds is not None else (QUICK if quick else DEFAULTS)["rounds"],
        seed=args.seed if args.seed is not None else random.SystemRandom().randrange(2**31),
        curve=not args.headline,
        headline_rounds=(args.headline_rounds if args.headline_rounds is not None
                         else (QUICK if quick else DEFAULTS)["headline_rounds"]),
    )
    if plan.rounds < 1:
        raise UsageError("--rounds must be at least 1")
    if plan.headline_rounds < 0:
        raise UsageError("--headline-rounds must be 0 or more")
    if args.headline and not (plan.headline_rounds and plan.headline().comparisons):
        raise UsageError("--headline measures headline.toml's comparisons, but none has both of its "
                         "services and its scenario in this run (or --headline-rounds is 0)")
    shortest = max(tools.get(t).min_duration_s for t in plan.tools())
    if plan.duration_s < shortest:
        raise UsageError(f"{', '.join(plan.tools())} runs levels of at least {shortest:g} s: use "
                         f"--duration {shortest:g}s or more")
    return plan


def scenario_params(args, scenarios: list[str]) -> dict[str, int]:
    """The parameters of the scenarios a run measures, from their flags (scenarios/)."""
    return {p.name: getattr(args, p.name, p.default) for s in scenarios for p in SCENARIOS[s].params}


def human(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min {s:02d} s"
