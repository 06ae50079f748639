"""``python -m diana_devtools.sandbox``: the same as ``diana-sandbox``."""

import sys

from diana_devtools.sandbox.cli import main

sys.exit(main())
