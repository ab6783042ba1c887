"""Heads and decode: keypoint sets, the four heads, single-pose and MultiPose decode, output kinds."""
