"""Hostile files of issue 14, built in the tests (never checked in): FIFOs and device-node
copies, a PNG decompression bomb, malformed COCO annotation files, ONNX models with external
data (and a decoy) or with outputs that misbehave only on real frames.

Each builder writes where the caller says (``tmp_path``) and returns the path(s); no fixtures
and no side effects at import time.
"""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np


def external_data_onnx(folder: Path, location: str = "w.bin", value: float = 0.5, name: str = "ext.onnx") -> Path:
    """A MoveNet-shaped ONNX model (uint8[1,192,192,3] -> float32[1,1,17,3]) whose output is an
    initializer stored as external data at `location` (relative to `folder`, written there
    when it stays inside it), every value `value`."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = numpy_helper.from_array(np.full((1, 1, 17, 3), value, np.float32), "w")
    payload = weights.raw_data
    weights.ClearField("raw_data")
    weights.data_location = TensorProto.EXTERNAL
    for key, entry in (("location", location), ("offset", "0"), ("length", str(len(payload)))):
        weights.external_data.add(key=key, value=entry)
    image = helper.make_tensor_value_info("image", TensorProto.UINT8, [1, 192, 192, 3])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 1, 17, 3])
    graph = helper.make_graph([helper.make_node("Identity", ["w"], ["out"])], "external", [image], [out], [weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    path = folder / name
    path.write_bytes(model.SerializeToString())
    if ".." not in location and not Path(location).is_absolute():
        (folder / location).write_bytes(payload)
    return path


def decoy_weights(folder: Path, location: str = "w.bin", value: float = 0.9) -> Path:
    """The bytes a decoy `location` in `folder` (e.g. the current folder) holds: 51 x `value`."""
    path = Path(folder) / location
    path.write_bytes(np.full(51, value, np.float32).tobytes())
    return path


# ---------------------------------------------------------------- special files, bombs, annotations

def device_copies(folder: Path) -> dict[str, Path]:
    """``null`` and ``full``: copies of /dev/null and /dev/full (mknod; needs root, else {})."""
    import os
    import stat

    folder.mkdir(parents=True, exist_ok=True)
    nodes = {}
    for name, (major, minor) in (("null", (1, 3)), ("full", (1, 7))):
        try:
            os.mknod(folder / name, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
        except (PermissionError, AttributeError):
            return {}
        nodes[name] = folder / name
    return nodes


def fifo(path: Path) -> Path:
    """A named pipe at `path` (opening it for reading blocks until a writer comes)."""
    import os

    os.mkfifo(path)
    return Path(path)


def png_bomb(path: Path, width: int = 40000, height: int = 40000) -> Path:
    """A 1x1 PNG whose IHDR claims `width` x `height` (CRC fixed up): a decompression bomb's header."""
    import zlib

    ok, data = cv2.imencode(".png", np.zeros((1, 1, 3), np.uint8))
    assert ok
    data = bytearray(data.tobytes())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    Path(path).write_bytes(bytes(data))
    return Path(path)


def coco_document() -> dict:
    """A valid one-image, one-person COCO keypoint document (``pose.jpg``, 1000 x 667)."""
    keypoints = []
    for k in range(17):
        keypoints += [400 + 10 * k, 150 + 20 * k, 2]
    return {"images": [{"id": 1, "file_name": "pose.jpg", "width": 1000, "height": 667}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "num_keypoints": 17,
                             "bbox": [350.0, 100.0, 300.0, 500.0], "area": 150000.0, "keypoints": keypoints}],
            "categories": [{"id": 1, "name": "person", "keypoints": [f"k{i}" for i in range(17)]}]}


#: Malformed annotation files: name -> (edit of :func:`coco_document` as a function, JSON path reported).
def _set(path: list, value):
    def edit(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return doc
    return edit


_DELETE = object()
BAD_ANNOTATIONS = {
    "no-width": (_set(["images", 0, "width"], _DELETE), "$.images[0]: missing \"width\""),
    "no-height": (_set(["images", 0, "height"], _DELETE), "$.images[0]: missing \"height\""),
    "no-image-id": (_set(["images", 0, "id"], _DELETE), "$.images[0]: missing \"id\""),
    "no-file-name": (_set(["images", 0, "file_name"], _DELETE), "$.images[0]: missing \"file_name\""),
    "no-keypoints-category": (_set(["categories", 0, "keypoints"], _DELETE), "no category with 17 keypoints"),
    "width-string": (_set(["images", 0, "width"], "wide"), "$.images[0].width"),
    "keypoints-dict": (_set(["annotations", 0, "keypoints"], {"x": 1}), "$.annotations[0].keypoints"),
    "keypoint-nan": (_set(["annotations", 0, "keypoints", 4], "NaN"), "$.annotations[0].keypoints[4]"),
    "huge-box": (_set(["annotations", 0, "bbox"], [0, 0, 1e7, 1e7]), "$.annotations[0].bbox"),
    "escaping-file-name": (_set(["images", 0, "file_name"], "../../etc/passwd"), "$.images[0].file_name"),
    "images-not-list": (_set(["images"], {"id": 1}), "$.images"),
}


def bad_annotation_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Every :data:`BAD_ANNOTATIONS` file plus ``deep`` (lists nested 100000 deep) and
    ``huge-int`` (a 5000-digit id): name -> (path, text the error must contain)."""
    import copy
    import json

    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, (edit, expected) in BAD_ANNOTATIONS.items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(edit(copy.deepcopy(coco_document()))))
        files[name] = (path, expected)
    deep = folder / "deep.json"
    deep.write_text('{"images": ' + "[" * 100000 + "]" * 100000 + ', "annotations": [], "categories": []}')
    files["deep"] = (deep, "nested too deeply")
    huge = folder / "huge-int.json"
    huge.write_text(json.dumps(coco_document()).replace('"id": 1,', '"id": ' + "9" * 5000 + ",", 1))
    files["huge-int"] = (huge, "not valid JSON")
    return files


def huge_output_onnx(path: Path, value: float = 1e30) -> Path:
    """A MoveNet-shaped ONNX model whose output is `value` wherever the image is non-zero and 0.5
    on a blank image: it passes the probe (blank input) and misbehaves on real frames."""
    import onnx
    from onnx import TensorProto, helper

    nodes = [
        helper.make_node("Cast", ["image"], ["f"], to=TensorProto.FLOAT),
        helper.make_node("ReduceMax", ["f"], ["m"], keepdims=0),
        helper.make_node("Constant", [], ["zero"], value=helper.make_tensor("z", TensorProto.FLOAT, [], [0.0])),
        helper.make_node("Greater", ["m", "zero"], ["lit"]),
        helper.make_node("Constant", [], ["bad"], value=helper.make_tensor(
            "b", TensorProto.FLOAT, [1, 1, 17, 3], np.full(51, value, np.float32))),
        helper.make_node("Constant", [], ["good"], value=helper.make_tensor(
            "g", TensorProto.FLOAT, [1, 1, 17, 3], np.full(51, 0.5, np.float32))),
        helper.make_node("Where", ["lit", "bad", "good"], ["out"]),
    ]
    image = helper.make_tensor_value_info("image", TensorProto.UINT8, [1, 192, 192, 3])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 1, 17, 3])
    model = helper.make_model(helper.make_graph(nodes, "huge", [image], [out]),
                              opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    onnx.checker.check_model(model)
    Path(path).write_bytes(model.SerializeToString())
    return Path(path)


def _keypoints_model(path: Path, nodes: list, name: str) -> Path:
    """Save a graph uint8[1,192,192,3] `image` -> `out`, declared float32[1,1,17,3]."""
    import onnx
    from onnx import TensorProto, helper

    image = helper.make_tensor_value_info("image", TensorProto.UINT8, [1, 192, 192, 3])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 1, 17, 3])
    model = helper.make_model(helper.make_graph(nodes, name, [image], [out]),
                              opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    Path(path).write_bytes(model.SerializeToString())
    return Path(path)


def lying_shape_onnx(path: Path) -> Path:
    """Declares float32[1,1,17,3] but returns [1,17,3] (the same 51 values, 0.5 each)."""
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Constant", [], ["out"], value=helper.make_tensor(
        "v", TensorProto.FLOAT, [1, 17, 3], np.full(51, 0.5, np.float32)))]
    return _keypoints_model(path, nodes, "lying")


def shape_changing_onnx(path: Path) -> Path:
    """Declares and returns float32[1,1,17,3] on a blank image (the load-time probe) but
    [1,2,17,3] (102 values) on any image with a non-zero pixel: real frames."""
    from onnx import TensorProto, helper

    nodes = [
        helper.make_node("Cast", ["image"], ["f"], to=TensorProto.FLOAT),
        helper.make_node("ReduceMax", ["f"], ["m"], keepdims=0),
        helper.make_node("Constant", [], ["zero"], value=helper.make_tensor("z", TensorProto.FLOAT, [], [0.0])),
        helper.make_node("Greater", ["m", "zero"], ["lit"]),
        helper.make_node("Cast", ["lit"], ["extra"], to=TensorProto.INT64),
        helper.make_node("Constant", [], ["ones"], value=helper.make_tensor("o", TensorProto.INT64, [4], [1, 1, 1, 1])),
        helper.make_node("Constant", [], ["axis1"], value=helper.make_tensor("a", TensorProto.INT64, [4], [0, 1, 0, 0])),
        helper.make_node("Mul", ["axis1", "extra"], ["more"]),
        helper.make_node("Add", ["ones", "more"], ["repeats"]),
        helper.make_node("Constant", [], ["good"], value=helper.make_tensor(
            "g", TensorProto.FLOAT, [1, 1, 17, 3], np.full(51, 0.5, np.float32))),
        helper.make_node("Tile", ["good", "repeats"], ["out"]),
    ]
    return _keypoints_model(path, nodes, "shape_changing")
