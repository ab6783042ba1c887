"""The numpy decode against the model's own output (real models, real media) and on random heads."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from movenet_studio.core.backends.tflite import TFLiteBackend
from movenet_studio.core.decoding.decode import centre_weight_map, decode_singlepose
from movenet_studio.core.decoding.heads import Heads
from movenet_studio.core.models.catalog import bundled_model


def _graph_centre_weights(backend: TFLiteBackend) -> np.ndarray:
    """The weight map constant the graph multiplies the centre sigmoid with (found by topology)."""
    interpreter = backend.interpreter
    details = {d["index"]: d for d in interpreter.get_tensor_details()}
    ops = [op for op in interpreter._get_ops_details() if op["op_name"] != "DELEGATE"]
    producer = {int(o): op for op in ops for o in op["outputs"]}
    sigmoid = backend.head_tensors.centre_sigmoid.index
    mul = next(op for op in ops if op["op_name"] == "MUL" and sigmoid in [int(i) for i in op["inputs"]])
    const = next(int(i) for i in mul["inputs"] if int(i) != sigmoid)
    if const in producer and producer[const]["op_name"] == "DEQUANTIZE":  # float16 constant
        const = int(producer[const]["inputs"][0])
    value = interpreter.get_tensor(const)
    scale, zero_point = details[const]["quantization"]
    if scale:
        return (value.astype(np.float32) - zero_point) * scale
    return value.astype(np.float32)


@pytest.mark.parametrize("key, differing", [("lightning-float16", 0), ("thunder-float16", 8)])
def test_centre_weight_map_is_the_graphs_float16_constant(key, differing):
    backend = TFLiteBackend(bundled_model(key), heads=True)
    try:
        graph = _graph_centre_weights(backend)[..., 0]
    finally:
        backend.close()
    ours = centre_weight_map(graph.shape[0])
    diff = ours != graph
    assert diff.sum() == differing
    # Where they differ, ours is one float16 step (2**-16 here) lower, far from the centre.
    np.testing.assert_allclose(graph[diff] - ours[diff], 2.0 ** -16)
    assert np.all(np.hypot(*(np.argwhere(diff) - graph.shape[0] / 2).T) > 35)


def _run(key: str, media):
    """Yield (model output [17, 3], heads, graph centre argmax, graph keypoint argmax) per frame,
    from one interpreter per model (the heads are only valid until the next frame)."""
    from media import argmax_outputs

    spec = bundled_model(key)
    backend = TFLiteBackend(spec, heads=True)
    try:
        argmax = argmax_outputs(backend.interpreter)
        for model_input, _ in media(spec.input_size):
            output = backend.invoke(model_input)[0][0, 0].copy()
            yield (output, backend.heads(), backend.interpreter.get_tensor(argmax[1]).ravel(),
                   backend.interpreter.get_tensor(argmax[17]).ravel())
    finally:
        backend.close()


@pytest.mark.parametrize("key", ["lightning-float16", "thunder-float16"])
def test_decode_reproduces_the_float16_model(key):
    from media import letterboxed_media

    worst = np.zeros(3)
    frames = 0
    for output, heads, centre_argmax, keypoint_argmax in _run(key, letterboxed_media):
        frames += 1
        steps = decode_singlepose(heads)
        s = heads.size
        assert steps.centre_cell == divmod(int(centre_argmax[0]), s)
        np.testing.assert_array_equal(steps.keypoint_cells, np.stack(np.divmod(keypoint_argmax, s), -1))
        diff = np.abs(steps.keypoints - output).max(axis=0)
        worst = np.maximum(worst, diff)
        assert np.all(diff <= 1e-3), diff
    assert frames == 121
    print(f"{key}: max |diff| over {frames} frames (y, x, score) = {worst}")


@pytest.mark.parametrize("key", ["lightning-int8", "thunder-int8"])
def test_decode_agreement_with_the_int8_model(key):
    """int8 graphs decode in quantized arithmetic (the centre x weight product at ~7e-4 steps,
    squared distances at ~23 cells^2 steps, then argmax of int8 ties), so the float decode picks
    other cells often; positions stay close and, at the same cell, values agree to the int8
    output step (1/248)."""
    from media import letterboxed_media

    centre_same = cells_same = near = total = frames = 0
    same_cell_diff = np.zeros(3)
    for output, heads, centre_argmax, keypoint_argmax in _run(key, letterboxed_media):
        frames += 1
        s = heads.size
        # The heatmaps are the graph's own int8 sigmoid: multiples of 1/256.
        assert np.array_equal(heads.keypoint_heatmaps * 256, np.round(heads.keypoint_heatmaps * 256))
        steps = decode_singlepose(heads)
        centre_same += steps.centre_cell == divmod(int(centre_argmax[0]), s)
        same = np.all(steps.keypoint_cells == np.stack(np.divmod(keypoint_argmax, s), -1), axis=1)
        cells_same += int(same.sum())
        near += int((np.abs(steps.keypoints[:, :2] - output[:, :2]).max(axis=1) * s <= 1.0).sum())
        total += len(same)
        if same.any():
            same_cell_diff = np.maximum(same_cell_diff, np.abs(steps.keypoints[same] - output[same]).max(axis=0))
    print(f"{key}: centre cell same {centre_same}/{frames} frames; keypoint cell same {cells_same / total:.3f}; "
          f"within 1 cell {near / total:.3f}; at the same cell max |diff| (y, x, score) = {same_cell_diff}")
    assert cells_same / total >= 0.5
    assert near / total >= 0.92
    assert np.all(same_cell_diff[:2] <= 0.006) and same_cell_diff[2] <= 0.003


# ---- the decode on synthetic heads -------------------------------------------------------------


def _reference_decode(heads: Heads) -> tuple[tuple[int, int], np.ndarray, np.ndarray]:
    """The graph's decode written with loops, one cell at a time (float32 like the graph)."""
    s = heads.size
    f32 = np.float32
    weights = centre_weight_map(s)
    best, centre = None, (0, 0)
    for y in range(s):
        for x in range(s):
            value = f32(heads.centre[y, x]) * weights[y, x]
            if best is None or value > best:
                best, centre = value, (y, x)
    cells, keypoints = [], []
    bias, inv = f32(np.float16(1.8)), f32(np.float16(1.0 / s))
    for k in range(17):
        ry = f32(centre[0]) + heads.regression[centre[0], centre[1], 2 * k]
        rx = f32(centre[1]) + heads.regression[centre[0], centre[1], 2 * k + 1]
        best, cell = None, (0, 0)
        for y in range(s):
            for x in range(s):
                value = heads.keypoint_heatmaps[y, x, k] / (np.sqrt((ry - f32(y)) ** 2 + (rx - f32(x)) ** 2) + bias)
                if best is None or value > best:
                    best, cell = value, (y, x)
        cells.append(cell)
        oy, ox = heads.offsets[cell[0], cell[1], 2 * k:2 * k + 2]
        keypoints.append(((f32(cell[0]) + oy) * inv, (f32(cell[1]) + ox) * inv, heads.keypoint_heatmaps[cell[0], cell[1], k]))
    return centre, np.array(cells), np.array(keypoints, dtype=np.float32)


def _heads(centre, heatmaps, regression, offsets) -> Heads:
    s = centre.shape[0]
    return Heads(centre, heatmaps, regression, offsets, (4 * s, 4 * s))


@st.composite
def random_heads(draw):
    s = draw(st.integers(2, 9))
    unit = st.floats(0, 1, width=32)
    # Few distinct values so that ties (first max in row-major order) really happen.
    coarse = st.sampled_from([0.0, 0.25, 0.5, 1.0]).map(np.float32)
    prob = draw(st.sampled_from([unit, coarse]))
    centre = draw(arrays(np.float32, (s, s), elements=prob))
    heatmaps = draw(arrays(np.float32, (s, s, 17), elements=prob))
    regression = draw(arrays(np.float32, (s, s, 34), elements=st.floats(-2 * s, 2 * s, width=32)))
    offsets = draw(arrays(np.float32, (s, s, 34), elements=st.floats(-1.5, 1.5, width=32)))
    return _heads(centre, heatmaps, regression, offsets)


@settings(max_examples=60, deadline=None)
@given(random_heads())
def test_decode_properties_on_random_heads(heads):
    steps = decode_singlepose(heads)
    s = heads.size
    assert steps.keypoints.shape == (17, 3) and steps.keypoints.dtype == np.float32
    assert steps.keypoint_cells.shape == (17, 2) and steps.offsets.shape == (17, 2)
    assert steps.rough_keypoints.shape == (17, 2) and steps.centre_weights.shape == (s, s)
    assert 0 <= steps.centre_cell[0] < s and 0 <= steps.centre_cell[1] < s
    assert np.all((steps.keypoint_cells >= 0) & (steps.keypoint_cells < s))
    ky, kx = steps.keypoint_cells.T
    assert np.array_equal(steps.keypoints[:, 2], heads.keypoint_heatmaps[ky, kx, np.arange(17)])
    # Positions: (cell + offset) / S with |offset| <= 1.5 cells.
    assert np.all(steps.keypoints[:, :2] >= -1.5 / s - 1e-6) and np.all(steps.keypoints[:, :2] <= (s + 0.5) / s + 1e-6)
    cy, cx = steps.centre_cell
    np.testing.assert_array_equal(steps.rough_keypoints, np.float32([cy, cx]) + heads.regression[cy, cx].reshape(17, 2))
    # Exactly the loop-by-loop reference, ties included.
    centre, cells, keypoints = _reference_decode(heads)
    assert steps.centre_cell == centre
    np.testing.assert_array_equal(steps.keypoint_cells, cells)
    np.testing.assert_array_equal(steps.keypoints, keypoints)


def test_ties_resolve_to_the_first_cell_in_row_major_order():
    s = 8
    zeros = np.zeros((s, s), np.float32)
    steps = decode_singlepose(_heads(zeros, np.zeros((s, s, 17), np.float32),
                                     np.zeros((s, s, 34), np.float32), np.zeros((s, s, 34), np.float32)))
    assert steps.centre_cell == (0, 0)
    assert np.all(steps.keypoint_cells == 0) and np.all(steps.keypoints == 0)
    # Flat centre map: the weight map alone decides, its maximum is at (S/2, S/2).
    heatmaps = np.zeros((s, s, 17), np.float32)
    heatmaps[2, 4, :] = heatmaps[4, 2, :] = 0.7  # equidistant from the rough keypoint (3, 3)
    regression = np.full((s, s, 34), -1.0, np.float32)
    steps = decode_singlepose(_heads(np.ones((s, s), np.float32), heatmaps, regression, np.zeros((s, s, 34), np.float32)))
    assert steps.centre_cell == (4, 4)
    np.testing.assert_array_equal(steps.rough_keypoints, np.full((17, 2), 3.0, np.float32))
    assert np.all(steps.keypoint_cells == [2, 4])  # (2, 4) comes before (4, 2) in row-major order
    np.testing.assert_allclose(steps.keypoints[:, 2], 0.7)


def test_decode_rejects_non_square_heads():
    heads = Heads(np.zeros((4, 5), np.float32), np.zeros((4, 5, 17), np.float32),
                  np.zeros((4, 5, 34), np.float32), np.zeros((4, 5, 34), np.float32), (16, 20))
    with pytest.raises(ValueError):
        decode_singlepose(heads)
