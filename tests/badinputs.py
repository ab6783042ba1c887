"""A corpus of hostile input files, built in the tests (never checked in).

Each builder writes into a folder the caller owns (``tmp_path``) and returns the path(s).
Everything is deterministic (fixed seeds), so a failure reproduces.

Sources: truncated and byte-flipped copies of ``../shared/data/pose_1.mp4``, zero-byte and
random-byte files with image, video and model extensions, and odd but valid images
(grayscale, RGBA, 16-bit, EXIF-rotated, CMYK JPEG).

Models: a valid TFLite and a valid ONNX file that are not MoveNet, and copies of the
bundled Lightning files with corrupted header, table (graph structure) or weight bytes.

Hostile files of issue 14 (special files, bombs, annotations, misbehaving models) are built
by :mod:`hostile_files` and re-exported here.

No fixtures and no side effects at import time.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from movenet_studio.core.models.catalog import bundled_model

from hostile_files import (  # noqa: F401 (re-exported: one corpus module for the tests)
    BAD_ANNOTATIONS, bad_annotation_files, coco_document, decoy_weights, device_copies, external_data_onnx, fifo,
    huge_output_onnx, png_bomb,
)

#: Extensions of the zero-byte and random-byte files.
GARBAGE_EXTENSIONS = (".jpg", ".png", ".mp4", ".avi", ".tflite", ".onnx")
MODEL_EXTENSIONS = (".tflite", ".onnx")
#: Where pose_1.mp4 is cut, as a fraction of its size (its index, the moov atom, is at the end).
CUT_FRACTIONS = (0.02, 0.25, 0.5, 0.9, 0.995)
#: Seeds and flip counts of the byte-flipped videos (flips land in the middle half of the file).
FLIPS = ((0, 200), (1, 200), (2, 3000))
#: Parts of a model file that :func:`corrupt_model` damages (``indices``: TFLite only).
MODEL_PARTS = ("header", "table", "weights", "indices")


@dataclass(frozen=True)
class BadFile:
    """One corpus file.

    Attributes:
        path: the file.
        kind: what is wrong with it (``zero``, ``random``, ``cut``, ``flipped``, ``not_movenet``,
            ``corrupt_header``, ``corrupt_table``, ``corrupt_weights``).
        is_model: True for .tflite / .onnx files.
        must_fail: opening it can never succeed (flipped videos and weight-corrupted models
            may still decode or run: they must then do so without crashing).
    """

    path: Path
    kind: str
    is_model: bool
    must_fail: bool = True

    @property
    def id(self) -> str:
        """A short test id, e.g. ``cut-0.5.mp4``."""
        return self.path.name


def _flip(data: bytes, positions: np.ndarray, rng: np.random.Generator) -> bytes:
    out = bytearray(data)
    for pos in positions:
        out[int(pos)] ^= int(rng.integers(1, 256))  # never XOR with 0: every pick changes a byte
    return bytes(out)


# ---------------------------------------------------------------- sources and garbage

def garbage_files(folder: Path, extensions=GARBAGE_EXTENSIONS) -> list[BadFile]:
    """A zero-byte and a 4 KiB random-byte file for each extension (``zero.jpg``, ``random.jpg``, ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1234)
    files = []
    for ext in extensions:
        zero = folder / f"zero{ext}"
        zero.write_bytes(b"")
        noise = folder / f"random{ext}"
        noise.write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
        files += [BadFile(zero, "zero", ext in MODEL_EXTENSIONS), BadFile(noise, "random", ext in MODEL_EXTENSIONS)]
    return files


def cut_videos(video: Path, folder: Path, fractions=CUT_FRACTIONS) -> list[BadFile]:
    """`video` cut at each fraction of its size (``cut-0.5.mp4``, ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = Path(video).read_bytes()
    files = []
    for fraction in fractions:
        path = folder / f"cut-{fraction:g}{Path(video).suffix}"
        path.write_bytes(data[:max(1, int(len(data) * fraction))])
        files.append(BadFile(path, "cut", False))
    return files


def truncated_avi(video: Path, folder: Path, frames: int = 40, fraction: float = 0.5) -> BadFile:
    """An MJPG AVI of the first `frames` frames of `video` (half size), cut at `fraction`
    (``cut-mjpg.avi``). Unlike a cut MP4 (whose index sits at the end) it still opens and
    declares all its frames, so decoding stops in the middle."""
    folder.mkdir(parents=True, exist_ok=True)
    capture = cv2.VideoCapture(str(video))
    whole = folder / "whole-mjpg.avi"
    writer = None
    try:
        for _ in range(frames):
            ok, bgr = capture.read()
            if not ok:
                break
            small = cv2.resize(bgr, (bgr.shape[1] // 2, bgr.shape[0] // 2))
            if writer is None:
                writer = cv2.VideoWriter(str(whole), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, small.shape[1::-1])
            writer.write(small)
    finally:
        capture.release()
        if writer is not None:
            writer.release()
    data = whole.read_bytes()
    whole.unlink()
    path = folder / "cut-mjpg.avi"
    path.write_bytes(data[:int(len(data) * fraction)])
    return BadFile(path, "cut", False)


def flipped_videos(video: Path, folder: Path, flips=FLIPS) -> list[BadFile]:
    """`video` with random bytes XOR-ed in the middle half of the file (``flip-0-200.mp4``, ...).

    Such a file may still open and play some or most frames; the contract is no crash and
    either the decodable frames or a one-line error, never a traceback.
    """
    folder.mkdir(parents=True, exist_ok=True)
    data = Path(video).read_bytes()
    files = []
    for seed, count in flips:
        rng = np.random.default_rng(seed)
        positions = rng.integers(len(data) // 4, 3 * len(data) // 4, count)
        path = folder / f"flip-{seed}-{count}{Path(video).suffix}"
        path.write_bytes(_flip(data, positions, rng))
        files.append(BadFile(path, "flipped", False, must_fail=False))
    return files


# ---------------------------------------------------------------- valid models that are not MoveNet

def tiny_non_movenet_tflite(path: Path) -> Path:
    """A valid TFLite flatbuffer (ADD of two float32[1,4]) that is not MoveNet."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as s

    model = s.ModelT()
    model.version = 3
    code = s.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = s.BuiltinOperator.ADD
    model.operatorCodes = [code]
    model.buffers = [s.BufferT() for _ in range(3)]
    tensors = []
    for i, name in enumerate(("a", "b", "out")):
        tensor = s.TensorT()
        tensor.name, tensor.shape, tensor.type, tensor.buffer = name, [1, 4], s.TensorType.FLOAT32, (i + 1) % 3
        tensors.append(tensor)
    tensors[2].buffer = 0
    op = s.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0, 1], [2]
    op.builtinOptionsType, op.builtinOptions = s.BuiltinOptions.AddOptions, s.AddOptionsT()
    graph = s.SubGraphT()
    graph.tensors, graph.inputs, graph.outputs, graph.operators = tensors, [0, 1], [2], [op]
    model.subgraphs = [graph]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path = Path(path)
    path.write_bytes(builder.Output())
    return path


def tiny_non_movenet_onnx(path: Path) -> Path:
    """A valid ONNX model (one image-like input uint8[1,192,192,3] -> Identity) that is not MoveNet."""
    import onnx
    from onnx import TensorProto, helper

    image = helper.make_tensor_value_info("image", TensorProto.UINT8, [1, 192, 192, 3])
    out = helper.make_tensor_value_info("out", TensorProto.UINT8, [1, 192, 192, 3])
    graph = helper.make_graph([helper.make_node("Identity", ["image"], ["out"])], "not_movenet", [image], [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = Path(path)
    onnx.save(model, str(path))
    return path


def headless_movenet_onnx(path: Path) -> Path:
    """An ONNX model with MoveNet's signature (uint8[1,192,192,3] -> float32[1,1,17,3], every
    value 0.5) but none of its head tensors: it must run, with heads reported unavailable."""
    import onnx
    from onnx import TensorProto, helper

    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 1, 17, 3])
    image = helper.make_tensor_value_info("image", TensorProto.UINT8, [1, 192, 192, 3])
    const = helper.make_node("Constant", [], ["out"], value=helper.make_tensor(
        "v", TensorProto.FLOAT, [1, 1, 17, 3], np.full(51, 0.5, np.float32)))
    model = helper.make_model(helper.make_graph([const], "no_heads", [image], [out]),
                              opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    path = Path(path)
    onnx.save(model, str(path))
    return path


def not_movenet_models(folder: Path) -> list[BadFile]:
    """``adder.tflite`` and ``identity.onnx``: valid model files that are not MoveNet."""
    folder.mkdir(parents=True, exist_ok=True)
    return [BadFile(tiny_non_movenet_tflite(folder / "adder.tflite"), "not_movenet", True),
            BadFile(tiny_non_movenet_onnx(folder / "identity.onnx"), "not_movenet", True)]


# ---------------------------------------------------------------- corrupted MoveNet models

def _tflite_regions(data: bytes) -> dict[str, tuple[int, int]]:
    """Byte ranges (start, end) of the header, an operator table and the largest weight buffer."""
    from ai_edge_litert import schema_py_generated as s

    model = s.Model.GetRootAs(data, 0)
    graph = model.Subgraphs(0)
    # The operator tables of the subgraph: opcode indices, tensor index vectors, options.
    first, last = graph.Operators(0)._tab.Pos, graph.Operators(graph.OperatorsLength() - 1)._tab.Pos
    lo, hi = min(first, last), max(first, last)
    largest = max(range(model.BuffersLength()), key=lambda i: model.Buffers(i).DataLength())
    table = model.Buffers(largest)._tab
    offset = table.Offset(4)  # Buffer.data
    start = table.Vector(offset)
    return {"header": (0, 8), "table": (lo, hi + 16), "weights": (start, start + table.VectorLen(offset))}


def _onnx_regions(data: bytes) -> dict[str, tuple[int, int]]:
    """Byte ranges of the protobuf header, the serialized graph nodes and the largest initializer."""
    import onnx

    model = onnx.load_from_string(data)
    nodes = [n.SerializeToString() for n in model.graph.node[:40]]
    starts = [data.find(n) for n in nodes if data.find(n) >= 0]
    largest = max(model.graph.initializer, key=lambda t: len(t.raw_data))
    start = data.find(largest.raw_data)
    assert starts and start >= 0, "could not locate the nodes / weights in the serialized model"
    return {"header": (0, 16), "table": (min(starts), max(starts) + 64),
            "weights": (start, start + len(largest.raw_data))}


def _tflite_bad_indices(data: bytes) -> bytes:
    """`data` (a .tflite file) with some operators' first input tensor index set far out of
    range: the flatbuffer stays valid (the verifier passes), the graph does not."""
    from ai_edge_litert import schema_py_generated as s

    out = bytearray(data)
    graph = s.Model.GetRootAs(data, 0).Subgraphs(0)
    for k in range(0, graph.OperatorsLength(), 37):
        table = graph.Operators(k)._tab
        start = table.Vector(table.Offset(6))  # Operator.inputs
        out[start:start + 4] = struct.pack("<i", 100_000 + k)
    return bytes(out)


def corrupt_model(source: Path, part: str, path: Path, seed: int = 0) -> Path:
    """Copy `source` (a .tflite or .onnx file) to `path` with bytes of `part` damaged.

    Args:
        source: a valid model file.
        part: ``header`` (the first bytes: root offset and file identifier / first protobuf
            fields), ``table`` (operator tables / graph nodes: indices, offsets, lengths) or
            ``weights`` (random bytes inside the largest weight tensor, which still parses)
            or, TFLite only, ``indices`` (operator input indices out of range in a valid flatbuffer).
        path: where to write the damaged copy.
        seed: picks the damaged bytes.
    """
    data = Path(source).read_bytes()
    path = Path(path)
    if part == "indices":
        path.write_bytes(_tflite_bad_indices(data))
        return path
    regions = _onnx_regions(data) if Path(source).suffix == ".onnx" else _tflite_regions(data)
    start, end = regions[part]
    rng = np.random.default_rng(seed)
    count = {"header": 6, "table": 64, "weights": 4096}[part]
    positions = rng.integers(start, end, count)
    path.write_bytes(_flip(data, positions, rng))
    return path


def corrupt_models(folder: Path) -> list[BadFile]:
    """The bundled Lightning float16 model (TFLite and ONNX) with corrupted header, table and
    weights (``corrupt-header.tflite``, ...), the TFLite one also with out-of-range operator
    indices, and Lightning int8 with corrupted weights (``corrupt-weights-int8.tflite``).

    Weight-corrupted files still parse: they must be refused (float16 ones give non-finite
    output) or run without crashing (int8 ones give finite nonsense)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for fmt, ext in (("tflite", ".tflite"), ("onnx", ".onnx")):
        source = bundled_model("lightning-float16", fmt).path
        for part in MODEL_PARTS if fmt == "tflite" else MODEL_PARTS[:3]:
            path = corrupt_model(source, part, folder / f"corrupt-{part}{ext}")
            files.append(BadFile(path, f"corrupt_{part}", True, must_fail=part != "weights"))
    path = corrupt_model(bundled_model("lightning-int8").path, "weights", folder / "corrupt-weights-int8.tflite")
    files.append(BadFile(path, "corrupt_weights", True, must_fail=False))
    return files


def model_corpus(folder: Path) -> list[BadFile]:
    """Every bad model file: garbage .tflite/.onnx, not-MoveNet models, corrupted MoveNet files."""
    return (garbage_files(folder / "garbage", MODEL_EXTENSIONS) + not_movenet_models(folder / "other")
            + corrupt_models(folder / "corrupt"))


def source_corpus(video: Path, folder: Path) -> list[BadFile]:
    """Every bad source file: garbage images/videos, cut and byte-flipped copies of `video`."""
    garbage = [f for f in garbage_files(folder / "garbage") if not f.is_model]
    return (garbage + cut_videos(video, folder / "cut") + [truncated_avi(video, folder / "cut")]
            + flipped_videos(video, folder / "flipped"))


# ---------------------------------------------------------------- odd but valid images

def pattern_image(height: int = 48, width: int = 64) -> np.ndarray:
    """uint8 [H, W, 3] RGB test picture: red top-left quadrant, green top-right, blue
    bottom-left, white bottom-right, so flips and rotations are recognisable."""
    image = np.zeros((height, width, 3), np.uint8)
    h, w = height // 2, width // 2
    image[:h, :w] = (255, 0, 0)
    image[:h, w:] = (0, 255, 0)
    image[h:, :w] = (0, 0, 255)
    image[h:, w:] = (255, 255, 255)
    return image


def exif_orientation_segment(orientation: int) -> bytes:
    """A JPEG APP1 ``Exif`` segment holding only the TIFF Orientation tag (0x0112)."""
    tiff = b"II*\x00" + struct.pack("<I", 8)                   # little-endian TIFF header, IFD0 at 8
    tiff += struct.pack("<H", 1)                               # one entry
    tiff += struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)  # Orientation, SHORT, count 1, value
    tiff += struct.pack("<I", 0)                               # no next IFD
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def jpeg_with_orientation(rgb: np.ndarray, orientation: int) -> bytes:
    """`rgb` encoded as a JPEG (by OpenCV, which writes no EXIF) with an Exif Orientation
    segment inserted right after SOI."""
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 100])
    assert ok
    data = encoded.tobytes()
    assert data[:2] == b"\xff\xd8"
    return data[:2] + exif_orientation_segment(orientation) + data[2:]


# Standard JPEG Huffman tables (ITU T.81 Annex K.3): luminance DC and AC.
_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)
_DC_VALS = tuple(range(12))
_AC_BITS = (0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D)
_AC_VALS = bytes.fromhex(
    "01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a"
    "3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a9293"
    "9495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6"
    "e7e8e9eaf1f2f3f4f5f6f7f8f9fa")


def _huffman_codes(bits, values) -> dict[int, tuple[int, int]]:
    codes, code, k = {}, 0, 0
    for length, count in enumerate(bits, start=1):
        for _ in range(count):
            codes[values[k]] = (code, length)
            code, k = code + 1, k + 1
        code <<= 1
    return codes


def cmyk_jpeg(cmyk_blocks: np.ndarray) -> bytes:
    """A baseline 4-component (CMYK, Adobe) JPEG whose every 8x8 block is one flat colour.

    OpenCV cannot write CMYK JPEGs, so this is a minimal encoder: each block carries only
    its DC coefficient (all AC coefficients zero), which is exact for flat blocks. An Adobe
    APP14 segment with transform 0 marks the components as C, M, Y, K; as Adobe writes them,
    the stored values are inverted (0 = full ink).

    Args:
        cmyk_blocks: uint8 [BH, BW, 4] ink amounts (0 = none, 255 = full) per 8x8 block;
            the image is 8*BH x 8*BW pixels.
    """
    blocks = np.asarray(cmyk_blocks, np.uint8)
    bh, bw, _ = blocks.shape
    stored = 255 - blocks.astype(np.int32)  # Adobe CMYK JPEGs store inverted values
    dc_codes, ac_codes = _huffman_codes(_DC_BITS, _DC_VALS), _huffman_codes(_AC_BITS, _AC_VALS)

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload

    header = b"\xff\xd8"
    header += segment(0xEE, b"Adobe" + struct.pack(">HHHB", 100, 0, 0, 0))  # APP14, transform 0: CMYK
    header += segment(0xDB, b"\x00" + bytes([1] * 64))                         # quantisation: all ones
    header += segment(0xC0, struct.pack(">BHHB", 8, 8 * bh, 8 * bw, 4)
                      + b"".join(struct.pack(">BBB", c, 0x11, 0) for c in range(1, 5)))
    header += segment(0xC4, b"\x00" + bytes(_DC_BITS) + bytes(_DC_VALS))
    header += segment(0xC4, b"\x10" + bytes(_AC_BITS) + _AC_VALS)
    header += segment(0xDA, b"\x04" + b"".join(struct.pack(">BB", c, 0x00) for c in range(1, 5)) + b"\x00\x3f\x00")

    bits: list[int] = []

    def put(code: int, length: int) -> None:
        bits.extend((code >> (length - 1 - i)) & 1 for i in range(length))

    previous = [0, 0, 0, 0]
    for y in range(bh):
        for x in range(bw):  # one MCU per block position: C, M, Y, K blocks interleaved
            for c in range(4):
                dc = (int(stored[y, x, c]) - 128) * 8  # level shift; DC of a flat block = 8 x value
                diff, previous[c] = dc - previous[c], dc
                size = abs(diff).bit_length()
                put(*dc_codes[size])
                if size:
                    put(diff if diff > 0 else diff + (1 << size) - 1, size)
                put(*ac_codes[0x00])  # end of block
    bits.extend([1] * (-len(bits) % 8))
    scan = bytearray()
    for i in range(0, len(bits), 8):
        byte = int("".join(map(str, bits[i:i + 8])), 2)
        scan.append(byte)
        if byte == 0xFF:
            scan.append(0x00)  # byte stuffing
    return header + bytes(scan) + b"\xff\xd9"

