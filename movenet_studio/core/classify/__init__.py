"""Pose classification: classifiers in the TFLite tutorial's format, per-frame classes, repetitions."""
