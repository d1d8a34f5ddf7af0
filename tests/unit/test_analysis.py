"""The one analysis (loadtest/analysis.py): its order, its peak rule and its ratio rule."""

from __future__ import annotations

import random

from loadtest import analysis, results
from loadtest.report import markdown

from .harness_samples import document, level


def test_two_orders_of_measurement_print_the_same_report(tmp_path):
    """Services and scenarios come in their registry's order, whatever order a seed drew."""
    doc = document(tmp_path, rounds=3).doc
    shuffled = {**doc, "levels": random.Random(7).sample(doc["levels"], len(doc["levels"]))}
    assert shuffled["levels"] != doc["levels"]
    assert markdown.render(shuffled) == markdown.render(doc)
    levels = results.levels(shuffled)
    assert analysis.services_of(levels) == ["django", "go_stdlib"]
    assert list(analysis.peaks(levels)) == list(analysis.peaks(results.levels(doc)))


def test_registry_order_puts_a_variant_after_its_service():
    names = ["rust_axum", "fastapi_tuned~uvicorn", "django", "fastapi_tuned", "fastapi_naive"]
    assert sorted(names, key=analysis.service_key) == [
        "django", "fastapi_naive", "fastapi_tuned", "fastapi_tuned~uvicorn", "rust_axum"]
    assert sorted(["io-mix", "fib", "devices-get"], key=analysis.scenario_key) == ["devices-get", "fib", "io-mix"]


def _cells(*specs):
    """(users, generator cpu, scale) -> one cell each of go_stdlib on devices-get."""
    levels = [level("go_stdlib", "devices-get", users, "oha/ok", generator_cpu=gen, scale=scale,
                    cpu_s=0.1) for users, gen, scale in specs]
    return analysis.cells(levels)


def test_the_peak_leaves_out_generator_bound_cells_while_others_exist():
    cells = _cells((10, 0.3, 1.0), (20, 0.99, 3.0))  # the faster cell saturated the generator
    assert cells[1].generator_bound and analysis.peak(cells).load == 10


def test_the_peak_is_a_flagged_floor_when_the_generator_bounded_every_cell():
    cells = _cells((10, 0.99, 1.0), (20, 0.99, 3.0))
    p = analysis.peak(cells)
    assert p.load == 20 and p.generator_bound


def test_a_ratio_is_taken_round_by_round():
    a = [level("go_stdlib", "users", 10, "oha/ok", scale=s, round_=r) for r, s in ((1, 2.0), (2, 4.0))]
    b = [level("django", "users", 10, "oha/ok", scale=s, round_=r) for r, s in ((1, 1.0), (2, 2.0))]
    ca, cb = analysis.cells(a)[0], analysis.cells(b)[0]
    r = analysis.cell_ratio(ca, cb)
    assert r.n == 2 and abs(r.median - 2.0) < 1e-9 and abs(r.low - 2.0) < 1e-9
