"""Blocks solved in forked processes give the same groups as threads, and fall back safely.

Each check runs in a fresh interpreter, where no other thread exists, so the
library really forks (pytest's own process may hold threads from other tests).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


GROUPS = """
import json, sys
import matching.block_pool as pool
from matching import group_members, synthetic
if sys.argv[1:] == ["threads"]:
    pool.can_fork = lambda: False
import os, tempfile
forked = []
solve_all = pool.solve_all
where = tempfile.NamedTemporaryFile("r", suffix=".pids")
def watched(fn, jobs, workers):
    forked.append(pool.can_fork())
    def noted(job):
        with open(where.name, "a") as f:
            f.write(f"{os.getpid()}\\n")
        return fn(job)
    return solve_all(noted, jobs, workers)
pool.solve_all = watched
import matching.groups
matching.groups.solve_all = watched
members = synthetic.population(2500, random_state=3)
result = group_members(members, avoid=[(members[0].id, members[1].id)], block_size=60)
pids = set(where.read().split())
print(json.dumps({"forked": forked, "processes": len(pids), **result.to_dict()}))
"""


def test_forked_blocks_give_exactly_the_groups_threads_give():
    forked = run_python(GROUPS)
    threads = run_python(GROUPS.replace('sys.argv[1:] == ["threads"]', "True"))
    assert (
        forked["forked"]
        and all(forked["forked"])
        and forked["processes"] == 1 + len(forked["forked"])
    )
    assert threads["forked"] and not any(threads["forked"]) and threads["processes"] == 1
    assert len(forked["matches"]) > 300
    assert forked["matches"] == threads["matches"]
    assert forked["unplaced"] == threads["unplaced"]


def test_work_runs_in_a_child_process_when_the_caller_has_no_other_thread():
    out = run_python(
        "import json, os\n"
        "from matching.block_pool import solve_all\n"
        "import numpy as np\n"
        "out = solve_all(lambda j: np.array([j * j, os.getpid()]), list(range(12)), 2)\n"
        "print(json.dumps({'parent': os.getpid(), 'results': [a.tolist() for a in out]}))\n"
    )
    assert [square for square, _ in out["results"]] == [i * i for i in range(12)]
    others = {pid for _, pid in out["results"]} - {out["parent"]}
    assert len(others) == 1


def test_a_caller_with_another_thread_running_uses_threads():
    out = run_python(
        "import json, os, threading\nimport numpy as np\n"
        "from matching.block_pool import solve_all\n"
        "stop = threading.Event()\n"
        "t = threading.Thread(target=stop.wait); t.start()\n"
        "out = solve_all(lambda job: np.array([os.getpid()]), list(range(6)), 2)\n"
        "pids = [int(a[0]) for a in out]\n"
        "stop.set(); t.join()\n"
        "print(json.dumps({'parent': os.getpid(), 'pids': pids}))\n"
    )
    assert set(out["pids"]) == {out["parent"]}


def test_a_daemonic_worker_process_still_forks():
    # Celery's pool processes are daemonic, and multiprocessing refuses them children.
    out = run_python(
        "import json, multiprocessing as mp, os\nimport numpy as np\n"
        "from matching.block_pool import solve_all\n"
        "def work(q):\n"
        "    out = solve_all(lambda job: np.array([os.getpid()]), list(range(6)), 2)\n"
        "    q.put((os.getpid(), [int(a[0]) for a in out]))\n"
        "if __name__ == '__main__':\n"
        "    q = mp.get_context('fork').Queue()\n"
        "    p = mp.get_context('fork').Process(target=work, args=(q,), daemon=True)\n"
        "    p.start(); me, pids = q.get(); p.join()\n"
        "    print(json.dumps({'worker': me, 'pids': pids}))\n"
    )
    assert len(set(out["pids"]) - {out["worker"]}) == 1


@pytest.mark.parametrize("broken", [2, 3])  # the parent's share, the child's share
@pytest.mark.parametrize("sigchld", ["default", "ignored"])
def test_an_error_in_a_job_reaches_the_caller(broken, sigchld):
    out = run_python(
        "import json, signal\n"
        "import numpy as np\n"
        "from matching.block_pool import solve_all\n"
        f"if {sigchld!r} == 'ignored':\n"
        "    signal.signal(signal.SIGCHLD, signal.SIG_IGN)\n"
        "def job(i):\n"
        f"    if i == {broken}:\n"
        "        raise ValueError(f'block {i} is broken')\n"
        "    return np.array([i])\n"
        "try:\n"
        "    solve_all(job, list(range(6)), 2)\n"
        "except ValueError as e:\n"
        "    print(json.dumps({'error': str(e)}))\n"
    )
    assert out == {"error": f"block {broken} is broken"}


def test_a_worker_that_dies_leaves_the_answer_to_threads():
    out = run_python(
        "import json, os\n"
        "import numpy as np\n"
        "from matching.block_pool import solve_all\n"
        "parent = os.getpid()\n"
        "def job(i):\n"
        "    if os.getpid() != parent:\n"
        "        os._exit(1)  # as if the child were killed\n"
        "    return np.arange(i + 1)\n"
        "out = solve_all(job, list(range(6)), 2)\n"
        "print(json.dumps({'results': [a.tolist() for a in out]}))\n"
    )
    assert out["results"] == [list(range(i + 1)) for i in range(6)]


def test_a_caller_that_ignores_its_children_still_gets_their_work():
    # With SIGCHLD ignored the kernel reaps the child itself, and waitpid finds nobody.
    out = run_python(
        "import json, os, signal\n"
        "import numpy as np\n"
        "from matching.block_pool import solve_all\n"
        "signal.signal(signal.SIGCHLD, signal.SIG_IGN)\n"
        "out = solve_all(lambda j: np.array([j, os.getpid()]), list(range(8)), 2)\n"
        "print(json.dumps({'parent': os.getpid(), 'results': [a.tolist() for a in out]}))\n"
    )
    assert [j for j, _ in out["results"]] == list(range(8))
    assert len({pid for _, pid in out["results"]} - {out["parent"]}) == 1
