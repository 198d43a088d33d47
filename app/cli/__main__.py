"""`python -m app.cli` runs the same command line as the `payflow` console script."""

import sys

from app.cli import main

sys.exit(main())
