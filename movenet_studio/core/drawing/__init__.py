"""Drawing overlays on numpy frames: the renderer, its style, colour maps and overlay geometry."""
