"""Benchmark of the running system through its public HTTP API (`python -m tests.benchmark --help`)."""
