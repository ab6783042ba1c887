"""The window's panels: heads, latency, keypoints, timeline, layers, classification, model info."""
