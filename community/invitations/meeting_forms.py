"""Forms of the meeting page: a member's note, and reporting someone else's."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from community.invitations.meeting_notes import NOTE_MAX


class NoteForm(FlaskForm):
    # Checked by meeting_notes.clean_note, so the page and the service say the same thing.
    text = StringField(
        "A note for the others (optional)",
        description=f"One line, up to {NOTE_MAX} characters: "
        "\u201cI'll wear a green scarf\u201d or \u201cRunning 5 minutes late is fine\u201d.",
    )


class ReportNoteForm(FlaskForm):
    reason = TextAreaField("What's wrong with this note?")


class RemoveNoteForm(FlaskForm):
    pass
