"""EXPLAIN ANALYZE every statement the organizer member list (page 150) and the
dashboard run, on the load benchmark's PostgreSQL database (100,000 members).

    python -m bench.query_plans      # after python -m bench.load has built kindred_load
"""

from __future__ import annotations

import os
import time

from sqlalchemy import event

from community import create_app
from community.admin import member_directory
from community.extensions import db
from community.organize import dashboard_figures

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/kindred_load"


def timed(label: str, work) -> None:
    started = time.perf_counter()
    work()
    print(f"{label}: {(time.perf_counter() - started) * 1000:.0f} ms")


def main() -> None:
    url = os.environ.get("LOAD_DATABASE_URL", DEFAULT_URL)
    app = create_app({"SECRET_KEY": "plans", "TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    statements: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        timed(
            "member list, page 150",
            lambda: member_directory.search(member_directory.MemberFilters(), page=150),
        )
        timed(
            "dashboard figures",
            lambda: [figure() for figure in dashboard_figures.FIGURES.values()],
        )
        event.remove(db.engine, "before_cursor_execute", record)
        rows = []
        connection = db.session.connection()
        for statement, parameters in statements:
            started = time.perf_counter()
            plan = connection.exec_driver_sql("EXPLAIN ANALYZE " + statement, parameters)
            lines = [row[0] for row in plan]
            elapsed = (time.perf_counter() - started) * 1000
            scans = [line.strip().split("  (")[0] for line in lines if "Seq Scan" in line]
            rows.append((elapsed, statement.split("\n")[0][:80], scans))
        print(f"\n{'ms':>7}  statement / sequential scans")
        for elapsed, first_line, scans in sorted(rows, reverse=True):
            print(f"{elapsed:7.1f}  {first_line}")
            for scan in scans:
                print(f"{'':9}{scan}")


if __name__ == "__main__":
    main()
