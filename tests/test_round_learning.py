"""Matching that learns from how meetings felt: the community's own feedback, aggregates only."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from itertools import combinations

import pytest
from sqlalchemy import select

from community.account import data_control
from community.demo.community import seed_demo
from community.extensions import db
from community.members import profiles
from community.models import Feedback, Interest, Match, MatchMember, MatchRound, User, utcnow
from community.rounds import proposal
from community.rounds.adjustment import match_number, mean_pair_similarity, move_member
from community.rounds.eligibility import members_for
from community.rounds.learning import interest_topics, training_set
from matching import FeedbackVectorizer, ProfileVectorizer
from matching.feedback_model import MODEL_VERSION
from tests.conftest import login
from tests.factories import PASSWORD
from tests.round_helpers import community, make_round, opportunity, organizer
from tests.test_browser import DESKTOP, PHONE, browser, live_server, shoot  # noqa: F401

SECRET_NOTE = "Only the organizers may read this about my afternoon."


def two_topics(app) -> tuple[Interest, Interest]:
    """Two interests of different categories from the default vocabulary."""
    with app.app_context():
        interests = list(db.session.execute(select(Interest).order_by(Interest.id)).scalars())
        first = interests[0]
        second = next(i for i in interests if i.category != first.category)
        db.session.expunge_all()
        return first, second


def feedback_history(app, members, warm_camps=(0, 1)) -> dict:
    """Twelve members in two interest camps and 50 past pairs, each answered by both.

    Pairs within a camp of ``warm_camps`` felt nurturing; pairs within another camp
    felt neutral; pairs across camps felt draining or neutral.
    """
    first, second = two_topics(app)
    people = community(members, 12)
    with app.app_context():
        camps: dict[int, list[int]] = {0: [], 1: []}
        for number, person in enumerate(people):
            user = db.session.get(User, person.id)
            interest = db.session.get(Interest, (first, second)[number % 2].id)
            user.profile.interests = [interest]
            camps[number % 2].append(person.id)
        same = [p for camp in camps.values() for p in combinations(camp, 2)]  # 30
        across = [(a, b) for a in camps[0] for b in camps[1]][:20]
        warm = {u for camp in warm_camps for u in camps[camp]}
        past = utcnow() - timedelta(weeks=3)
        round_ = MatchRound(kind="groups", week_start=past.date(), status="approved")
        db.session.add(round_)
        for number, (a, b) in enumerate(same + across):
            match = Match(
                round=round_,
                kind="groups",
                status="active",
                slot=1,
                format="in_person",
                meeting_at=past,
            )
            match.members = [MatchMember(user_id=u, status="accepted") for u in (a, b)]
            db.session.add(match)
            db.session.flush()
            within = (a, b) in same
            for u in (a, b):
                if within:
                    feeling = "nurturing" if a in warm else "neutral"
                else:
                    feeling = "draining" if number % 2 else "neutral"
                db.session.add(
                    Feedback(
                        match_id=match.id, user_id=u, met=True, feeling=feeling, note=SECRET_NOTE
                    )
                )
        db.session.commit()
    pairs = same + across
    return {"people": people, "pairs": pairs, "camps": camps}


def meetings_of(history: dict, user_id: int) -> int:
    return sum(1 for pair in history["pairs"] if user_id in pair)


def model_of(app, round_id: int) -> dict:
    with app.app_context():
        return db.session.get(MatchRound, round_id).quality["model"]


def organizer_client(app, members):
    user = organizer(members)
    client = app.test_client()
    login(client, user.email, PASSWORD)
    return client


def learned_section(html: str) -> str:
    found = re.search(r'<section[^>]*id="learned".*?</section>', html, re.S)
    assert found, "the page has no learned section"
    return found.group(0)


def test_a_round_after_feedback_is_scored_by_the_learned_model(app, members):
    history = feedback_history(app, members)
    round_id = make_round(app)

    model = model_of(app, round_id)
    assert model["version"] == MODEL_VERSION
    assert model["n_meetings"] == len(history["pairs"]) == 50
    assert model["n_answers"] == 100
    assert model["trained_at"].endswith("+00:00")
    topics = [e for e in model["effects"] if e["kind"] == "topic"]
    assert topics and all(min(e["n_with"], e["n_without"]) >= 20 for e in model["effects"])
    assert all(e["rate_with"] > e["rate_without"] for e in topics)

    client = organizer_client(app, members)
    preview = learned_section(client.get(f"/organize/rounds/{round_id}").get_data(as_text=True))
    assert 'data-learned="model"' in preview
    assert "said their meeting felt nurturing" in preview
    assert "<svg" in preview and "Shared" in preview
    dashboard = learned_section(client.get("/organize/dashboard").get_data(as_text=True))
    assert "said their meeting felt nurturing" in dashboard
    assert f"round {round_id}" in dashboard


def test_with_no_feedback_the_preview_says_plain_similarity_is_used(app, members):
    community(members, 8)
    round_id = make_round(app)
    assert model_of(app, round_id)["n_meetings"] == 0
    assert model_of(app, round_id)["version"] is None

    client = organizer_client(app, members)
    page = client.get(f"/organize/rounds/{round_id}").get_data(as_text=True)
    assert "Not enough feedback yet: rounds use plain similarity" in learned_section(page)
    dashboard = client.get("/organize/dashboard").get_data(as_text=True)
    assert "Not enough feedback yet: rounds use plain similarity" in dashboard


def test_volunteering_rounds_record_no_model(app, members):
    community(members, 4, wants_volunteering=True)
    round_id = make_round(app, kind="volunteering")
    with app.app_context():
        assert "model" not in db.session.get(MatchRound, round_id).quality


def test_a_volunteering_round_after_feedback_weighs_interests_by_the_model(
    app, members, monkeypatch
):
    history = feedback_history(app, members, warm_camps=(0,))
    with app.app_context():
        for person in history["people"]:
            db.session.get(User, person.id).profile.wants_volunteering = True
        db.session.commit()
    opportunity(app, capacity=12)
    given = []

    def assign_volunteers(*args, **kwargs):
        given.append(kwargs["vectorizer"])
        return real(*args, **kwargs)

    real = proposal.matching.assign_volunteers
    monkeypatch.setattr(proposal.matching, "assign_volunteers", assign_volunteers)
    round_id = make_round(app, kind="volunteering")

    (vectorizer,) = given
    assert isinstance(vectorizer, FeedbackVectorizer)  # the stored weights, over the volunteers
    first, second = sorted(vectorizer.topic_weights_.values())
    assert second > 1.2 * first  # the camp whose meetings felt nurturing counts for more
    model = model_of(app, round_id)
    assert model["version"] == MODEL_VERSION and model["n_meetings"] == 50


def test_a_manual_move_is_rescored_with_the_learned_vectors(app, members):
    feedback_history(app, members, warm_camps=(0,))
    round_id = make_round(app)
    weights = model_of(app, round_id)["weights"]
    assert max(weights.values()) > 1.1 * min(weights.values())
    with app.app_context():
        round_ = db.session.get(MatchRound, round_id)
        seat = round_.matches[0].members[0]
        target = match_number(round_, 2)
        move_member(round_, seat.id, target)
        db.session.commit()
        people = members_for(s.user_id for m in round_.matches for s in m.members)
        everyone = [people[u] for u in sorted(people)]
        learned = FeedbackVectorizer(topics=interest_topics()).fit(everyone)
        learned.set_weights(weights)
        row = {m.id: i for i, m in enumerate(everyone)}
        mine = [row[s.user_id] for s in target.members]
        expected = mean_pair_similarity(learned.transform(everyone)[mine])
        plain = mean_pair_similarity(ProfileVectorizer().fit_transform(everyone)[mine])
        assert target.score == pytest.approx(expected, abs=1e-6)
        assert abs(target.score - plain) > 1e-3


def test_withdrawn_consent_and_deleted_accounts_leave_the_next_training(app, members):
    history = feedback_history(app, members)
    leaver, deleter = history["camps"][0][0], history["camps"][1][0]
    before = model_of(app, make_round(app))

    with app.app_context():
        profiles.set_consent(db.session.get(User, leaver).profile, False)
        db.session.commit()
    after_withdrawal = model_of(app, make_round(app))
    lost = meetings_of(history, leaver)
    assert after_withdrawal["n_meetings"] == before["n_meetings"] - lost
    # Pairs: with one member gone, the other's answer about them goes too.
    assert after_withdrawal["n_answers"] == before["n_answers"] - 2 * lost
    with app.app_context():
        data = training_set([])
        assert leaver not in {m.id for m in data.members}
        assert all(leaver not in m.member_ids for m in data.meetings)

    with app.app_context():
        data_control.delete_account(db.session.get(User, deleter), PASSWORD)
        db.session.commit()
    after_deletion = model_of(app, make_round(app))
    both = sum(1 for pair in history["pairs"] if leaver in pair and deleter in pair)
    lost_too = meetings_of(history, deleter) - both
    assert after_deletion["n_meetings"] == after_withdrawal["n_meetings"] - lost_too
    assert after_deletion["n_answers"] == after_withdrawal["n_answers"] - 2 * lost_too


def test_nobody_sees_anyone_elses_answers(app, members):
    history = feedback_history(app, members)
    round_id = make_round(app)
    member = history["people"][0]

    client = app.test_client()
    login(client, member.email, PASSWORD)
    for page in (f"/organize/rounds/{round_id}", "/organize/dashboard"):
        response = client.get(page)
        assert response.status_code in (302, 403, 404)
        assert "felt nurturing" not in response.get_data(as_text=True)
    exported = json.loads(client.get("/account/export.json").get_data(as_text=True))
    assert len(exported["feedback_given"]) == meetings_of(history, member.id)

    # Organizers see totals over many answers: no names, no notes, no single answer.
    organizer_pages = organizer_client(app, members)
    for page in (f"/organize/rounds/{round_id}", "/organize/dashboard"):
        section = learned_section(organizer_pages.get(page).get_data(as_text=True))
        assert SECRET_NOTE not in section
        for person in history["people"]:
            assert person.display_name not in section
        counts = [int(n) for n in re.findall(r"of (\d+) answers", section)]
        assert counts and min(counts) >= 20


def test_the_export_and_privacy_page_say_feedback_teaches_matching(app, members):
    member = members.create(complete=True)
    client = app.test_client()
    login(client, member.email, PASSWORD)
    data = json.loads(client.get("/account/export.json").get_data(as_text=True))
    assert "within this community only" in data["how_your_feedback_is_used"]
    assert "next training" in data["how_your_feedback_is_used"]
    page = client.get("/account/export").get_data(as_text=True)
    assert "within this community only" in page
    assert "what makes meetings feel good" in page
    privacy = client.get("/privacy").get_data(as_text=True)
    assert "within this community only" in privacy


@pytest.mark.browser
@pytest.mark.parametrize(("viewport_name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_organizer_reads_what_matching_learned_on_the_preview(
    app,
    members,
    browser,  # noqa: F811
    live_server,  # noqa: F811
    viewport_name,
    viewport,
):
    feedback_history(app, members)
    round_id = make_round(app)
    boss = organizer(members)
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(boss.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server}/organize/rounds/{round_id}")
    section = page.locator("#learned")
    section.get_by_role("heading", name="What matching has learned from feedback").wait_for()
    assert section.locator("svg").count() == 1
    assert "felt nurturing" in section.inner_text()
    # Nothing spills sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    section.scroll_into_view_if_needed()
    shoot(page, f"{viewport_name}-learned-preview")
    section.screenshot(path=f"tests/artifacts/{viewport_name}-learned-section.png")
    context.close()


def test_a_demo_groups_round_is_scored_by_what_the_demo_history_taught(app):
    with app.app_context():
        seed_demo(300)
        db.session.commit()
    round_id = make_round(app, min_size=4, max_size=6)
    model = model_of(app, round_id)
    assert model["version"] == MODEL_VERSION
    assert model["n_meetings"] >= 50
    assert any(e["kind"] == "topic" for e in model["effects"])


def test_a_topic_starting_with_a_vowel_reads_with_an():
    from community.rounds.learning_pages import sentence

    effect = {"kind": "topic", "feature": "outdoors", "rate_with": 0.8, "rate_without": 0.4}
    effect |= {"n_with": 30, "n_without": 70}
    assert sentence(effect).startswith("Members who shared an outdoors-type interest")
