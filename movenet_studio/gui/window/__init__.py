"""The main window: its construction, menus, sources, messages and the controllers it wires."""
