"""Layer-by-layer comparison of two models on the same inputs (Qt-free).

:mod:`.capture` / :mod:`.onnx_capture` read every intermediate tensor, :mod:`.matching`
pairs A's tensors with B's, :mod:`.metrics` measures each pair, :mod:`.runner` drives both
on the same model inputs, :mod:`.report` prints, writes JSON and Model Explorer node data.
"""
