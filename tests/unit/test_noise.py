"""The pre-flight noise probe's arithmetic: the spread per level and the precision it predicts."""

import itertools
import math

import numpy as np

from loadtest.measurement import headline, noise


def test_log_sd_is_the_spread_of_the_logarithms():
    assert noise.log_sd([100.0]) is None
    assert noise.log_sd([100.0, 100.0, 100.0]) == 0.0
    values = [100 * math.exp(x) for x in (-0.1, 0.0, 0.1)]
    assert math.isclose(noise.log_sd(values), 0.1)


def test_the_predicted_width_shrinks_with_rounds_and_matches_a_simulation():
    assert noise.ratio_half_width(0.1, 2) is None
    widths = [noise.ratio_half_width(0.1, n) for n in (3, 7, 20)]
    assert widths[0] > widths[1] > widths[2] > 0
    # blocks A B B A with per-level sd 0.1: the t-interval's mean half-width on the log ratio
    rng, n, sd = np.random.default_rng(1), 7, 0.1
    log_ratios = rng.normal(0, sd, size=(4000, n, 4))
    per_block = log_ratios[..., :2].mean(-1) - log_ratios[..., 2:].mean(-1)
    from scipy import stats
    half = stats.t.ppf(0.975, n - 1) * per_block.std(axis=1, ddof=1) / math.sqrt(n)
    assert math.isclose(math.exp(half.mean()) - 1, noise.ratio_half_width(sd, n), rel_tol=0.1)


def test_the_pooled_spread_is_each_services_around_its_own_level():
    assert noise.pooled_log_sd({"a": [100.0]}) is None
    # two services 5x apart, each with the same spread: the pooled sd is that spread, not the gap
    a = [100 * math.exp(x) for x in (-0.1, 0.0, 0.1)]
    assert math.isclose(noise.pooled_log_sd({"a": a, "b": [5 * v for v in a]}), 0.1)
    assert math.isclose(noise.pooled_log_sd({"a": a, "b": [7.0]}), 0.1)  # a lone visit adds nothing


def test_the_verdict_names_a_noisy_host_and_the_target_it_sets():
    blocks = {"users": 13, "fib": 7}
    assert "quiet host" in noise.verdict(0.03, 0.05, blocks) and "target ±5 %" in noise.verdict(0.03, 0.05, blocks)
    noisy = noise.verdict(0.13, 0.05, blocks)
    assert "above the 5 %" in noisy and "noisy host" in noisy and "target ±10 %" in noisy
    assert noise.target(None, 0.05) == noise.NOISY_TARGET  # no probe: nothing says the host is quiet
    widths = noise.expected(0.1, blocks)
    assert widths["users"] < widths["fib"]  # more blocks, narrower


def test_the_probe_and_its_cells_come_from_headline_toml():
    h = headline.load()
    p = h.probe
    assert p is not None and len(p.services) >= 2 and p.levels >= 2 * len(p.services) and 0 < p.quiet_sd < 1
    # the probe visits the services of a headline comparison, on that comparison's scenario
    assert any({c.numerator, c.denominator} == set(p.services) and c.scenario == p.scenario for c in h.comparisons)
    assert h.within(["fastapi_tuned"], ["users"]).probe is None  # a run without both has no probe


def test_each_scenario_gets_its_share_of_the_rounds_spread_evenly():
    h = headline.load()
    for scenario in h.groups():
        for rounds in (1, 2, 7, 13, 20):
            chosen = h.rounds_of(scenario, rounds)
            assert len(chosen) == h.blocks(scenario, rounds) >= 1 and chosen == sorted(set(chosen))
            assert all(1 <= r <= rounds for r in chosen)
            if len(chosen) > 2:  # evenly: the gaps between its rounds differ by one at most
                gaps = [b - a for a, b in itertools.pairwise(chosen)]
                assert max(gaps) - min(gaps) <= 1
    assert h.blocks("users", 13) == 13 and h.blocks("fib", 13) < 13  # the noisier scenario gets more
    assert h.visits(13) == sum(2 * len(m) * h.blocks(s, 13) for s, m in h.groups().items())
