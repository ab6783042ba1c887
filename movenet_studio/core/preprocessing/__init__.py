"""Preparing the model input, in one room: letterbox, the preprocessing profile (channel order,
resize mode, interpolation), crop-and-resize with its TF.js-exact kernel, MultiPose's input, and
the mapping of model-input coordinates back to frame pixels (:mod:`.mapping`, a leaf).
"""
