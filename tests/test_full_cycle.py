"""A whole cycle on the demo community: round -> invitations -> accept -> meeting ->
feedback emails -> feedback recorded -> the next round keeps "draining" and blocked
pairs apart and brings a mutual "again" pair back together."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from community.after_meeting import feedback
from community.demo.community import seed_demo
from community.extensions import db
from community.mail.delivery import send_pending_mail
from community.models import Match, MatchMember, MatchRound, User, utcnow
from community.rounds.approval import approve_round
from community.rounds.proposal import compute_round, start_round
from community.rounds.schedule import next_monday
from tests.conftest import links_in, login, path_of, submit


def deliver(app) -> None:
    with app.app_context():
        send_pending_mail()


def walking_round(app, organizer_id: int, week_start) -> MatchRound:
    with app.app_context():
        round_ = start_round(
            kind="walks", area_ids=[], min_size=2, max_size=3, week_start=week_start
        )
        db.session.commit()
        compute_round(round_)
        db.session.commit()
        approve_round(round_, db.session.get(User, organizer_id))
        db.session.commit()
        return round_.id


def pairs_of(app, round_id: int) -> list[list[int]]:
    with app.app_context():
        matches = db.session.execute(select(Match).where(Match.round_id == round_id)).scalars()
        return [[seat.user_id for seat in match.members] for match in matches]


def round_of_feedback_link(app, link: str) -> int:
    token = path_of(link).split("?", 1)[0].rsplit("/", 1)[1]
    with app.app_context():
        return feedback.seat_for_token(token).match.round_id


def accept_from_mail(app, mail_sink, user: User) -> None:
    [invitation] = [m for m in mail_sink.to(user.email) if "/invitations/" in m.text]
    link = next(link for link in links_in(invitation.text) if link.endswith("/accept"))
    response = submit(app.test_client(), path_of(link), {})
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]


def test_a_full_cycle_on_the_demo_shapes_the_next_round(make_app, mail_sink):
    app = make_app()
    with app.app_context():
        logins = seed_demo(300)
        db.session.commit()
        organizer_id = db.session.execute(select(User.id).where(User.role == "admin")).scalar_one()
        users = {u.id: u for u in db.session.execute(select(User)).scalars()}
        for u in users.values():
            db.session.expunge(u)
    password = next(x for x in logins if x.role == "member").password
    week = next_monday()

    first = walking_round(app, organizer_id, week)
    deliver(app)
    pairs = [p for p in pairs_of(app, first) if len(p) == 2]
    assert len(pairs) >= 3, "the demo should give several walking pairs"
    (ana, ben), (cat, dan), (eve, fay) = pairs[:3]
    for user_id in (ana, ben, cat, dan, eve, fay):
        accept_from_mail(app, mail_sink, users[user_id])

    # The meetings happen.
    with app.app_context():
        for match in db.session.execute(select(Match).where(Match.round_id == first)).scalars():
            match.meeting_at = utcnow() - timedelta(days=1)
        db.session.commit()
        assert feedback.queue_feedback_requests() >= 6
        db.session.commit()
    deliver(app)

    def answer(user_id: int, feeling: str, **extra) -> None:
        # A demo member may also be asked about a seeded meeting from last week: answer
        # the request for this round's walk.
        [link] = [
            link
            for mail in mail_sink.to(users[user_id].email)
            if mail.subject == "How did it feel?"
            for link in links_in(mail.text)
            if f"feeling={feeling}" in link and round_of_feedback_link(app, link) == first
        ]
        response = submit(
            app.test_client(), path_of(link), {"met": "yes", "feeling": feeling, **extra}
        )
        assert "Thank you" in response.get_data(as_text=True)

    answer(ana, "nurturing", **{f"again_{ben}": "yes"})
    answer(ben, "nurturing", **{f"again_{ana}": "yes"})
    answer(cat, "draining")
    client = app.test_client()
    login(client, users[eve].email, password)
    with app.app_context():
        match_id = db.session.execute(
            select(MatchMember.match_id)
            .join(Match, Match.id == MatchMember.match_id)
            .where(MatchMember.user_id == eve, Match.round_id == first)
        ).scalar_one()
    submit(
        client, f"/connections/{match_id}/safety", {}, action=f"/connections/{match_id}/block/{fay}"
    )

    second = walking_round(app, organizer_id, week + timedelta(days=7))
    together = {frozenset(p) for p in pairs_of(app, second)}
    placed = {member for pair in together for member in pair}
    assert not any({cat, dan} <= pair for pair in together), "draining keeps them apart"
    assert not any({eve, fay} <= pair for pair in together), "a block keeps them apart"
    assert {ana, ben} <= placed
    assert frozenset({ana, ben}) in together, "a mutual 'again' brings them back together"
