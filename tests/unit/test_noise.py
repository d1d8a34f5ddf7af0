"""The pre-flight noise probe's arithmetic: the spread per level and the precision it predicts."""

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


def test_the_verdict_names_a_noisy_host():
    assert "quiet host" in noise.verdict(0.03, 0.05, 7)
    assert "above the 5 %" in noise.verdict(0.13, 0.05, 7)


def test_the_probe_and_its_cell_come_from_headline_toml():
    h = headline.load()
    assert h.probe is not None and h.probe.levels >= 3 and 0 < h.probe.quiet_sd < 1
    assert h.within(["fastapi_tuned"], ["users"]).probe is None or h.probe.service == "fastapi_tuned"
