"""The benchmark's arithmetic and options: percentiles, profiles, presets, pid specs, CPU time, stages."""

import os
import random
import subprocess

from tests.benchmark.cpu import cpu_ticks, cpu_used, parse_stat, ticks_per_second
from tests.benchmark.figures import Tally, percentile
from tests.benchmark.memory import parse_pids
from tests.benchmark.options import parse
from tests.benchmark.profiling import summarise
from tests.benchmark.seeding import seeded_order_id
from tests.benchmark.stages import stage_summary


def test_percentiles_use_the_nearest_rank_in_milliseconds() -> None:
    samples = [n / 1000 for n in range(1, 101)]

    p50, p99 = percentile(samples, 0.50), percentile(samples, 0.99)

    assert (round(p50, 6), round(p99, 6)) == (50.0, 99.0)


def test_a_tally_reports_successes_per_second_and_counts_errors_apart() -> None:
    tally = Tally()
    for _ in range(10):
        tally.ok(0.01)
    tally.failed("http_500")

    summary = tally.summary(elapsed=2.0)

    assert (summary["ok"], summary["errors"], summary["per_s"]) == (10, 1, 5.0)


def test_a_workload_preset_fills_only_the_options_not_given() -> None:
    options = parse(["--workload", "W2", "--orders", "10"])

    assert (options.orders, options.concurrency, options.latency_ms) == (10, 64, 1500)


def test_a_pid_spec_groups_pids_by_role() -> None:
    assert parse_pids("gateway=1, payments=2,payments=3") == {"gateway": [1], "payments": [2, 3]}


def test_a_profile_summary_counts_self_and_total_shares_of_samples() -> None:
    collapsed = "main (a.py);work (a.py) 3\nmain (a.py);idle (b.py) 1\n"

    text = summarise(collapsed)

    assert "75.0  work (a.py)" in text
    assert "100.0  main (a.py)" in text


def test_seeded_ids_match_postgresql_md5_cast_to_uuid() -> None:
    order_id = seeded_order_id("t")

    # SELECT md5('t-order-1')::uuid in PostgreSQL gives this value.
    assert order_id(1) == "0b67be32-d5e1-ea77-c291-b76f1745dacc"


def test_cpu_used_counts_each_process_from_its_first_snapshot_and_leaves_out_one_that_ended() -> None:
    before = {"gateway": {10: 100, 11: 50}, "postgres": {20: 30, 22: 500}}
    after = {"gateway": {10: 300, 11: 50}, "postgres": {20: 130, 21: 100}, "benchmark": {30: 0}}

    used = cpu_used(before, after, 100, 2.0, ticks_per_s=100.0, cores=2)

    assert used["cpu_s"] == {"gateway": 2.0, "postgres": 2.0, "benchmark": 0.0}
    assert used["cpu_ms_per_order"] == {"gateway": 20.0, "postgres": 20.0, "benchmark": 0.0}
    assert (used["total_cpu_s"], used["share_of_cores"]) == (4.0, 1.0)


def test_a_stat_line_gives_the_name_in_its_parentheses_and_user_plus_system_time() -> None:
    fields = ["S", "1", "1", "1", "0", "-1", "4194560", "7", "0", "0", "0", "250", "40", "3", "9"]

    assert parse_stat(f"42 (a) b (c) {' '.join(fields)} 20 0") == ("a) b (c", 290)


def test_cpu_ticks_count_the_benchmark_as_the_kernel_does_and_a_role_with_its_descendants() -> None:
    own, tick = os.getpid(), ticks_per_second()
    with subprocess.Popen(["cat"], stdin=subprocess.PIPE) as child:
        try:
            before = os.times()
            ticks = cpu_ticks({"gateway": [own]})
            after = os.times()
        finally:
            child.kill()

    # Read between the two: reading /proc costs CPU itself, so an exact match cannot be asked for.
    low, high = (round((spent.user + spent.system) * tick) for spent in (before, after))
    assert low <= ticks["benchmark"][own] <= high
    assert child.pid in ticks["gateway"]
    assert own not in ticks["gateway"]


def test_a_stage_summary_gives_each_stage_its_percentiles_in_milliseconds() -> None:
    rows = [(0.010 * n, 0.1, 1.5, 0.002 * n) for n in range(1, 101)]
    random.Random(7).shuffle(rows)

    summary = stage_summary(rows)

    assert summary["orders_traced"] == 100
    assert summary["to_relay"] == {"p50_ms": 500.0, "p99_ms": 990.0, "max_ms": 1000.0}
    assert summary["to_open"] == {"p50_ms": 100.0, "p99_ms": 100.0, "max_ms": 100.0}
    assert summary["provider"] == {"p50_ms": 1500.0, "p99_ms": 1500.0, "max_ms": 1500.0}
    assert summary["to_order"] == {"p50_ms": 100.0, "p99_ms": 198.0, "max_ms": 200.0}
