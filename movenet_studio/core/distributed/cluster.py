"""A dask.distributed client: on a local cluster of worker processes, or on an existing scheduler.

Used by ``batch`` and ``eval --workers / --scheduler``. Tasks are plain functions of this
package, sent by reference: workers of an existing cluster need ``movenet-studio``
installed, and must see the sources and the output folder at the same paths as the client
(a shared file system), as with any dask cluster.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..atomic import atomic_output
from ..errors import StudioError

#: Seconds to wait for an existing scheduler to answer, and then for its first worker.
CONNECT_TIMEOUT_S = 20
WORKER_TIMEOUT_S = 60


class ClusterError(StudioError):
    """The scheduler cannot be reached or the local cluster cannot start."""


def default_workers(threads_per_worker: int = 1, runtime_threads: int = 1) -> int:
    """Local worker processes that fill this machine's cores: cores / (tasks per worker x
    runtime threads per task), at least 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores // max(1, threads_per_worker * runtime_threads))


@contextmanager
def dask_client(workers: int | None = None, threads_per_worker: int = 1, scheduler: str | None = None,
                runtime_threads: int = 1) -> Iterator:
    """A ``dask.distributed.Client``, closed (and a local cluster shut down) on exit.

    Args:
        workers: local worker processes (default :func:`default_workers`); ignored with
            `scheduler`.
        threads_per_worker: tasks each local worker runs at once.
        scheduler: address of an existing scheduler, e.g. ``tcp://127.0.0.1:8786``; None
            starts a ``LocalCluster`` of processes listening on 127.0.0.1 only, without a
            dashboard.
        runtime_threads: CPU threads each task's runtime uses (for the default `workers`).

    Raises:
        ClusterError: the scheduler does not answer within :data:`CONNECT_TIMEOUT_S` or has
            no worker within :data:`WORKER_TIMEOUT_S`, or the local cluster does not start.
    """
    from dask.distributed import Client, LocalCluster

    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
        else:
            cluster = LocalCluster(n_workers=workers or default_workers(threads_per_worker, runtime_threads),
                                   threads_per_worker=threads_per_worker, processes=True, host="127.0.0.1",
                                   dashboard_address=None, silence_logs=logging.CRITICAL,
                                   # the scheduler's HTTP routes (health, metrics) on loopback too
                                   scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"})
            client = Client(cluster)
            client.run(_leave_ctrl_c_to_the_client)
    except (OSError, TimeoutError, ValueError, RuntimeError) as exc:
        if cluster is not None:
            cluster.close()
        where = f"the scheduler at {scheduler}" if scheduler else "a local dask cluster"
        raise ClusterError(f"cannot reach {where}: {exc}") from None
    try:
        if scheduler:
            try:
                client.wait_for_workers(1, timeout=WORKER_TIMEOUT_S)
            except (OSError, TimeoutError):
                raise ClusterError(f"the scheduler at {scheduler} has no workers "
                                   f"(waited {WORKER_TIMEOUT_S} s for one)") from None
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _leave_ctrl_c_to_the_client() -> None:
    """Run on each local worker: ignore SIGINT. A terminal's Ctrl-C reaches every process of
    the foreground group; the client then cancels the tasks and closes the cluster, and the
    workers would otherwise each print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def worker_count(client) -> int:
    """Workers the scheduler knows of now."""
    return len(client.nthreads())


def local_copy(name: str, data: bytes) -> Path:
    """A copy of a file sent from the client (model, classifier), in this machine's temporary folder.

    Stored as ``<tmp>/movenet-studio-files/<sha256 prefix>/<name>`` (the name is kept: it
    names the model in results), written once per content (atomically, so tasks running at
    the same time never read a half-written file) and reused by later tasks.

    Raises:
        OSError: the temporary folder is not writable.
    """
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / "movenet-studio-files" / digest / Path(name).name
    if not path.is_file() or path.stat().st_size != len(data):
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(path, "wb") as handle:
            handle.write(data)
    return path


def model_to_ship(spec) -> tuple[str, bytes] | None:
    """(file name, bytes) of a model the workers cannot find themselves: one that is not
    bundled (bundled models come with the package on every worker); None otherwise."""
    return None if spec.bundled else (spec.path.name, spec.path.read_bytes())
