"""``python -m epix``: the same as the ``epix`` command."""

import sys

from epix.cli import main

sys.exit(main())
