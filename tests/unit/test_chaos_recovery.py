"""The overload's recovery judgement: oha's CSV to per-second 2xx, and when it is back."""

from loadtest.chaos.overload import per_second, recovered_after
from loadtest.chaos.table import markdown
from loadtest.tools.oha import parse_csv_ends

CSV = """request-start,DNS,DNS+dialup,Response-delay,request-duration,bytes,status
0.000649154,0.000047552,0.000213871,0.000943336,0.000944117,541,200
0.9,0,0,0.2,0.2,541,200
1.5,0,0,0.1,0.1,30,503
2.2,0,0,0.1,0.3,541,200
"""


def test_csv_gives_end_times_and_statuses():
    ends = parse_csv_ends(CSV)
    assert [s for _, s in ends] == ["200", "200", "503", "200"]
    assert abs(ends[1][0] - 1.1) < 1e-9
    assert per_second([e for e, s in ends if s == "200"], 3.0) == [1, 1, 1]


def test_csv_that_is_not_oha_is_refused():
    import pytest

    with pytest.raises(ValueError):
        parse_csv_ends('{"summary": {}}')


def test_per_second_drops_the_partial_last_second_and_out_of_window_ends():
    assert per_second([0.1, 0.2, 1.5, 2.9, 3.2, -0.1], 3.5) == [2, 1, 1]


def test_back_at_the_first_good_second_that_holds():
    # baseline 100/s, 90 % needed: a backlog costs the first two seconds
    assert recovered_after([20, 70, 95, 101, 99, 100], 100, 0.9) == 3


def test_one_good_second_then_a_relapse_is_not_a_recovery():
    assert recovered_after([95, 10, 10, 10, 96, 97], 100, 0.9) == 5


def test_one_slow_second_of_a_shared_machine_does_not_undo_a_recovery():
    # django in a chaos run: back at the 3rd second, then 93 91 90 82 89 91 84 % of before
    assert recovered_after([0, 23, 93, 93, 91, 90, 82, 89, 91, 84], 100, 0.9) == 3


def test_never_back():
    assert recovered_after([50, 60, 70, 80, 85], 100, 0.9) is None
    assert recovered_after([], 100, 0.9) is None


def test_table_states_the_per_second_criterion_and_the_overload_bounds():
    from dataclasses import asdict

    from loadtest.chaos.context import FULL
    from loadtest.records.chaos import ChaosRun

    doc = ChaosRun(kind="chaos", profile=asdict(FULL), faults=["overload"], services={}, command="loadtest chaos",
                   date="2026-11-21", git_commit="abc", run_dir="/tmp/chaos", port_offset=300)
    text = markdown(doc)
    assert "back to 90% of before within 5 s, second by second" in text
    assert "at least 80% of the 10-user rate before and every answer within 5 s" in text


def test_ci_profile_states_that_it_does_not_judge_speed():
    from dataclasses import asdict

    from loadtest.chaos.context import QUICK
    from loadtest.records.chaos import ChaosRun

    doc = ChaosRun(kind="chaos", profile=asdict(QUICK), faults=["overload"], services={}, command="loadtest chaos",
                   date="2026-11-21", git_commit="abc", run_dir="/tmp/chaos", port_offset=300)
    assert "only 2xx, in every second after (speed is not judged" in markdown(doc)


def test_the_slowest_answer_counts_an_unanswered_request_as_unbounded():
    from loadtest.chaos.overload import slowest

    assert slowest({"latency_ms": {"max": 1234.0}, "transport_errors": {}}) == 1.234
    assert slowest({"latency_ms": {"max": 10.0}, "transport_errors": {"timeout": 3}}) == float("inf")
    assert slowest({"latency_ms": {}}) is None
