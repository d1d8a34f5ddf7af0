"""The interleaving order: every round visits every cell once, in a seeded random order."""

from loadtest import schedule

SERVICES, SCENARIOS, LEVELS = ["a", "b", "c"], ["x", "y"], [10, 50]


def test_every_round_visits_every_cell_once():
    rounds = schedule.rounds(SERVICES, SCENARIOS, LEVELS, 3, seed=1)
    expected = {(s, v, u) for s in SCENARIOS for v in SERVICES for u in LEVELS}
    assert len(rounds) == 3
    for r, visits in enumerate(rounds, 1):
        assert {(v.scenario, v.service, v.users) for v in visits} == expected
        assert len(visits) == len(expected) and {v.round for v in visits} == {r}


def test_the_order_is_random_and_replayable_from_its_seed():
    a = schedule.rounds(SERVICES, SCENARIOS, LEVELS, 3, seed=1)
    assert a == schedule.rounds(SERVICES, SCENARIOS, LEVELS, 3, seed=1)
    assert a != schedule.rounds(SERVICES, SCENARIOS, LEVELS, 3, seed=2)
    assert a[0] != a[1]  # each round has its own order


def test_open_loop_rounds_visit_every_rate():
    targets = {("x", "a"): [100.0, 200.0], ("x", "b"): [50.0]}
    rounds = schedule.open_rounds(targets, 100, 2, seed=1)
    assert all(sorted((v.service, v.rate) for v in r) == [("a", 100.0), ("a", 200.0), ("b", 50.0)]
               for r in rounds)
    assert all(v.users == 100 for r in rounds for v in r)
