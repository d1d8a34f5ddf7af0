"""The interleaving order: every round visits every cell once, in a seeded random order."""

from loadtest.measurement import schedule

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


def test_a_block_visits_its_services_then_the_same_in_reverse():
    groups = {"x": ["a", "b"], "y": ["a", "b", "c"]}
    rounds = schedule.blocked_rounds(groups, 50, 4, seed=3)
    assert len(rounds) == 4
    blocks = []
    for r, visits in enumerate(rounds, 1):
        assert {v.round for v in visits} == {r} and {v.users for v in visits} == {50}
        by_block: dict[int, list] = {}
        for v in visits:
            by_block.setdefault(v.block, []).append(v)
        assert sorted(vs[0].scenario for vs in by_block.values()) == ["x", "y"]  # one block per scenario
        for vs in by_block.values():
            order = [v.service for v in vs]
            assert order == order[::-1] and sorted(set(order)) == sorted(groups[vs[0].scenario])
            assert all(v.scenario == vs[0].scenario for v in vs)
            blocks.append(tuple(order))
        # a block's visits are adjacent: nothing of another block comes between them
        numbers = [v.block for v in visits]
        assert numbers == sorted(numbers)
    assert len({v.block for r in rounds for v in r}) == 8  # every block of the run has its own number
    assert len(set(blocks)) > 2  # the orders within blocks are drawn, not fixed


def test_a_scenario_is_blocked_only_in_its_rounds():
    groups = {"x": ["a", "b"], "y": ["a", "b", "c"]}
    rounds = schedule.blocked_rounds(groups, 50, 4, seed=3, rounds_of={"x": [1, 2, 3, 4], "y": [2, 4]})
    assert [sorted({v.scenario for v in r}) for r in rounds] == [["x"], ["x", "y"], ["x"], ["x", "y"]]
    assert len({v.block for r in rounds for v in r}) == 6


def test_blocks_leave_the_curves_order_as_it_was():
    before = schedule.rounds(SERVICES, SCENARIOS, LEVELS, 2, seed=1)
    schedule.blocked_rounds({"x": ["a", "b"]}, 50, 3, seed=1)
    assert schedule.rounds(SERVICES, SCENARIOS, LEVELS, 2, seed=1) == before
    assert {v.round for v in schedule.rounds(SERVICES, SCENARIOS, LEVELS, 2, seed=1, first_round=4)[0]} == {4}
