"""``python -m movenet_studio.cli``."""

import sys

from . import main

sys.exit(main())
