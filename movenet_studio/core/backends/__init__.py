"""Inference runtimes behind one small protocol (:class:`~.base.Backend`) and a registry."""

from .base import BACKENDS, Backend, create_backend, register_backend

__all__ = ["BACKENDS", "Backend", "create_backend", "register_backend"]
