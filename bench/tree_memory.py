"""Peak memory of a process and every process it forks, sampled from /proc.

``ru_maxrss`` counts the pages a forked child shares with its parent again for
the child, so adding the children's peaks overstates what a run uses. PSS
shares each page out among the processes mapping it, so its sum over the
process tree is the memory really in use. A separate process samples it, so
the measured process stays single-threaded (the library forks only then).

Usage: ``with TreePeak() as peak: ...`` then ``peak.mb``.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

INTERVAL_S = 0.5


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                pass  # the process ended while we looked
    return out


def pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_pss_mb(root: int, leave_out: int) -> float:
    return sum(pss_mb(p) for p in descendants(root) if p != leave_out)


class TreePeak:
    """Samples the current process tree's PSS until the block ends; ``mb`` is the peak."""

    def __enter__(self) -> TreePeak:
        self.mb = 0.0
        self._sampler = subprocess.Popen(
            [sys.executable, "-m", "bench.tree_memory", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        return self

    def __exit__(self, *exc) -> None:
        out, _ = self._sampler.communicate("stop\n")
        self.mb = float(out.strip() or 0.0)


def main() -> int:
    root, me, peak = int(sys.argv[1]), os.getpid(), 0.0
    while True:
        peak = max(peak, tree_pss_mb(root, me))
        if select.select([sys.stdin], [], [], INTERVAL_S)[0]:
            break
    print(f"{peak:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
