"""The statistics every report rests on: the geometric mean over rounds and its t-interval on
the logarithms, centred on it, at every number of rounds from 3; none below; ratios, changes
between runs and Holm's correction. Samples are drawn from a seeded generator, so each run of
the test sees the same numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from loadtest.core import stats

TRIALS = 2_000


def coverage(n: int, sigma: float, seed: int, trials: int = TRIALS) -> float:
    """How often the interval from n log-normal samples contains the true geometric mean (1.0)."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(trials):
        e = stats.estimate(rng.lognormal(0.0, sigma, n))
        hits += e.low <= 1.0 <= e.high
    return hits / trials


@pytest.mark.parametrize("n", [3, 6, 10])
def test_the_interval_covers_95_percent_of_log_normal_noise_at_every_n(n):
    assert 0.93 <= coverage(n, sigma=0.15, seed=n) <= 0.97


def test_below_three_rounds_there_is_no_interval():
    for values in ([5.0], [20_000.0, 1_000_000.0]):
        e = stats.estimate(values)
        assert e.low is None and e.high is None and not e.has_interval and e.method == stats.NO_INTERVAL
        assert not e.excludes(1.0)
    assert stats.estimate([20_000.0, 1_000_000.0]).value == pytest.approx(math.sqrt(2e10))
    assert stats.NO_INTERVAL == "no interval below 3 rounds"


def test_the_interval_is_centred_on_the_geometric_mean():
    """Rounds 6.57, 4.47, 3.28: the estimate is their geometric mean, not the median 4.47."""
    e = stats.estimate([6.57, 4.47, 3.28])
    assert e.value == pytest.approx((6.57 * 4.47 * 3.28) ** (1 / 3))
    assert math.log(e.high / e.value) == pytest.approx(math.log(e.value / e.low))
    assert e.method == stats.T_LOG


def test_three_rounds_never_give_less_than_their_range():
    """The range of three rounds is a 75 % interval; the 95 % one is always wider."""
    rng = np.random.default_rng(1)
    for _ in range(200):
        x = rng.lognormal(0.0, 0.3, 3)
        e = stats.estimate(x)
        assert e.method == stats.T_LOG and e.low < x.min() and e.high > x.max()


def test_rounds_agreeing_in_direction_are_not_enough():
    assert not stats.estimate([1.05, 1.20, 1.10]).excludes(1.0)
    assert stats.estimate([2.0, 2.1, 2.2]).excludes(1.0)
    assert stats.estimate([0.50, 0.48, 0.52]).excludes(1.0)


def test_values_without_a_logarithm_take_the_interval_on_the_values():
    e = stats.estimate([-1.0, 1.0, 2.0])
    assert e.method == stats.T and e.low < -1 and e.high > 2 and e.value == pytest.approx(2 / 3)
    zero = stats.estimate([0.0, 1.0, 2.0])  # none negative: the interval stays at or above zero
    assert zero.method == stats.T and zero.low == 0.0 and zero.high > 2 and zero.value == 1.0


def test_identical_samples_have_no_spread():
    same = stats.estimate([5.0, 5.0, 5.0])
    assert same.low == pytest.approx(5.0) and same.high == pytest.approx(5.0) and same.cv == 0.0
    assert stats.estimate([None, None]) is stats.NONE


def test_noisy_means_a_coefficient_of_variation_over_ten_percent():
    assert stats.estimate([100, 130, 80]).noisy
    assert not stats.estimate([100, 102, 98]).noisy


def test_a_ratio_carries_its_p_value_and_agrees_with_its_interval():
    rng = np.random.default_rng(5)
    for _ in range(200):
        e = stats.ratio(rng.lognormal(0.05, 0.1, 4))
        assert (e.p < stats.ALPHA) == e.excludes(1.0)
    assert stats.ratio([1.1, 1.2]).p is None  # below 3 rounds: not tested


def test_a_change_is_the_ratio_of_the_two_estimates_with_a_welch_interval():
    a, b = [100.0, 110.0, 90.0], [200.0, 230.0, 190.0, 210.0]
    c = stats.change(a, b)
    assert c.value == pytest.approx(stats.estimate(b).value / stats.estimate(a).value)
    assert c.method == stats.WELCH_LOG and c.excludes(1.0) and c.p < 0.001 and c.n == 3
    assert stats.change([1.0, 2.0], b).method == stats.NO_INTERVAL


def test_holm_multiplies_the_kth_smallest_by_m_minus_k_plus_one():
    assert stats.holm([0.01, 0.04, None, 0.03]) == pytest.approx([0.03, 0.06, None, 0.06])
    assert stats.holm([0.02, 0.03]) == pytest.approx([0.04, 0.04])  # never decreasing
    assert stats.holm([0.5, 0.9]) == [1.0, 1.0]  # at most 1
    assert stats.holm([]) == []
    assert stats.significant(0.049) and not stats.significant(0.05) and stats.significant(None) is None
