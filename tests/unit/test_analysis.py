"""The one analysis (loadtest/analysis/): its order, its figure rule (the plateau) and its
ratio rule (per round, within blocks where there are any)."""

from __future__ import annotations

import math
import random

import pytest

from loadtest import analysis
from loadtest.core import stats
from loadtest.report import markdown

from .harness_samples import document, level


def test_two_orders_of_measurement_print_the_same_report(tmp_path):
    """Services and scenarios come in their registry's order, whatever order a seed drew."""
    doc = document(tmp_path, rounds=3).document()
    shuffled = doc.model_copy(update={"levels": random.Random(7).sample(doc.levels, len(doc.levels))})
    assert shuffled.levels != doc.levels
    assert markdown.render(shuffled) == markdown.render(doc)
    levels = shuffled.measured()
    assert analysis.services_of(levels) == ["django", "go_stdlib"]
    assert list(analysis.plateaus(levels)) == list(analysis.plateaus(doc.measured()))


def test_registry_order_puts_a_variant_after_its_service():
    names = ["rust_axum", "fastapi_tuned~uvicorn", "django", "fastapi_tuned", "fastapi_naive"]
    assert sorted(names, key=analysis.service_key) == [
        "django", "fastapi_naive", "fastapi_tuned", "fastapi_tuned~uvicorn", "rust_axum"]
    assert sorted(["io-mix", "fib", "devices-get"], key=analysis.scenario_key) == ["devices-get", "fib", "io-mix"]


def _levels(service: str, specs, rounds=(1,), scenario: str = "devices-get"):
    """(users, generator cpu, scale) per cell -> its levels in each round (scale x round factor)."""
    return [level(service, scenario, users, "oha/ok", generator_cpu=gen, scale=scale * factor, cpu_s=0.1,
                  round_=r)
            for r, factor in zip(rounds, (1.0, 1.1, 0.9, 1.2, 0.8), strict=False) for users, gen, scale in specs]


def _plateau(levels):
    return next(iter(analysis.plateaus(levels).values()))


def test_the_plateau_is_every_level_from_50_users_the_generator_never_bounded():
    p = _plateau(_levels("go_stdlib", [(10, 0.3, 1.0), (50, 0.3, 2.0), (75, 0.3, 2.0), (100, 0.99, 5.0)]))
    assert p.loads == [50, 75] and not p.floor and p.users == "50-75"
    assert analysis.PLATEAU_FROM_USERS == 50


def test_the_plateau_is_a_flagged_floor_when_the_generator_bounded_all_of_it():
    p = _plateau(_levels("go_stdlib", [(10, 0.3, 1.0), (50, 0.99, 2.0), (100, 0.99, 3.0)]))
    assert p.loads == [50, 100] and p.floor


def test_without_a_level_from_50_users_the_plateau_is_the_highest():
    assert _plateau(_levels("go_stdlib", [(10, 0.3, 1.0), (20, 0.3, 3.0)])).loads == [20]


def test_the_figure_is_the_geometric_mean_of_the_rounds_never_the_best_level():
    levels = _levels("go_stdlib", [(50, 0.3, 1.0), (75, 0.3, 1.5), (100, 0.3, 1.2)], rounds=(1, 2, 3))
    p = _plateau(levels)
    rounds = [stats.mean(lv.ok_rps for lv in levels if lv.round == r) for r in (1, 2, 3)]
    e = p.ok_rps
    assert e.n == 3 and e.method == stats.T_LOG
    assert e.value == pytest.approx(math.exp(sum(map(math.log, rounds)) / 3))
    assert e.value == pytest.approx(stats.mean(lv.ok_rps for lv in levels))  # balanced: the pooled one
    assert math.log(e.high / e.value) == pytest.approx(math.log(e.value / e.low))  # centred on it
    assert p.best.load == 75 and e.value < p.best.ok_rps.value  # the best level is a description


def test_a_ratio_is_taken_round_by_round_over_the_loads_both_measured():
    a = _levels("go_stdlib", [(50, 0.3, 2.0), (100, 0.3, 9.0)], rounds=(1, 2, 3))
    b = _levels("django", [(50, 0.3, 1.0)], rounds=(1, 2, 3))
    plateaus = analysis.plateaus(a + b)
    r = analysis.ratio(plateaus, "devices-get", "go_stdlib", "django")
    assert r.n == 3 and r.value == pytest.approx(2.0) and r.low == pytest.approx(r.high) and r.p == 0.0


def _with_block(levels, block_of):
    return [lv.model_copy(update={"block": block_of(lv)}) for lv in levels]


def test_a_blocked_ratio_is_taken_within_each_block():
    """A slow phase shared by the two sides of a block cancels in the block's ratio; in the
    same levels without blocks, the two services' levels are pooled per round and it does not."""
    rng = random.Random(4)
    a, b = [], []
    for r in (1, 2, 3, 4):
        for k in (1, 2):
            phase = math.exp(rng.gauss(0, 0.3))  # the block's slow phase, on both sides
            a += [level("go_stdlib", "users", 50, "oha/ok", scale=2.0 * phase, round_=r).model_copy(
                update={"block": 10 * r + k}) for _ in range(2)]
            b += [level("django", "users", 50, "oha/ok", scale=phase, round_=r).model_copy(
                update={"block": 10 * r + k}) for _ in range(2)]
    blocked = analysis.ratio(analysis.plateaus(a + b), "users", "go_stdlib", "django")
    assert blocked.value == pytest.approx(2.0) and blocked.high / blocked.low == pytest.approx(1.0)
    # the same, with B's blocks shifted so none is shared: pooled per round, the phases stay
    unshared = _with_block(b, lambda lv: lv.block + 1000)
    pooled = analysis.ratio(analysis.plateaus(a + unshared), "users", "go_stdlib", "django")
    plain = _with_block(a + b, lambda lv: None)  # an old run: no blocks at all
    assert pooled == analysis.ratio(analysis.plateaus(plain), "users", "go_stdlib", "django")


def test_a_cell_visited_twice_in_a_round_is_pooled_within_it():
    levels = [level("go_stdlib", "users", 50, "oha/ok", scale=s, round_=r)
              for r, pair in ((1, (1.0, 4.0)), (2, (2.0, 2.0)), (3, (1.0, 4.0))) for s in pair]
    e = analysis.cells(levels)[0].ok_rps
    assert e.n == 3 and e.high / e.low == pytest.approx(1.0)  # every round's pooled value is the same


def test_where_two_services_were_measured_in_blocks_their_ratio_comes_from_the_blocks_alone():
    """A default run's headline part (blocks at 50 users) and its curve (rounds at 50 and 100
    users, no blocks): the ratio is the headline part's, not a mix of the two designs."""
    headline = [lv.model_copy(update={"block": r}) for r in (1, 2, 3)
                for lv in _levels("go_stdlib", [(50, 0.3, 4.0)], rounds=(r,)) + _levels("django", [(50, 0.3, 1.0)], rounds=(r,))]
    curve = _levels("go_stdlib", [(50, 0.3, 4.0), (100, 0.3, 8.0)], rounds=(4, 5, 6)) + \
        _levels("django", [(50, 0.3, 1.0), (100, 0.3, 1.0)], rounds=(4, 5, 6))
    both = analysis.ratio(analysis.plateaus(headline + curve), "devices-get", "go_stdlib", "django")
    alone = analysis.ratio(analysis.plateaus(headline), "devices-get", "go_stdlib", "django")
    assert both.n == 3 and both.value == pytest.approx(alone.value)  # the blocked rounds only
    curve_only = analysis.ratio(analysis.plateaus(curve), "devices-get", "go_stdlib", "django")
    assert curve_only.n == 3 and curve_only.value > both.value  # 100 users moves it: not mixed in

