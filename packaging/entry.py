"""Entry point of the standalone (PyInstaller) app: the same as the ``movenet-studio`` script.

Also serves the model probe's child process: in a frozen app :mod:`movenet_studio.core.sandbox`
runs ``sys.executable --probe-model PATH``, which lands here and is handled at the top of
:func:`movenet_studio.cli.main`.
"""

import multiprocessing
import sys

from movenet_studio.cli import main

if __name__ == "__main__":
    # batch / eval --workers start a local dask cluster of spawned processes: in a frozen
    # app each of them is this executable with multiprocessing's arguments.
    multiprocessing.freeze_support()
    sys.exit(main())
