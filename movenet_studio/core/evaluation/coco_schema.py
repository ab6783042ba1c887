"""Reading COCO keypoint annotation files defensively: every field a run uses is checked
before use, and the first problem is reported with its JSON path
(``person_keypoints.json: $.annotations[3].bbox[2]: expected a finite number, got "abc"``).

What is checked (and all that is kept: the returned dataset holds only these fields, so
nothing unchecked, e.g. a deeply nested ``segmentation``, reaches pycocotools):

- the file: a regular file (:mod:`.files`) of at most :data:`MAX_ANNOTATION_BYTES`, JSON
  (too deep nesting, huge integers and invalid UTF-8 are reported, not raised);
- ``images[i]``: ``id`` whole number (unique), ``file_name`` a relative path inside the
  images folder (no ``..``, no absolute path, no control characters), ``width`` and
  ``height`` whole numbers 1..:data:`MAX_IMAGE_SIDE` whose product is at most
  :data:`~.sources.MAX_IMAGE_PIXELS` (optional with ``images_only``);
- ``categories[i]``: ``id`` whole number, optional ``name`` string, optional ``keypoints``
  list of strings;
- ``annotations[i]`` (with ``images=True`` only the images are needed): ``id`` and
  ``image_id`` (a listed image) and ``category_id`` whole numbers; optional ``keypoints``
  3 x K finite numbers with visibility 0, 1 or 2; ``bbox`` [x, y, w, h] finite,
  w, h >= 0, lying within the image give or take :data:`BOX_MARGIN` of its size; optional
  ``area`` finite >= 0 (default w x h), ``iscrowd`` 0/1, ``num_keypoints`` 0..K (with a count
  above 0 the ``keypoints`` array must be there; with 0 and none, zeros stand in).
"""

from __future__ import annotations

import json
import math
from pathlib import Path, PurePosixPath, PureWindowsPath

from ..errors import StudioError
from ..files import read_input_bytes
from ..text import first_line, printable

#: Largest annotation file read, in bytes (COCO's person_keypoints_train2017.json is 238 MB).
MAX_ANNOTATION_BYTES = 2_000_000_000
#: Largest image side accepted in ``width`` / ``height`` (JPEG's own limit).
MAX_IMAGE_SIDE = 65_535
#: A box may reach out of its image by this fraction of the image's width / height.
BOX_MARGIN = 0.1


class AnnotationError(StudioError):
    """An annotation file is unreadable or breaks the schema (message: file, JSON path, problem)."""


def _what(value) -> str:
    text = json.dumps(value)[:40] if isinstance(value, (str, int, float, bool)) or value is None else type(value).__name__
    return {"list": "a list", "dict": "an object"}.get(text, text)


class _Checker:
    def __init__(self, name: str):
        self.name = name

    def fail(self, where: str, problem: str):
        raise AnnotationError(f"{self.name}: {where}: {problem}")

    def whole(self, value, where: str, low: int | None = None, high: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                isinstance(value, float) and not (math.isfinite(value) and value.is_integer())):
            self.fail(where, f"expected a whole number, got {_what(value)}")
        value = int(value)
        if (low is not None and value < low) or (high is not None and value > high):
            self.fail(where, f"expected {low}..{high}, got {value}")
        return value

    def number(self, value, where: str, low: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
            self.fail(where, f"expected a finite number, got {_what(value)}")
        value = float(value)
        if low is not None and value < low:
            self.fail(where, f"expected at least {low:g}, got {value:g}")
        return value

    def obj(self, value, where: str) -> dict:
        if not isinstance(value, dict):
            self.fail(where, f"expected an object, got {_what(value)}")
        return value

    def array(self, value, where: str) -> list:
        if not isinstance(value, list):
            self.fail(where, f"expected a list, got {_what(value)}")
        return value

    def field(self, record: dict, key: str, where: str):
        if key not in record:
            self.fail(where, f"missing \"{key}\"")
        return record[key]


def _file_name(check: _Checker, value, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        check.fail(where, f"expected a file name, got {_what(value)}")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        check.fail(where, f"file name with control characters: {printable(value)}")
    for flavour in (PurePosixPath, PureWindowsPath):
        path = flavour(value)
        if path.is_absolute() or path.anchor or ".." in path.parts:
            check.fail(where, f"file name must be relative to the images folder, got {printable(value)}")
    return value


def parse_json(data: bytes, name: str) -> object:
    """JSON from `data`, with every way parsing can fail as :class:`AnnotationError`."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise AnnotationError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    except RecursionError:
        raise AnnotationError(f"{name}: JSON nested too deeply") from None
    except MemoryError:
        raise AnnotationError(f"{name}: too large to parse") from None
    except ValueError as exc:  # JSONDecodeError, and integers of more than 4300 digits
        raise AnnotationError(f"{name}: not valid JSON ({first_line(exc)[:120]})") from None


def load_coco(path: str | Path, *, images_only: bool = False, num_keypoints: int = 17) -> dict:
    """Read and validate a COCO annotation file (see the module docstring).

    Args:
        path: the JSON file.
        images_only: check and return only ``images`` (e.g. to map file names to ids).
        num_keypoints: keypoints per annotation (K).

    Returns:
        ``{"images": [...], "annotations": [...], "categories": [...]}`` with only the
        checked fields (``annotations`` and ``categories`` empty with `images_only`).

    Raises:
        AnnotationError: the file cannot be read or breaks the schema (first problem, with its JSON path).
        PathCheckError: not a readable regular file.
    """
    path = Path(path)
    name = printable(path.name)
    data = read_input_bytes(path, MAX_ANNOTATION_BYTES, "annotation file")
    return validate_coco(parse_json(data, name), name, images_only=images_only, num_keypoints=num_keypoints)


def validate_coco(document: object, name: str = "annotations", *, images_only: bool = False,
                  num_keypoints: int = 17) -> dict:
    """Validate a parsed COCO document; see :func:`load_coco`."""
    from ..media.sources import MAX_IMAGE_PIXELS

    check = _Checker(name)
    root = check.obj(document, "$")
    images: list[dict] = []
    sizes: dict[int, tuple[int, int]] = {}
    for i, image in enumerate(check.array(check.field(root, "images", "$"), "$.images")):
        where = f"$.images[{i}]"
        image = check.obj(image, where)
        image_id = check.whole(check.field(image, "id", where), f"{where}.id")
        if image_id in sizes:
            check.fail(f"{where}.id", f"image id {image_id} is listed twice")
        file_name = _file_name(check, check.field(image, "file_name", where), f"{where}.file_name")
        if images_only and ("width" not in image or "height" not in image):  # ids by file name need no size
            sizes[image_id] = (0, 0)
            images.append({"id": image_id, "file_name": file_name})
            continue
        width = check.whole(check.field(image, "width", where), f"{where}.width", 1, MAX_IMAGE_SIDE)
        height = check.whole(check.field(image, "height", where), f"{where}.height", 1, MAX_IMAGE_SIDE)
        if width * height > MAX_IMAGE_PIXELS:
            check.fail(where, f"{width}x{height} pixels is more than the {MAX_IMAGE_PIXELS // 1_000_000} "
                              "megapixel limit")
        sizes[image_id] = (width, height)
        images.append({"id": image_id, "file_name": file_name, "width": width, "height": height})
    if images_only:
        return {"images": images, "annotations": [], "categories": []}
    categories = []
    for i, category in enumerate(check.array(check.field(root, "categories", "$"), "$.categories")):
        where = f"$.categories[{i}]"
        category = check.obj(category, where)
        out = {"id": check.whole(check.field(category, "id", where), f"{where}.id")}
        if "name" in category:
            if not isinstance(category["name"], str):
                check.fail(f"{where}.name", f"expected a string, got {_what(category['name'])}")
            out["name"] = category["name"]
        if category.get("keypoints") is not None:
            names = check.array(category["keypoints"], f"{where}.keypoints")
            for k, item in enumerate(names):
                if not isinstance(item, str):
                    check.fail(f"{where}.keypoints[{k}]", f"expected a keypoint name, got {_what(item)}")
            out["keypoints"] = list(names)
        if isinstance(category.get("skeleton"), list):
            out["skeleton"] = [list(pair) for pair in category["skeleton"]
                               if isinstance(pair, list) and len(pair) == 2
                               and all(isinstance(v, int) and not isinstance(v, bool) for v in pair)]
        categories.append(out)
    annotations = []
    ids = set()
    for i, annotation in enumerate(check.array(check.field(root, "annotations", "$"), "$.annotations")):
        where = f"$.annotations[{i}]"
        annotation = check.obj(annotation, where)
        ann_id = check.whole(check.field(annotation, "id", where), f"{where}.id")
        if ann_id in ids:
            check.fail(f"{where}.id", f"annotation id {ann_id} is used twice")
        ids.add(ann_id)
        image_id = check.whole(check.field(annotation, "image_id", where), f"{where}.image_id")
        if image_id not in sizes:
            check.fail(f"{where}.image_id", f"image {image_id} is not in $.images")
        width, height = sizes[image_id]
        out = {"id": ann_id, "image_id": image_id,
               "category_id": check.whole(check.field(annotation, "category_id", where), f"{where}.category_id"),
               "iscrowd": check.whole(annotation.get("iscrowd", 0), f"{where}.iscrowd", 0, 1)}
        if annotation.get("keypoints") is not None:
            values = check.array(annotation["keypoints"], f"{where}.keypoints")
            if len(values) != 3 * num_keypoints:
                check.fail(f"{where}.keypoints", f"expected {3 * num_keypoints} numbers "
                                                 f"({num_keypoints} x [x, y, v]), got {len(values)}")
            flat = [check.number(v, f"{where}.keypoints[{k}]") for k, v in enumerate(values)]
            for k in range(2, len(flat), 3):
                if flat[k] not in (0.0, 1.0, 2.0):
                    check.fail(f"{where}.keypoints[{k}]", f"visibility must be 0, 1 or 2, got {flat[k]:g}")
            out["keypoints"] = [int(v) if v.is_integer() else v for v in flat]
        if True:  # every annotation has a box (COCOeval reads it)
            box = check.array(check.field(annotation, "bbox", where), f"{where}.bbox")
            if len(box) != 4:
                check.fail(f"{where}.bbox", f"expected [x, y, width, height], got {len(box)} values")
            x, y, w, h = (check.number(v, f"{where}.bbox[{k}]") for k, v in enumerate(box))
            if w < 0 or h < 0:
                check.fail(f"{where}.bbox", "width and height must be >= 0")
            mx, my = BOX_MARGIN * width + 1, BOX_MARGIN * height + 1
            if x < -mx or y < -my or x + w > width + mx or y + h > height + my:
                check.fail(f"{where}.bbox", f"box [{x:g}, {y:g}, {w:g}, {h:g}] lies outside its "
                                            f"{width}x{height} image")
            out["bbox"] = [x, y, w, h]
        area = annotation.get("area")
        out["area"] = out["bbox"][2] * out["bbox"][3] if area is None else check.number(area, f"{where}.area", 0.0)
        if annotation.get("num_keypoints") is not None:
            out["num_keypoints"] = check.whole(annotation["num_keypoints"], f"{where}.num_keypoints", 0, num_keypoints)
            if "keypoints" not in out:
                if out["num_keypoints"]:  # labelled keypoints announced, none given
                    check.fail(f"{where}.keypoints", f"missing, but num_keypoints says {out['num_keypoints']} "
                                                     "keypoints are labelled")
                out["keypoints"] = [0] * (3 * num_keypoints)  # none labelled: COCOeval still reads them
        annotations.append(out)
    return {"images": images, "annotations": annotations, "categories": categories}
