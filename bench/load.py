"""Load benchmark: gunicorn on PostgreSQL with 100,000 members, driven by locust.

In one run it measures a bare route (the ceiling), the member home page, the
organizer member list and logins, each alone at the same concurrency, then a
realistic mix for p50/p95/p99, errors and the workers' memory over time.

    python -m bench.load [--members 100000] [--seconds 30] [--mix-minutes 5]
"""

from __future__ import annotations

import argparse
import csv
import http.cookiejar
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from bench.load_accounts import ORGANIZER, PASSWORD, member_email

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/kindred_load"


def ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if not exists.fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def app_env(url: str, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "KINDRED_SECRET_KEY": "load-benchmark-secret-key-0123456789abcdef",
        "KINDRED_BIND": f"127.0.0.1:{port}",
        "KINDRED_MAIL_DELIVERY": '"worker"',
        "KINDRED_RATELIMIT_ENABLED": "false",
        "KINDRED_ACCESS_LOG": "/dev/null",
        "KINDRED_LOG_LEVEL": "warning",
        # Never recycle workers here: the memory figure must show any leak.
        "KINDRED_MAX_REQUESTS": "0",
    }
    env.pop("FLASK_DEBUG", None)
    return env


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [BIN / "gunicorn", "-c", "deploy/gunicorn.conf.py", "--workers", str(workers), "app:app"],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn did not start")


def open_session(host: str, email: str) -> list[list[str]]:
    """Log in as a browser would (login page, CSRF token, post); return the cookies."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{host}/login", timeout=60) as page:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.read().decode())
    form = {"email": email, "password": PASSWORD, "csrf_token": token.group(1) if token else ""}
    with opener.open(f"{host}/login", urllib.parse.urlencode(form).encode(), timeout=60) as home:
        if not home.geturl().endswith("/home"):
            raise SystemExit(f"could not log in as {email}")
    return [[cookie.name, cookie.value or ""] for cookie in jar]


def open_sessions(host: str, users: int, members: int, folder: Path) -> Path:
    """One session per client, opened before any clock starts (Argon2 is slow on purpose
    and is measured in its own scenario, not inside the pages' figures)."""
    emails = [member_email(number, members) for number in range(1, users + 1)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        opened = {
            "member": list(pool.map(lambda email: open_session(host, email), emails)),
            "organizer": list(pool.map(lambda _n: open_session(host, ORGANIZER), range(users))),
        }
    path = folder / "sessions.json"
    path.write_text(json.dumps(opened))
    return path


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def database_backends(database: str) -> list[int]:
    """PostgreSQL's processes serving connections to this database (on this host)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if command.startswith("postgres:") and f" {database} " in command:
                found.append(int(entry.name))
    return found


def cpu_snapshot(server: int, database: str, driver: int | None = None) -> dict[str, float]:
    """CPU seconds so far: the host's, gunicorn's, our database backends' and the driver's.

    The driver (locust) is read from /proc while it runs (``driver``, its pid); once it
    has exited, its CPU shows in RUSAGE_CHILDREN (compare snapshots of one kind only:
    both taken while it runs, or both around it). Whatever the host spent beyond these was
    spent by other processes: other work on the machine, which the figures cannot
    separate from the app's own and which is therefore printed beside them.
    """
    first = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    ticks = [int(value) for value in first]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "host": (sum(ticks) - ticks[3] - ticks[4]) / TICKS,
        "server": sum(process_cpu(pid) for pid in [server, *worker_pids(server)]),
        "database": sum(process_cpu(pid) for pid in database_backends(database)),
        "driver": process_cpu(driver) if driver else children.ru_utime + children.ru_stime,
    }


def other_cores(before: dict[str, float], after: dict[str, float], seconds: float) -> float:
    """Cores the rest of the host used between two snapshots (not the server, database
    or driver of this benchmark)."""
    spent = {key: after[key] - before[key] for key in before}
    others = spent["host"] - spent["server"] - spent["database"] - spent["driver"]
    return max(others, 0.0) / max(seconds, 1e-9)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)] if ordered else 0.0


def number(row: dict[str, str], key: str) -> float:
    value = row.get(key) or "0"
    return float(value) if value != "N/A" else 0.0


def run_locust(
    host: str,
    scenario: list[str],
    users: int,
    seconds: int,
    folder: Path,
    members: int,
    sessions: Path | None = None,
    sample=None,
    timeline: Path | None = None,
) -> dict[str, dict[str, float]]:
    prefix = folder / "-".join(scenario)
    command = [
        BIN / "locust",
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        f"{seconds}s",
        "--host",
        host,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "ERROR",
        *scenario,
    ]
    env = {**os.environ, "LOAD_MEMBERS": str(members)}
    if sessions is not None:
        env["LOAD_SESSIONS"] = str(sessions)
    if timeline is not None:
        env["LOAD_TIMELINE"] = str(timeline)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    while process.poll() is None:
        if sample:
            sample(process.pid)
        time.sleep(5 if sample else 0.5)
    stats = {}
    with open(f"{prefix}_stats.csv") as handle:
        for row in csv.DictReader(handle):
            stats[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": number(row, "Requests/s"),
                "p50": number(row, "50%"),
                "p95": number(row, "95%"),
                "p99": number(row, "99%"),
            }
    return stats


def by_minute(
    timeline: dict[str, list[float]], cpu: list[tuple[float, dict[str, float]]]
) -> list[dict[str, float]]:
    """The mix minute by minute: rate and latency, and the cores other processes used
    meanwhile (from the 5 s CPU samples inside that minute)."""
    rows = []
    for minute, times in sorted(timeline.items(), key=lambda item: int(item[0])):
        start, end = int(minute) * 60, int(minute) * 60 + 60
        inside = [(at, snapshot) for at, snapshot in cpu if start <= at <= end]
        others = (
            other_cores(inside[0][1], inside[-1][1], inside[-1][0] - inside[0][0])
            if len(inside) > 1
            else 0.0
        )
        seconds = min(end, cpu[-1][0]) - start if cpu else 60
        rows.append(
            {
                "minute": int(minute) + 1,
                "rps": round(len(times) / max(seconds, 1), 1),
                "p50": percentile(times, 0.50),
                "p99": percentile(times, 0.99),
                "other_cores": round(others, 2),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("LOAD_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--mix-minutes", type=float, default=5)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    url = args.database_url
    ensure_database(url)
    port = 8765
    env = app_env(url, port)
    subprocess.run([BIN / "flask", "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [sys.executable, "-m", "bench.load_seed", "--members", str(args.members)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    # VACUUM as well as ANALYZE: a production database's autovacuum soon vacuums freshly
    # loaded tables, which fills the visibility map that index-only scans rely on. This
    # host's PostgreSQL runs with autovacuum off (a CI setting), so the benchmark does it
    # once here; without it every index-only scan would read the table as well.
    subprocess.run(["psql", url, "-qc", "VACUUM ANALYZE"], check=True)

    server = start_server(env, port, args.workers)
    host = f"http://127.0.0.1:{port}"
    database = url.rsplit("/", 1)[1]
    results: dict[str, object] = {
        "members": args.members,
        "users": args.users,
        "workers": args.workers,
        "seconds": args.seconds,
    }
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            sessions = open_sessions(host, args.users, args.members, folder)
            alone = {}
            for scenario, name in [
                ("Hello", "hello"),
                ("MemberHome", "member home"),
                ("OrganizerMemberList", "organizer member list"),
                ("Login", "login (setup)"),
            ]:
                before, clock = cpu_snapshot(server.pid, database), time.monotonic()
                stats = run_locust(
                    host, [scenario], args.users, args.seconds, folder, args.members, sessions
                )
                others = other_cores(
                    before, cpu_snapshot(server.pid, database), time.monotonic() - clock
                )
                alone[name] = {**stats[name], "other_cores": round(others, 2)}
                print(
                    f"{name:<24} {stats[name]['rps']:8.1f} req/s  "
                    f"p50 {stats[name]['p50']:.0f} ms  p99 {stats[name]['p99']:.0f} ms  "
                    f"errors {stats[name]['failures']}  other processes {others:.2f} cores",
                    flush=True,
                )
            results["alone"] = alone
            memory: list[tuple[float, float]] = []
            cpu: list[tuple[float, dict[str, float]]] = []
            started = time.monotonic()

            def sample(driver: int) -> None:
                total = sum(rss_mb(pid) for pid in worker_pids(server.pid))
                memory.append((round(time.monotonic() - started), round(total, 1)))
                cpu.append((time.monotonic() - started, cpu_snapshot(server.pid, database, driver)))

            timeline_path = folder / "timeline.json"
            mix = run_locust(
                host,
                ["Member", "Organizer"],
                args.users,
                int(args.mix_minutes * 60),
                folder,
                args.members,
                sessions,
                sample,
                timeline_path,
            )
            results["mix"] = mix
            results["memory_mb"] = memory
            results["mix_by_minute"] = by_minute(json.loads(timeline_path.read_text()), cpu)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    hello = alone["hello"]["rps"]
    print("\nThroughput alone, as a share of the bare route (same server, same run):")
    print(f"  member home            {alone['member home']['rps'] / hello:.2f}x  (target >= 0.40)")
    print(
        f"  organizer member list  {alone['organizer member list']['rps'] / hello:.2f}x"
        "  (target >= 0.25)"
    )
    print(f"  login                  {alone['login (setup)']['rps'] / hello:.2f}x  (Argon2id)")
    print(f"\nMix for {args.mix_minutes:g} min at {args.users} clients:")
    print(f"  {'endpoint':<24} {'req/s':>8} {'p50':>6} {'p95':>6} {'p99':>6} {'errors':>7}")
    for name, row in sorted(mix.items()):
        print(
            f"  {name:<24} {row['rps']:8.1f} {row['p50']:6.0f} {row['p95']:6.0f} "
            f"{row['p99']:6.0f} {row['failures']:7d}"
        )
    print("\n  minute  requests/s   p50   p99  other processes (cores)")
    for row in results["mix_by_minute"]:
        print(
            f"  {row['minute']:>6} {row['rps']:11.1f} {row['p50']:5.0f} {row['p99']:5.0f}"
            f"  {row['other_cores']:.2f}"
        )
    if memory:
        first, last = memory[0][1], memory[-1][1]
        peak = max(m for _, m in memory)
        print(
            f"\nWorkers' resident memory: start {first:.0f} MB, end {last:.0f} MB, "
            f"peak {peak:.0f} MB ({(last - first) / max(first, 1) * 100:+.1f}%)"
        )
    busiest = max(
        [row["other_cores"] for row in alone.values()]
        + [row["other_cores"] for row in results["mix_by_minute"]]
    )
    if busiest >= 0.2:
        print(
            f"\nOther processes used up to {busiest:.2f} of this host's cores during the run: "
            "every figure above shares the CPU with them (see the columns above), so compare "
            "only runs with similar figures there."
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "load.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
