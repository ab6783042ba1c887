"""Tracking over time: the crop region and its crop-and-resize, One Euro smoothing, MultiPose track ids."""
