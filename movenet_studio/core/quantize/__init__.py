"""``quantize``: drive ai-edge-quantizer (TFLite) and ONNX Runtime's quantization (ONNX) with
MoveNet's structure: normalised model files, calibration frames from the pipeline's own
preprocessing, the in-graph decode tail kept float, and a repair search by keypoint impact.

Modules: :mod:`.normalise_tflite`, :mod:`.normalise_onnx` (make the files the libraries can
take), :mod:`.graph_blocks` (backbone stages, FPN levels, heads, decode tail), :mod:`.frames`
(calibration and held-out model inputs), :mod:`.tflite_driver`, :mod:`.onnx_driver` (the
libraries), :mod:`.impact` (keypoint error against float), :mod:`.repair` (the greedy
search), :mod:`.recipe` and :mod:`.report`, and :mod:`.job` (the whole run, with progress
and cancel).
"""
