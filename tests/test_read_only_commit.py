"""A request that only read ends with COMMIT (so PostgreSQL keeps prepared plans);
one that wrote without committing, or failed, is still rolled back."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select, update

from community.extensions import db
from community.models import Area, User
from tests.conftest import login
from tests.factories import PASSWORD


@contextmanager
def transaction_endings(app):
    endings: list[str] = []
    with app.app_context():
        engine = db.engine

    def committed(_connection):
        endings.append("commit")

    def rolled_back(_connection):
        endings.append("rollback")

    event.listen(engine, "commit", committed)
    event.listen(engine, "rollback", rolled_back)
    try:
        yield endings
    finally:
        event.remove(engine, "commit", committed)
        event.remove(engine, "rollback", rolled_back)


def test_a_page_that_only_reads_ends_with_commit(app, members):
    member = members.create(complete=True)
    client = app.test_client()
    login(client, member.email, PASSWORD)
    client.get("/home")
    with transaction_endings(app) as endings:
        assert client.get("/home").status_code == 200
    assert endings == ["commit"]


def test_a_write_left_uncommitted_is_rolled_back(app, members):
    member = members.create()

    @app.get("/test/rename-without-commit")
    def rename_without_commit():
        db.session.execute(update(User).where(User.id == member.id).values(display_name="Gone"))
        return "not committed"

    with transaction_endings(app) as endings:
        app.test_client().get("/test/rename-without-commit")
    assert endings == ["rollback"]
    with app.app_context():
        assert db.session.get(User, member.id).display_name == member.display_name


def test_an_object_added_but_not_committed_is_not_saved(app):
    @app.get("/test/add-without-commit")
    def add_without_commit():
        db.session.execute(select(Area)).first()
        db.session.add(Area(name="Never saved", latitude=0, longitude=0))
        return "not committed"

    app.test_client().get("/test/add-without-commit")
    with app.app_context():
        names = db.session.execute(select(Area.name)).scalars().all()
    assert "Never saved" not in names


def test_a_request_that_fails_is_rolled_back(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/test/read-then-fail")
    def read_then_fail():
        db.session.execute(select(User)).first()
        raise RuntimeError("the page broke")

    with transaction_endings(app) as endings:
        assert app.test_client().get("/test/read-then-fail").status_code == 500
    assert endings == ["rollback"]


def test_objects_read_in_an_app_context_stay_usable_after_it(app, members):
    member = members.create()
    with app.app_context():
        user = db.session.get(User, member.id)
    assert user.email == member.email
