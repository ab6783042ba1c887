"""Inference backends behind one small protocol (:class:`~.base.Backend`) and a registry (:mod:`.registry`).

The window and the command line use only what this package exports; they never import a
specific backend's module.
"""

from .base import Backend
from .registry import (BACKENDS, available_backends, available_providers, create_backend, default_backend,
                       normalize_provider, register_backend, runtime_version)

__all__ = ["BACKENDS", "Backend", "available_backends", "available_providers", "create_backend",
           "default_backend", "normalize_provider", "register_backend", "runtime_version"]
