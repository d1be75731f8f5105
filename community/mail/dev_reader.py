"""Development only: read what the local mail sink received, at /dev/mail."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, render_template

from community.mail.sink import ReceivedMail, read_folder

bp = Blueprint("dev_mail", __name__, url_prefix="/dev/mail")

URL = re.compile(r"https?://[^\s<>\"]+")


def linkify(text: str) -> list[tuple[bool, str]]:
    """The text as (is_link, text) pieces; the template links the URLs and escapes it all."""
    pieces: list[tuple[bool, str]] = []
    start = 0
    for found in URL.finditer(text):
        if found.start() > start:
            pieces.append((False, text[start : found.start()]))
        pieces.append((True, found.group(0)))
        start = found.end()
    if start < len(text):
        pieces.append((False, text[start:]))
    return pieces


def messages() -> list[tuple[str, ReceivedMail]]:
    folder = current_app.config.get("DEV_MAIL_DIR")
    return [(name, ReceivedMail([], message)) for name, message in read_folder(folder or "")]


@bp.get("/")
def inbox():
    return render_template("mail/list.html", messages=messages())


@bp.get("/<name>")
def message(name: str):
    found = dict(messages()).get(name)
    if found is None:
        abort(404)
    return render_template("mail/message.html", name=name, mail=found, body=linkify(found.text))
