"""Finding MoveNet's heads in the bundled TFLite graphs, reading them, and their geometry."""

from __future__ import annotations

import numpy as np
import pytest

from movenet_studio.core.backends.tflite import TFLiteBackend
from movenet_studio.core.decoding.decode import decode_singlepose
from movenet_studio.core.decoding.heads import (HEAD_CHANNELS, MEASURED_CELL_CENTRE, Heads, dequantize, head_scope,
                                                heatmap_extent, heatmap_rect_in_frame, locate_heads)
from movenet_studio.core.models.catalog import bundled_keys, bundled_model
from movenet_studio.core.preprocessing.letterbox import letterbox
from movenet_studio.core.preprocessing.mapping import InputMapping
from movenet_studio.core.runtimes import litert

OFFSET_NAME = ("StatefulPartitionedCall/kpt_offset_0/conv2d_7/BiasAdd/BiasAdd;StatefulPartitionedCall/"
               "kpt_regress_0/conv2d_6/BiasAdd/Conv2D;StatefulPartitionedCall/kpt_offset_0/conv2d_7/BiasAdd/Conv2D;Const_5")


def test_head_scope_uses_the_leading_op_path():
    assert head_scope(OFFSET_NAME) == "offsets"
    assert head_scope("StatefulPartitionedCall/kpt_regress_0/conv2d_6/BiasAdd/BiasAdd;"
                      "StatefulPartitionedCall/kpt_regress_0/conv2d_6/BiasAdd/Conv2D;Const_24") == "regression"
    assert head_scope("StatefulPartitionedCall/center_0/conv2d_4/BiasAdd/BiasAdd;x") == "centre"
    assert head_scope("StatefulPartitionedCall/kpt_heatmap_0/conv2d_7/BiasAdd/BiasAdd") == "keypoint_heatmaps"
    # A later fused name never counts, nor does the scope deeper in the path.
    assert head_scope("StatefulPartitionedCall/Sigmoid;StatefulPartitionedCall/center_0/x") is None
    assert head_scope("StatefulPartitionedCall/model/center_0/conv") is None
    assert head_scope("StatefulPartitionedCall/box_offset_0/conv2d_6/BiasAdd/BiasAdd") is None
    assert head_scope("center_0") is None
    assert head_scope("") is None


def _detail(index, name, shape, dtype=np.float32, quant=(0.0, 0)):
    return {"index": index, "name": name, "shape": np.array(shape), "dtype": dtype, "quantization": quant}


def test_locate_heads_on_fake_lists():
    s = 48
    good = [
        _detail(1, "P/center_0/conv2d_4/BiasAdd/BiasAdd", [1, s, s, 1]),
        _detail(2, "P/center_0/re_lu_3/Relu/Relu", [1, s, s, 96]),
        _detail(3, "P/kpt_heatmap_0/conv2d_5/BiasAdd/BiasAdd", [1, s, s, 17]),
        _detail(4, OFFSET_NAME, [1, s, s, 34], np.int8, (0.2, -6)),
        _detail(5, "P/kpt_regress_0/conv2d_6/BiasAdd/BiasAdd", [1, s, s, 34]),
        _detail(6, "P/Sigmoid", [1, s, s, 17]),
    ]
    found = locate_heads(good, (192, 192))
    assert found is not None
    assert (found.centre.index, found.keypoint_heatmaps.index, found.offsets.index, found.regression.index) == (1, 3, 4, 5)
    assert found.offsets.quantized and found.offsets.scale == pytest.approx(0.2) and found.offsets.zero_point == -6
    assert found.centre_sigmoid is None and found.heatmap_sigmoid is None  # no op list given
    ops = [{"op_name": "LOGISTIC", "inputs": np.array([3]), "outputs": np.array([6])}]
    assert locate_heads(good, (192, 192), ops).heatmap_sigmoid.index == 6
    # Wrong input size: the shapes no longer fit.
    assert locate_heads(good, (256, 256)) is None
    # No heads at all (an unknown graph must still run).
    assert locate_heads([_detail(0, "serving_default_input:0", [1, 192, 192, 3]),
                         _detail(1, "StatefulPartitionedCall:0", [1, 1, 17, 3])], (192, 192)) is None
    # A missing head is as good as none.
    assert locate_heads([d for d in good if d["index"] != 5], (192, 192)) is None


@pytest.mark.parametrize("key", bundled_keys())
def test_heads_found_in_every_bundled_tflite(key):
    spec = bundled_model(key)
    backend = TFLiteBackend(spec, heads=True)
    try:
        found = backend.head_tensors
        assert found is not None and backend.heads_available
        s = spec.input_size[0] // 4
        assert found.heatmap_size == (s, s)
        for name, channels in HEAD_CHANNELS.items():
            ref = getattr(found, name)
            assert ref.shape == (1, s, s, channels), name
            assert head_scope(ref.name) == name
        # The fused offsets name mentions kpt_regress_0: the regression head is another tensor.
        assert found.offsets.name.startswith("StatefulPartitionedCall/kpt_offset_0/")
        assert "kpt_regress_0" in found.offsets.name and found.offsets.index != found.regression.index
        assert found.regression.name.startswith("StatefulPartitionedCall/kpt_regress_0/")
        # The graph's own sigmoids, found by topology (their names do not tell which head).
        assert found.centre_sigmoid is not None and found.centre_sigmoid.shape == (1, s, s, 1)
        assert found.heatmap_sigmoid is not None and found.heatmap_sigmoid.shape == (1, s, s, 17)
        if spec.precision == "int8":
            assert all(getattr(found, n).dtype == "int8" and getattr(found, n).quantized for n in HEAD_CHANNELS)
            assert found.heatmap_sigmoid.scale == pytest.approx(1 / 256)

        image = np.zeros((*spec.input_size, 3), np.uint8)
        assert backend.heads() is None  # nothing invoked yet
        backend.invoke(image)
        heads = backend.heads()
        assert isinstance(heads, Heads)
        assert heads.size == s and heads.stride == 4.0 and heads.input_size == spec.input_size
        assert heads.centre.shape == (s, s) and heads.keypoint_heatmaps.shape == (s, s, 17)
        assert heads.regression.shape == (s, s, 34) and heads.offsets.shape == (s, s, 34)
        for array in (heads.centre, heads.keypoint_heatmaps, heads.regression, heads.offsets):
            assert array.dtype == np.float32 and np.isfinite(array).all()
        assert 0.0 <= heads.centre.min() and heads.keypoint_heatmaps.max() <= 1.0
        assert backend.heads() is heads  # read once per invoke
    finally:
        backend.close()


def test_heads_off_backend_preserves_nothing_and_reads_nothing(monkeypatch):
    made, reads = [], []
    real_cls = litert.interpreter_class()

    class Recording(real_cls):
        def __init__(self, *args, **kwargs):
            made.append(kwargs)
            super().__init__(*args, **kwargs)

        def get_tensor(self, index, *args):
            reads.append(index)
            return super().get_tensor(index, *args)

        def get_tensor_details(self):
            raise AssertionError("heads=False must not scan the tensors")

    monkeypatch.setattr(litert, "interpreter_class", lambda: Recording)
    backend = TFLiteBackend(bundled_model("lightning"), heads=False)
    (out,) = backend.invoke(np.zeros((192, 192, 3), np.uint8))
    assert out.shape == (1, 1, 17, 3)
    assert made and made[0]["experimental_preserve_all_tensors"] is False
    assert reads == [backend._outputs[0]["index"]]  # only the output is read
    assert backend.heads() is None and not backend.heads_available and backend.head_tensors is None


def test_dequantize():
    q = np.array([-128, -6, 0, 127], np.int8)
    np.testing.assert_allclose(dequantize(q, 0.5, -6), [-61.0, 0.0, 3.0, 66.5])
    assert dequantize(q, 0.5, -6).dtype == np.float32
    # 1/256 sigmoid grid of the int8 graphs: zero point -128 maps -128..127 to 0..255/256.
    np.testing.assert_allclose(dequantize(np.array([-128, 127], np.int8), 1 / 256, -128), [0.0, 255 / 256])


def test_heatmap_extent():
    assert heatmap_extent(48) == (0.0, 1.0)  # default: cell i covers [i/S, (i+1)/S]
    assert heatmap_extent(48, MEASURED_CELL_CENTRE) == (0.0, 1.0)
    lo, hi = heatmap_extent(48, 0.0)  # cell i centred at i/S, spanning [(i-0.5)/S, (i+0.5)/S]
    assert lo == pytest.approx(-0.5 / 48) and hi == pytest.approx(47.5 / 48)
    with pytest.raises(ValueError):
        heatmap_extent(0)


@pytest.mark.parametrize("cell_centre", [0.0, MEASURED_CELL_CENTRE])
def test_heatmap_rect_in_frame_matches_input_mapping(cell_centre):
    # A letterbox of a 1000 x 667 frame into 192 x 192 pads rows; the rect spans the padding too.
    mapping = InputMapping(box=(-0.25, 0.0, 1.25, 1.0), frame_size=(667, 1000), input_size=(192, 192))
    x, y, w, h = heatmap_rect_in_frame(mapping, 48, cell_centre)
    fx, fy, fw, fh = mapping.frame_rect()
    assert w == pytest.approx(fw) and h == pytest.approx(fh)  # S cells of 1/S each
    shift = (cell_centre - 0.5) / 48
    assert x == pytest.approx(fx + shift * fw) and y == pytest.approx(fy + shift * fh)
    # The centre of cell (i, j) in the rect is model-input position ((i, j) + cell_centre) / S.
    i, j = 10, 37
    cx, cy = mapping.to_frame(np.array([(i + cell_centre) / 48, (j + cell_centre) / 48]))
    assert cx == pytest.approx(x + (j + 0.5) * w / 48, abs=1e-3)
    assert cy == pytest.approx(y + (i + 0.5) * h / 48, abs=1e-3)
    assert heatmap_rect_in_frame(mapping, (48, 48), cell_centre) == (x, y, w, h)


def _peak(values: np.ndarray, i: int) -> float:
    """Sub-cell peak of a 1-D log-heatmap around index i (parabola through 3 samples)."""
    a, b, c = values[i - 1:i + 2]
    curvature = a - 2 * b + c
    return i + (0.5 * (a - c) / curvature if curvature < 0 else 0.0)


@pytest.mark.parametrize("cell_centre, expected_misalignment", [(0.0, 0.5), (MEASURED_CELL_CENTRE, 0.0)])
def test_decoded_keypoints_and_heatmaps_in_the_frame(cell_centre, expected_misalignment):
    """Exact: a decoded keypoint sits in the frame at its chosen cell's rect + offset, so it lies
    inside that rect iff its offset is in [c - 0.5, c + 0.5). Measured: heatmap blobs drawn
    with the default convention sit half a cell up-left of the keypoints, with
    MEASURED_CELL_CENTRE on them."""
    from media import image, letterboxed_media

    spec = bundled_model("lightning")
    backend = TFLiteBackend(spec, heads=True)
    try:
        frames = [letterbox(image("pose.jpg"), spec.input_size)] + letterboxed_media(spec.input_size)[::4]
        misalignment = []
        inside_count = total = 0
        lo, hi = cell_centre - 0.5, cell_centre + 0.5
        for model_input, mapping in frames:
            backend.invoke(model_input)
            heads = backend.heads()
            steps = decode_singlepose(heads)
            s = heads.size
            x, y, w, h = heatmap_rect_in_frame(mapping, s, cell_centre)
            cell_w, cell_h = w / s, h / s
            cell_x0 = x + steps.keypoint_cells[:, 1] * cell_w
            cell_y0 = y + steps.keypoint_cells[:, 0] * cell_h
            # Exactly: position (cell + offset) / S lands at the cell rect's edge + (offset - lo) cells.
            exact = mapping.to_frame((steps.keypoint_cells + steps.offsets.astype(np.float64)) / s).astype(np.float64)
            np.testing.assert_allclose(exact[:, 0], cell_x0 + (steps.offsets[:, 1] - lo) * cell_w, atol=1e-3)
            np.testing.assert_allclose(exact[:, 1], cell_y0 + (steps.offsets[:, 0] - lo) * cell_h, atol=1e-3)
            # The decode (like the graph) multiplies by float16(1/S), 2.4e-4 short of 1/S for S = 48:
            # under 0.3 px in a 1000 px frame, about a hundredth of a cell.
            xy = mapping.to_frame(steps.keypoints[:, :2]).astype(np.float64)
            np.testing.assert_allclose(xy, exact, atol=0.3)
            inside = ((cell_x0 <= xy[:, 0]) & (xy[:, 0] < cell_x0 + cell_w)
                      & (cell_y0 <= xy[:, 1]) & (xy[:, 1] < cell_y0 + cell_h))
            clearly_in = np.all((steps.offsets > lo + 0.01) & (steps.offsets < hi - 0.01), axis=1)
            clearly_out = np.any((steps.offsets < lo - 0.01) | (steps.offsets > hi + 0.01), axis=1)
            assert inside[clearly_in].all() and not inside[clearly_out].any()
            inside_count += int(inside.sum())
            total += len(inside)
            # Where the heatmap blob of a confident keypoint peaks (sample p is drawn at the
            # centre of rect cell p), relative to the keypoint, in cells.
            log_heat = np.log(np.clip(heads.keypoint_heatmaps, 1e-6, 1.0))
            for k in np.flatnonzero(steps.keypoints[:, 2] > 0.3):
                i, j = steps.keypoint_cells[k]
                if 0 < i < s - 1 and 0 < j < s - 1:
                    peak_x = x + (_peak(log_heat[i, :, k], j) + 0.5) * cell_w
                    peak_y = y + (_peak(log_heat[:, j, k], i) + 0.5) * cell_h
                    misalignment.append(((xy[k, 0] - peak_x) / cell_w, (xy[k, 1] - peak_y) / cell_h))
        median = np.median(np.array(misalignment), axis=0)
        print(f"cell_centre {cell_centre}: keypoints inside their cell's rect {inside_count}/{total}; "
              f"keypoint - heatmap peak, median in cells (x, y) {median.round(3)} over {len(misalignment)}")
        assert len(misalignment) > 100 and np.all(np.abs(median - expected_misalignment) < 0.15)
    finally:
        backend.close()
