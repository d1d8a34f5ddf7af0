"""The verdict rules of loadtest/reproduce/verdict.py on recorded samples: ratios taken round by
round from runs on this project's machines (the FastAPI-vs-Axum and FastAPI-vs-Django figures
observed by hand, README's sweep), and ramp points shaped like the failure replays."""

from loadtest.core import stats
from loadtest.reproduce import verdict
from loadtest.reproduce.verdict import DIRECTION, FAILS, HOLDS, UNMEASURED, Point

# rust_axum / fastapi_pooled on users, oha -n -c 10 --disable-keepalive, one pinned core:
# 4,832 / 330 req/s and two neighbouring rounds.
AXUM_OVER_POOLED = stats.estimate([4832 / 330, 4710 / 341, 4901 / 322])
# fastapi_pooled / django on io-mix in the committed sweeps: both about 150 req/s.
POOLED_OVER_DJANGO = stats.estimate([146 / 150, 158 / 149, 151 / 155])
# go_stdlib / fastapi_tuned on devices-get over three sweeps (README): 3.54x, 3.55x, 3.57x.
GO_OVER_TUNED = stats.estimate([3.54, 3.55, 3.57])


def test_ratio_within_the_size_factor_holds():
    v = verdict.ratio_verdict("about", 4.8, GO_OVER_TUNED, "go_stdlib", "fastapi_tuned")
    assert v.verdict == HOLDS
    assert "3.55x" in v.reason and "4.8x claimed" in v.reason


def test_right_winner_wrong_size_holds_in_direction_only():
    v = verdict.ratio_verdict("about", 32, AXUM_OVER_POOLED, "rust_axum", "fastapi_pooled")
    assert v.verdict == DIRECTION
    assert "rust_axum wins" in v.reason and "32x claimed" in v.reason


def test_an_interval_including_one_does_not_hold():
    v = verdict.ratio_verdict("about", 4.0, POOLED_OVER_DJANGO, "fastapi_pooled", "django")
    assert v.verdict == FAILS
    assert "includes 1" in v.reason


def test_a_reversed_order_does_not_hold():
    reversed_ = stats.estimate([0.5, 0.55, 0.52])
    assert verdict.ratio_verdict("about", 4.0, reversed_, "a", "b").reason.endswith("reversed")


def test_at_least_claims_hold_when_not_far_below_the_bound():
    assert verdict.ratio_verdict("at_least", 44, stats.estimate([40, 41, 39]), "a", "b").verdict == HOLDS
    assert verdict.ratio_verdict("at_least", 44, stats.estimate([2.5, 2.6, 2.4]), "a", "b").verdict == DIRECTION


def test_direction_and_parity_claims():
    fib = stats.estimate([35.0, 37.2, 36.1])  # go_stdlib / fastapi_pooled on fib
    io = stats.estimate([1.01, 0.98, 1.03])  # on a 500 ms upstream
    assert verdict.ratio_verdict("direction", 1, fib, "go_stdlib", "fastapi_pooled").verdict == HOLDS
    assert verdict.ratio_verdict("parity", 1, io, "go_stdlib", "fastapi_pooled").verdict == HOLDS
    assert verdict.ratio_verdict("parity", 1, fib, "go_stdlib", "fastapi_pooled").verdict == FAILS


def test_a_single_sample_decides_on_its_value():
    one = stats.estimate([12.0])
    v = verdict.ratio_verdict("about", 10, one, "a", "b")
    assert v.verdict == HOLDS and stats.NO_INTERVAL in v.reason


def test_nothing_measured():
    assert verdict.ratio_verdict("about", 4, stats.NONE, "a", "b").verdict == UNMEASURED


def test_a_bound_other_than_the_service_is_named():
    v = verdict.ratio_verdict("about", 4.0, POOLED_OVER_DJANGO, "fastapi_pooled", "django",
                              {"fastapi_pooled": "database", "django": "service"})
    assert "fastapi_pooled by the database" in v.reason and "django" not in v.reason.split("bound:")[1]


NAIVE = [Point(25, 1.0, 0), Point(50, 1.0, 11), Point(100, 0.97, 22, "30 x status 503", 30),
         Point(200, 0.04, 33, "2,412 x status 503", 2412)]
POOLED = [Point(25, 1.0, 0), Point(50, 1.0, 11), Point(100, 1.0, 22), Point(200, 0.995, 33)]


def test_failure_reproduced_and_fixed_holds():
    v = verdict.failure_verdict("fastapi_naive", "fastapi_pooled",
                                {"fastapi_naive": NAIVE, "fastapi_pooled": POOLED}, 0.10, "users")
    assert v.verdict == HOLDS
    assert "fell to 4% at 200 users, 33 s into the ramp" in v.reason
    assert "2412 log lines" in v.reason and "fastapi_pooled kept" in v.reason


def test_failure_where_the_fix_fails_too_holds_in_direction():
    broken = [Point(25, 1.0, 0), Point(200, 0.5, 33)]
    v = verdict.failure_verdict("fastapi_naive", "fastapi_pooled",
                                {"fastapi_naive": NAIVE, "fastapi_pooled": broken}, 0.10, "users")
    assert v.verdict == DIRECTION and "fell to 50% as well" in v.reason


def test_degraded_without_failing_and_no_failure_at_all():
    degraded = [Point(3000, 1.0, 0), Point(6000, 0.8, 11), Point(9000, 0.6, 22)]
    steady = [Point(3000, 1.0, 0), Point(9000, 1.0, 22)]
    v = verdict.failure_verdict("fastapi_pooled", "go_stdlib",
                                {"fastapi_pooled": degraded, "go_stdlib": steady}, 0.10, "req/s offered")
    assert v.verdict == DIRECTION and "degraded to 60%" in v.reason
    v = verdict.failure_verdict("fastapi_pooled", "go_stdlib",
                                {"fastapi_pooled": steady, "go_stdlib": steady}, 0.10, "req/s offered")
    assert v.verdict == FAILS and "no failure" in v.reason


def test_generator_bound_steps_are_not_failures():
    # k6 out of CPU at 9000/s: arrivals it dropped are not the service's failures
    tool_bound = [Point(3000, 1.0, 0), Point(9000, 0.05, 22, "8,000 x dropped by k6", bound="generator")]
    steady = [Point(3000, 1.0, 0), Point(9000, 0.3, 22, bound="generator")]
    v = verdict.failure_verdict("fastapi_pooled", "go_stdlib",
                                {"fastapi_pooled": tool_bound, "go_stdlib": steady}, 0.10, "req/s offered")
    assert v.verdict == FAILS and "2 steps bound by the load generator" in v.reason
    v = verdict.failure_verdict("fastapi_pooled", "go_stdlib",
                                {"fastapi_pooled": tool_bound[1:], "go_stdlib": steady}, 0.10, "req/s offered")
    assert v.verdict == UNMEASURED
    v = verdict.failure_verdict("fastapi_naive", "fastapi_pooled",
                                {"fastapi_naive": NAIVE, "fastapi_pooled": POOLED + steady[1:]}, 0.10, "users")
    assert v.verdict == HOLDS and "1 step bound" in v.reason


def test_a_protocol_takes_its_worst_part():
    parts = [verdict.Verdict(HOLDS, "a"), verdict.Verdict(DIRECTION, "b"), verdict.Verdict(HOLDS, "c")]
    combined = verdict.combine(parts)
    assert combined.verdict == DIRECTION and combined.reason == "a; b; c"
    assert verdict.combine([]).verdict == UNMEASURED
