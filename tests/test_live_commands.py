"""export, compare and layers take a stream URL like infer: frames as they come, a live summary,
the URL's credentials hidden in every output."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import PROJECT_ROOT, data_file
from live_server import TsServer

SECRET = "s3cret-pw"


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    return subprocess.run([sys.executable, "-m", "movenet_studio.cli", *args], capture_output=True, text=True,
                          env=env, timeout=180)


def test_export_writes_a_stream_frame_range_as_it_comes(tmp_path):
    with TsServer(data_file("pose_1.mp4")) as server:
        done = _cli("export", server.url.replace("http://", f"http://cam:{SECRET}@"), "--frames", "0:8",
                    "--keypoints", str(tmp_path / "k.csv"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "live         8 frames" in done.stdout and SECRET not in done.stdout + done.stderr
    rows = (tmp_path / "k.csv").read_text().splitlines()
    assert len(rows) == 1 + 8 * 17


def test_compare_on_a_stream_reports_it_with_credentials_hidden(tmp_path):
    with TsServer(data_file("pose_1.mp4")) as server:
        done = _cli("compare", server.url.replace("http://", f"http://cam:{SECRET}@"), "--a", "lightning",
                    "--b", "lightning-int8", "--max-frames", "3", "--json", str(tmp_path / "c.json"))
    assert done.returncode == 0, done.stderr
    document = json.loads((tmp_path / "c.json").read_text())
    assert document["live"]["frames"] == 3 and document["source"].startswith("http://cam:***@")
    assert SECRET not in done.stdout + done.stderr + json.dumps(document)
