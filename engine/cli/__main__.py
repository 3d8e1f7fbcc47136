"""``python -m engine.cli``: the same as the ``ruam`` command."""

import sys

from engine.cli.ruam import main

sys.exit(main())
