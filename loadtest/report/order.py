"""Rows and columns in one stable order whatever order a run measured them in: analysis's keys
(scenarios as registered in scenarios.SCENARIOS, services by name, each variant right after its
service), applied to the names and pairs the reports list."""

from __future__ import annotations

from collections.abc import Iterable

from ..analysis import scenario_key, service_key

__all__ = ["by_scenario_service", "scenario_key", "scenarios", "service_key", "services"]


def scenarios(names: Iterable[str]) -> list[str]:
    return sorted(set(names), key=scenario_key)


def services(names: Iterable[str]) -> list[str]:
    return sorted(set(names), key=service_key)


def by_scenario_service(keys: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(scenario, service) pairs: scenario first, then service."""
    return sorted(keys, key=lambda k: (scenario_key(k[0]), service_key(k[1])))
