"""A replay as recorded in `<results>/<write-up>.json`, and back: dump() writes what the page
needs (the levels as results.json records them, the ramps, how and when it was measured), and
load() rebuilds the Replay, so a page can combine write-ups measured by different commands
(`loadtest reproduce <write-up> --with <results dir>`) without measuring them again."""

from __future__ import annotations

from ..records.level import Level
from . import get
from .runner import RampResult, Replay, StepResult


def dump(replay: Replay, measured_by: dict) -> dict:
    """measured_by: the command, its start (UTC) and commit, shown beside a loaded replay."""
    return {
        "protocol": replay.protocol.name, "rounds": replay.rounds, "seed": replay.seed,
        "scale": replay.scale, "seconds": replay.seconds, "placement": replay.placement,
        "gate": replay.gate, "failures": replay.failures, "measured_by": measured_by,
        "steps": {r.step.name: [lv.as_dict() for lv in r.levels] for r in replay.steps},
        "ramps": {r.ramp.name: {"notes": r.notes, "offered": r.offered, "at_s": r.at_s,
                                "log_hits": r.log_hits,
                                "levels": {s: [lv.as_dict() for lv in lvs] for s, lvs in r.levels.items()}}
                  for r in replay.ramps},
    }


def load(doc: dict) -> Replay:
    """The Replay of a dump, with its protocol's steps and ramps as defined now (by name)."""
    protocol = get(doc["protocol"])
    steps = [StepResult(step, [Level.model_validate(lv) for lv in doc["steps"][step.name]])
             for step in protocol.steps if step.name in doc["steps"]]
    ramps = []
    for ramp in protocol.ramps:
        r = doc["ramps"].get(ramp.name)
        if r is None:
            continue
        levels = {s: [Level.model_validate(lv) for lv in lvs] for s, lvs in r["levels"].items()}
        ramps.append(RampResult(ramp, levels, r["offered"], r["at_s"], r["log_hits"], r.get("notes", [])))
    replay = Replay(protocol, steps, ramps, doc["seconds"], doc["rounds"], doc["seed"], doc["scale"],
                    doc.get("placement", {}), doc.get("gate", {}), doc.get("failures", []))
    replay.measured_by = doc.get("measured_by") or {}
    return replay
