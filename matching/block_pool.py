"""Solving many independent blocks at once: forked processes when safe, threads otherwise.

A block's search is many numpy calls on a few hundred rows, and the Python
between them holds the GIL most of the time: two threads ran the blocks of
100,000 members only 1.1-1.2x faster than one. A forked child shares the
parent's arrays copy-on-write, needs no pickling of inputs, and uses the
second core fully.

Forking is only safe when the calling process runs no other thread (a lock
held by another thread would stay held in the child), so a web process that
runs a round in a background thread uses threads, while a Celery worker, the
command line and the benchmarks fork. The children are plain ``os.fork``
children, not ``multiprocessing`` ones, because Celery's pool processes are
daemonic and ``multiprocessing`` refuses to start children there. Every job
carries its own seed, so the answer is the same either way.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO, TypeVar

import numpy as np

J = TypeVar("J")
log = logging.getLogger(__name__)


def can_fork() -> bool:
    """True when forking cannot inherit a lock some other thread holds."""
    return hasattr(os, "fork") and threading.active_count() == 1


def solve_all(fn: Callable[[J], np.ndarray], jobs: Sequence[J], workers: int) -> list[np.ndarray]:
    """``[fn(job) for job in jobs]``, computed by ``workers`` processes or threads.

    ``fn`` returns a 1-D array (a block's labels) and must not depend on
    shared mutable state: in a child process its changes are lost, in a
    thread they race.
    """
    if workers > 1 and len(jobs) > 1 and can_fork():
        return _forked(fn, jobs, workers)
    with ThreadPoolExecutor(workers) as threads:
        return list(threads.map(fn, jobs))


def _forked(fn: Callable[[J], np.ndarray], jobs: Sequence[J], workers: int) -> list[np.ndarray]:
    # Worker w takes jobs w, w + workers, ...; the parent is worker 0.
    children = []
    for w in range(1, workers):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: compute its share, send it back, leave at once
            os.close(read_end)
            status = 1
            try:
                with os.fdopen(write_end, "wb") as out:
                    _send([fn(job) for job in jobs[w::workers]], out)
                status = 0
            finally:
                os._exit(status)  # no atexit handlers, no inherited clean-up
        os.close(write_end)
        children.append((w, pid, read_end))
    results: list = [None] * len(jobs)
    try:
        results[0::workers] = [fn(job) for job in jobs[0::workers]]
    except BaseException:
        for _, pid, read_end in children:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass  # already gone and reaped (SIGCHLD ignored)
            os.close(read_end)
        raise
    for w, pid, read_end in children:
        with os.fdopen(read_end, "rb") as back:
            data = back.read()
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:  # SIGCHLD ignored or handled elsewhere: already reaped
            status = 0
        share = _receive(data) if status == 0 else None
        if share is None or len(share) != len(jobs[w::workers]):
            log.warning("block worker %d failed (status %d); solving its share here", pid, status)
            share = [fn(job) for job in jobs[w::workers]]
        results[w::workers] = share
    return results


def _send(arrays: list[np.ndarray], out: BinaryIO) -> None:
    # Plain .npy records (never pickles): the lengths, then every array end to end.
    # numpy writes through a buffer, since it cannot write arrays straight to a pipe.
    buffer = io.BytesIO()
    np.save(buffer, np.array([len(a) for a in arrays], dtype=np.int64), allow_pickle=False)
    np.save(buffer, np.concatenate(arrays) if arrays else np.zeros(0), allow_pickle=False)
    out.write(buffer.getbuffer())


def _receive(data: bytes) -> list[np.ndarray] | None:
    """The arrays ``_send`` wrote, or None if the child stopped before writing them all."""
    stream = io.BytesIO(data)
    try:
        lengths = np.load(stream, allow_pickle=False)
        flat = np.load(stream, allow_pickle=False)
    except (ValueError, EOFError, OSError):
        return None
    if lengths.sum() != len(flat):
        return None
    return np.split(flat, np.cumsum(lengths)[:-1]) if len(lengths) else []
