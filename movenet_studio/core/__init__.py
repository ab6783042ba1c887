"""Qt-free core of MoveNet Studio: models, backends, decode, crop tracking, pipeline, I/O.

Nothing below this package imports Qt; everything here runs headless (CLI, tests, export).
"""
