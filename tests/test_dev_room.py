"""The demo's stand-in video room: a room link from a demo invitation opens a page."""

from __future__ import annotations

from urllib.parse import urlsplit

from community.rounds.rooms import new_room_url


def test_a_demo_room_link_opens_a_page_that_explains_it(make_app, tmp_path):
    app = make_app(DEV_MAIL_DIR=str(tmp_path))
    link = new_room_url("http://127.0.0.1:5000/dev/room")
    response = app.test_client().get(urlsplit(link).path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert link.rsplit("/", 1)[1] in page
    assert "KINDRED_VIDEO_ROOM_URL" in page


def test_only_room_names_kindred_makes_are_served(make_app, tmp_path):
    client = make_app(DEV_MAIL_DIR=str(tmp_path)).test_client()
    assert client.get("/dev/room/not-a-room").status_code == 404
    assert client.get("/dev/room/kindred-<script>").status_code == 404


def test_there_is_no_demo_room_outside_development(app):
    assert app.test_client().get("/dev/room/kindred-abcdefghijkl").status_code == 404
