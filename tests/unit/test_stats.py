"""The statistics every report rests on: what the interval of a median over rounds covers, and
when a difference is called significant. Samples are drawn from a seeded generator, so each run
of the test sees the same numbers."""

from __future__ import annotations

import numpy as np
import pytest

from loadtest import stats

TRIALS = 2_000


def coverage(n: int, sigma: float, seed: int, trials: int = TRIALS) -> float:
    """How often the interval from n log-normal samples contains the true median (1.0)."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(trials):
        e = stats.estimate(rng.lognormal(0.0, sigma, n))
        hits += e.low <= 1.0 <= e.high
    return hits / trials


@pytest.mark.parametrize("n", [3, 4, 5])
def test_below_six_rounds_the_interval_covers_95_percent_of_log_normal_noise(n):
    assert 0.93 <= coverage(n, sigma=0.1, seed=n) <= 0.97


@pytest.mark.parametrize("n", [6, 9])
def test_from_six_rounds_the_order_statistic_interval_covers_at_least_95_percent(n):
    # distribution-free: exact coverage is 96.9 % for 6 samples and 96.1 % for 9
    assert coverage(n, sigma=0.5, seed=n, trials=500) >= 0.94
    assert stats.estimate(np.arange(1.0, n + 1)).method == stats.ORDER


def test_three_rounds_never_give_less_than_their_range():
    """The range of three rounds is a 75 % interval; the 95 % one is always wider."""
    rng = np.random.default_rng(1)
    for _ in range(200):
        x = rng.lognormal(0.0, 0.3, 3)
        e = stats.estimate(x)
        assert e.method == stats.T_LOG and e.low < x.min() and e.high > x.max()


def test_the_median_lies_inside_its_interval():
    rng = np.random.default_rng(2)
    for n in range(2, 13):
        for _ in range(50):
            e = stats.estimate(rng.lognormal(0.0, 0.4, n))
            assert e.low <= e.median <= e.high


def test_rounds_agreeing_in_direction_are_not_enough():
    assert not stats.estimate([1.05, 1.20, 1.10]).excludes(1.0)  # old rule: "significant"
    assert stats.estimate([2.0, 2.1, 2.2]).excludes(1.0)
    assert stats.estimate([0.50, 0.48, 0.52]).excludes(1.0)


def test_values_without_a_logarithm_take_the_interval_on_the_values():
    e = stats.estimate([-1.0, 1.0, 2.0])
    assert e.method == stats.T and e.low < -1 and e.high > 2 and e.median == 1.0
    zero = stats.estimate([0.0, 1.0, 2.0])  # none negative: the interval stays at or above zero
    assert zero.method == stats.T and zero.low == 0.0 and zero.high > 2


def test_one_sample_or_identical_samples_have_no_spread():
    one = stats.estimate([5.0, None])
    assert (one.median, one.low, one.high, one.n, one.cv) == (5.0, 5.0, 5.0, 1, None)
    assert not one.excludes(1.0) and not one.noisy
    same = stats.estimate([5.0, 5.0, 5.0])
    assert same.low == same.high == 5.0 and same.cv == 0.0 and same.method is None
    assert stats.estimate([None, None]) is stats.NONE


def test_noisy_means_a_coefficient_of_variation_over_ten_percent():
    assert stats.estimate([100, 130, 80]).noisy
    assert not stats.estimate([100, 102, 98]).noisy


def test_overlap_is_the_compare_rule():
    a, b, c = stats.estimate([100, 101, 99]), stats.estimate([150, 151, 149]), stats.estimate([90, 140, 110])
    assert not a.overlaps(b) and a.overlaps(c) and c.overlaps(b)
