"""Outputs of a run: annotated video and keypoint exports, the results JSON, the heads NPZ."""
