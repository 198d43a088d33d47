"""Entry point of `python -m tests.benchmark`: run the benchmark and print one JSON line of figures."""

from tests.benchmark.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
