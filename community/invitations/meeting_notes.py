"""One short note per member on a meeting's page ("I'll wear a green scarf"), and its reports."""

from __future__ import annotations

import unicodedata

from sqlalchemy import select, update

from community.after_meeting.safety import MAX_REASON, MIN_REASON
from community.extensions import db
from community.invitations.meeting_page import attendee_seat
from community.models import MeetingNote, Report, User, utcnow

NOTE_MAX = 140


class NoteRefused(Exception):
    """A note or report that cannot be saved; the message is for the member."""


def clean_note(text: str | None) -> str:
    """The note as stored, or a clear reason it can't be: one line, 1 to 140 characters."""
    text = (text or "").strip()
    if "\x00" in text:
        raise NoteRefused("Your note has a character we can't store. Please retype it.")
    if "\r" in text or "\n" in text:
        raise NoteRefused("Please keep your note on one line.")
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise NoteRefused("Your note has a character we can't store. Please retype it.")
    if not text:
        raise NoteRefused("Please write a few words, or remove your note instead.")
    if len(text) > NOTE_MAX:
        raise NoteRefused(f"Please keep your note to {NOTE_MAX} characters (it has {len(text)}).")
    return text


def note_of(user: User, match_id: int) -> MeetingNote | None:
    return db.session.execute(
        select(MeetingNote).where(MeetingNote.match_id == match_id, MeetingNote.user_id == user.id)
    ).scalar_one_or_none()


def save_note(user: User, match_id: int, text: str | None) -> MeetingNote:
    """Write or rewrite the member's one note for the others going."""
    seat = attendee_seat(user, match_id)
    if seat.match.status == "cancelled":
        raise NoteRefused("This meeting is cancelled, so notes are closed.")
    text = clean_note(text)
    note = note_of(user, match_id)
    if note is not None and note.hidden_at is not None:
        raise NoteRefused("The organizers hid your note. You can remove it, but not change it.")
    if note is None:
        note = MeetingNote(match_id=match_id, user_id=user.id, text=text)
        db.session.add(note)
    else:
        note.text = text
        note.created_at = utcnow()
    return note


def remove_note(user: User, match_id: int) -> bool:
    """Delete the member's note; False if there was none."""
    attendee_seat(user, match_id)
    note = note_of(user, match_id)
    if note is None:
        return False
    # A report keeps the note's words in its reason; it just stops pointing at the row.
    db.session.execute(update(Report).where(Report.note_id == note.id).values(note_id=None))
    db.session.delete(note)
    return True


def report_note(user: User, match_id: int, note_id: int, reason: str | None) -> Report:
    """Tell the organizers about another attendee's note; its author never learns who."""
    attendee_seat(user, match_id)
    note = db.session.get(MeetingNote, note_id)
    if note is None or note.match_id != match_id or note.hidden_at is not None:
        raise NoteRefused("That note isn't on this meeting's page any more.")
    if note.user_id == user.id:
        raise NoteRefused("That's your own note: you can change or remove it instead.")
    reason = (reason or "").strip()
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        raise NoteRefused(
            f"Please tell us what's wrong with it in {MIN_REASON} to {MAX_REASON} characters."
        )
    already = db.session.execute(
        select(Report.id).where(Report.note_id == note.id, Report.reporter_id == user.id)
    ).first()
    if already:
        raise NoteRefused("You've reported this note already. The organizers will look at it.")
    report = Report(
        reporter_id=user.id,
        reported_user_id=note.user_id,
        match_id=match_id,
        note_id=note.id,
        reason=f"About their note \u201c{note.text}\u201d: {reason}",
    )
    db.session.add(report)
    return report
