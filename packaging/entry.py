"""Entry point of the standalone (PyInstaller) app: the same as the ``movenet-studio`` script.

Also serves the model probe's child process: in a frozen app :mod:`movenet_studio.core.probe`
runs ``sys.executable --probe-model PATH``, which lands here and is handled at the top of
:func:`movenet_studio.cli.main`.
"""

import sys

from movenet_studio.cli import main

if __name__ == "__main__":
    sys.exit(main())
