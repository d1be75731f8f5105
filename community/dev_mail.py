"""Development only: read what the local mail sink received, at /dev/mail."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, render_template
from markupsafe import Markup, escape

from community.mail_sink import ReceivedMail, read_folder

bp = Blueprint("dev_mail", __name__, url_prefix="/dev/mail")

URL = re.compile(r"https?://[^\s<>\"]+")


def linkify(text: str) -> Markup:
    escaped = str(escape(text))
    return Markup(URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped))


def messages() -> list[tuple[str, ReceivedMail]]:
    folder = current_app.config.get("DEV_MAIL_DIR")
    return [(name, ReceivedMail([], message)) for name, message in read_folder(folder or "")]


@bp.get("/")
def inbox():
    return render_template("dev/mail_list.html", messages=messages())


@bp.get("/<name>")
def message(name: str):
    found = dict(messages()).get(name)
    if found is None:
        abort(404)
    return render_template("dev/mail_message.html", name=name, mail=found, body=linkify(found.text))
