"""Development only: the demo's stand-in for a video room, at /dev/room/<name>.

`make run` gives online meetings room links under this address when no
KINDRED_VIDEO_ROOM_URL is configured, so a demo invitation's link opens a page
that says what a real community would see there, rather than nothing.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, render_template

bp = Blueprint("dev_room", __name__, url_prefix="/dev/room")

# Room names are made by community.rounds.rooms.new_room_url: "kindred-" and a URL-safe token.
ROOM_NAME = re.compile(r"kindred-[A-Za-z0-9_-]{8,64}")


@bp.get("/<name>")
def room(name: str):
    if not ROOM_NAME.fullmatch(name):
        abort(404)
    return render_template("web/dev_room.html", name=name)
