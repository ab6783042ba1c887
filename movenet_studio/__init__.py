"""MoveNet Studio: a desktop visual inspector for Google's MoveNet pose-estimation models."""

__version__ = "0.1.0"
