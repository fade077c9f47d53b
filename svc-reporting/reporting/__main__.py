"""`python -m reporting report --region … --month …` (reporting.cli)."""

import sys

from reporting.cli import main

sys.exit(main())
