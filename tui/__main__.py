"""``python -m tui`` is ``torch-tui``."""

import sys

from tui.cli import main

sys.exit(main())
