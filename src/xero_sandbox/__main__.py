"""`python -m xero_sandbox`: the same as `ledgerbridge sandbox`."""

import sys

from .cli import main

sys.exit(main())
