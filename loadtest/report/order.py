"""Rows and columns in one stable order whatever order a run measured them in: scenarios as
registered (scenarios.SCENARIOS), services as their manifests are listed (the services/ folders
by name), each variant right after its service. analysis.py's keys when it has them."""

from __future__ import annotations

from collections.abc import Iterable

from .. import analysis, variants
from ..scenarios import SCENARIOS


def _scenario_key(name: str) -> tuple:
    order = list(SCENARIOS)
    return (order.index(name), "") if name in order else (len(order), name)


def _service_key(name: str) -> tuple:
    base, variant = variants.split(name)
    return (base, variant is not None, variant or "")


scenario_key = getattr(analysis, "scenario_key", _scenario_key)
service_key = getattr(analysis, "service_key", _service_key)


def scenarios(names: Iterable[str]) -> list[str]:
    return sorted(set(names), key=scenario_key)


def services(names: Iterable[str]) -> list[str]:
    return sorted(set(names), key=service_key)


def by_scenario_service(keys: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(scenario, service) pairs: scenario first, then service."""
    return sorted(keys, key=lambda k: (scenario_key(k[0]), service_key(k[1])))
