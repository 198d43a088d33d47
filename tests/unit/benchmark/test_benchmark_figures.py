"""The benchmark's arithmetic and option handling: percentiles, profile summaries, presets, pid specs."""

from tests.benchmark.figures import Tally, percentile
from tests.benchmark.memory import parse_pids
from tests.benchmark.options import parse
from tests.benchmark.profiling import summarise
from tests.benchmark.seeding import seeded_order_id


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
