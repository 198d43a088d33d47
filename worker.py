"""Worker entry point: `python worker.py --role orders|payments` consumes that module's queue."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main(["worker", *sys.argv[1:]]))
