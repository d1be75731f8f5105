"""One BLAS thread while matching: the library spreads its blocks over two workers itself.

Each block's matrices are small (a few hundred rows), so a multi-threaded
BLAS spends more time handing work between threads than computing, and its
threads compete with the block workers for the same two cores (measured at
100,000 members: 17 s with BLAS threads, 12.5 s without).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from threadpoolctl import threadpool_limits

P = ParamSpec("P")
R = TypeVar("R")


def one_blas_thread(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with BLAS (numpy/scipy matrix products) limited to one thread."""

    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return run
