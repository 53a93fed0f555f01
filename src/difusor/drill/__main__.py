"""`python -m difusor.drill drill -i INVENTORY ...` (the same as `difusor drill`)."""

import sys

from difusor.drill.cli import main

sys.exit(main())
