"""`python -m chassis.dlq …`"""

import sys

from chassis.dlq.cli import main

sys.exit(main())
