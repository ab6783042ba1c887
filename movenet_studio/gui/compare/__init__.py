"""Compare mode: configuration B's controls, controller, view and table."""
