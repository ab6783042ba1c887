"""Dialogs: benchmark, export, keyboard shortcuts, log folder."""
