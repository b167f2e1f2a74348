"""`python -m stripe_power`."""

import sys

from .cli import main

sys.exit(main())
