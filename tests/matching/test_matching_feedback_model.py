"""Learning from how meetings felt: which shared features make members feel nurtured."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from matching_rules import check_group_rules, check_walk_rules, community

from matching import (
    FeedbackVectorizer,
    Meeting,
    MeetingFeedback,
    Member,
    ProfileVectorizer,
    assign_volunteers,
    group_members,
    pair_walkers,
    synthetic,
)

TOPICS = {i: f"topic {i // synthetic.PER_TOPIC}" for i in range(150)}


def random_meetings(members, rounds, rng, size=5):
    """Everyone in random meetings of ``size``, ``rounds`` times."""
    ids = [m.id for m in members]
    meetings = []
    for r in range(rounds):
        order = rng.permutation(len(ids))
        for g in range(len(ids) // size):
            chosen = tuple(ids[i] for i in order[g * size : (g + 1) * size])
            meetings.append(Meeting((r, g), chosen, "in_person"))
    return meetings


def planted_feedback(members, meetings, block_weight, rng):
    """Feelings drawn from a logistic model in which each block counts ``block_weight``."""
    X = ProfileVectorizer(dtype=np.float64).fit(members).transform(members)
    where = {m.id: i for i, m in enumerate(members)}
    feedback = []
    for meeting in meetings:
        rows = [where[i] for i in meeting.member_ids]
        for a in rows:
            mates = [b for b in rows if b != a]
            score = np.mean([(X[a] * X[b] * block_weight).sum() for b in mates])
            z = -1.5 + 8.0 * score + rng.logistic()
            feeling = "nurturing" if z > 0 else ("draining" if z < -2 else "neutral")
            feedback.append(MeetingFeedback(meeting.id, members[a].id, feeling=feeling))
    return feedback


@pytest.fixture(scope="module")
def city():
    return synthetic.population(500, random_state=3)


@pytest.fixture(scope="module")
def planted(city):
    """Ten rounds in which sharing a topic-2 interest counts four times as much."""
    rng = np.random.RandomState(0)
    plain = ProfileVectorizer().fit(city)
    column_topic = np.concatenate([plain.interest_ids_ // synthetic.PER_TOPIC, [-1] * 5])
    block_weight = np.where(column_topic == 2, 4.0, 1.0)
    meetings = random_meetings(city, 10, rng)
    return meetings, planted_feedback(city, meetings, block_weight, rng)


def test_a_topic_that_matters_four_times_as_much_gets_the_largest_weight(city, planted):
    meetings, feedback = planted
    model = FeedbackVectorizer(topics=TOPICS).fit(city, meetings=meetings, feedback=feedback)
    weights = model.topic_weights_
    others = np.median([w for t, w in weights.items() if t != "topic 2"])
    assert max(weights, key=weights.get) == "topic 2"
    assert weights["topic 2"] / others > 2.5
    assert model.converged_
    assert model.n_meetings_ == len(meetings)
    assert model.n_answers_ == len(feedback)
    top = model.learned_effects_[0]
    assert top.feature == "topic 2" and top.ratio > 1.2
    assert "topic 2" in top.summary and "felt nurturing" in top.summary


def test_with_no_feedback_the_vectors_are_exactly_plain_similarity(city):
    plain = ProfileVectorizer().fit(city).transform(city)
    meetings = random_meetings(city, 1, np.random.RandomState(1))
    for model in (
        FeedbackVectorizer(topics=TOPICS).fit(city),
        FeedbackVectorizer(topics=TOPICS).fit(city, meetings=meetings, feedback=()),
    ):
        assert np.all(model.weights_ == 1.0)
        assert model.n_meetings_ == 0 and model.learned_effects_ == ()
        out = model.transform(city)
        assert out.dtype == plain.dtype and np.array_equal(out, plain)


def test_with_no_feedback_every_search_ranks_as_plain_similarity(city):
    members = city[:300]
    model = FeedbackVectorizer().fit(members)
    assert group_members(members, vectorizer=model) == group_members(members)
    assert pair_walkers(members, vectorizer=model) == pair_walkers(members)
    opportunities = synthetic.opportunities(20, random_state=1)
    assert assign_volunteers(members, opportunities, vectorizer=model) == assign_volunteers(
        members, opportunities
    )


def test_a_little_feedback_moves_the_weights_only_a_little(city, planted):
    meetings, feedback = planted
    first = {m.id for m in meetings[:3]}
    few = FeedbackVectorizer(topics=TOPICS).fit(
        city, meetings=meetings, feedback=[f for f in feedback if f.meeting_id in first]
    )
    many = FeedbackVectorizer(topics=TOPICS).fit(city, meetings=meetings, feedback=feedback)
    assert np.abs(np.log(few.weights_)).max() < np.abs(np.log(many.weights_)).max()
    assert np.all((few.weights_ > 0.6) & (few.weights_ < 1.7))


def test_learned_vectors_are_unit_rows_that_favour_the_learned_topic(city, planted):
    meetings, feedback = planted
    model = FeedbackVectorizer(topics=TOPICS).fit(city, meetings=meetings, feedback=feedback)
    X = model.transform(city)
    assert X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    pair = [Member(id="a", interests={20, 50}), Member(id="b", interests={20, 60})]
    plain = ProfileVectorizer().fit(city).transform(pair)
    learned = model.transform(pair)
    # They share interest 20, of the topic that matters: the learned score is higher.
    assert learned[0] @ learned[1] > plain[0] @ plain[1]


def test_the_same_seed_learns_the_same_weights(city, planted):
    meetings, feedback = planted
    kwargs = dict(topics=TOPICS, max_answers=800, random_state=5)
    one = FeedbackVectorizer(**kwargs).fit(city, meetings=meetings, feedback=feedback)
    two = FeedbackVectorizer(**kwargs).fit(city, meetings=meetings, feedback=feedback)
    assert np.array_equal(one.weights_, two.weights_)
    assert np.array_equal(one.transform(city), two.transform(city))
    assert one.metadata_ == two.metadata_
    assert one.n_answers_ == 800


def test_a_warm_start_reaches_the_same_weights(city, planted):
    meetings, feedback = planted
    cold = FeedbackVectorizer(topics=TOPICS).fit(city, meetings=meetings, feedback=feedback)
    warm = FeedbackVectorizer(topics=TOPICS, warm_start=True)
    warm.fit(city, meetings=meetings, feedback=feedback[: len(feedback) // 2])
    warm.fit(city, meetings=meetings, feedback=feedback)
    np.testing.assert_allclose(warm.weights_, cold.weights_, rtol=0.02)


def test_absent_members_and_would_meet_again_answers_are_used():
    members = [Member(id=i, interests={i % 3}, comfort=1 + i % 5) for i in range(8)]
    meeting = Meeting("m", (0, 1, 2, 3), "online")
    feedback = [
        MeetingFeedback("m", 0, met=True, feeling="nurturing", again={1: True, 3: False}),
        MeetingFeedback("m", 1, met=True, feeling="draining"),
        MeetingFeedback("m", 2, met=False),
        MeetingFeedback("m", 3, met=True, again={0: True}),
    ]
    model = FeedbackVectorizer().fit(members, meetings=[meeting], feedback=feedback)
    assert model.n_answers_ == 2  # the absent member and the one who only answered "again"
    assert model.n_again_answers_ == 3
    assert model.n_meetings_ == 1
    assert model.model_version_ == model.metadata_["version"]
    json.dumps(model.metadata_)


@settings(max_examples=40, deadline=None)
@given(community(min_n=2))
def test_learned_scores_never_bend_a_hard_rule(data):
    members, avoid, prefer = data
    rng = np.random.RandomState(len(members))
    meetings = random_meetings(members, 2, rng, size=2)
    feedback = [
        MeetingFeedback(m.id, who, feeling=str(rng.choice(["nurturing", "neutral", "draining"])))
        for m in meetings
        for who in m.member_ids
    ]
    model = FeedbackVectorizer(prior_strength=0.1).fit(
        members, meetings=meetings, feedback=feedback
    )
    groups = group_members(members, avoid=avoid, prefer=prefer, vectorizer=model)
    check_group_rules(members, groups, avoid)
    walks = pair_walkers(members, avoid=avoid, prefer=prefer, vectorizer=model)
    check_walk_rules(members, walks, avoid)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Meeting("m", ("a",)), "at least two members"),
        (lambda: Meeting("m", ("a", "a")), "appears twice"),
        (lambda: Meeting("m", ("a", "b"), "either"), "format must be one of"),
        (lambda: MeetingFeedback("m", "a", feeling="lovely"), "feeling must be one of"),
        (lambda: MeetingFeedback("m", "a", met="yes"), "met must be"),
        (lambda: MeetingFeedback("m", "a", again={"b": "maybe"}), "again must map"),
    ],
)
def test_malformed_feedback_is_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


MEMBERS = [Member(id=i, interests={i}) for i in range(4)]
MEETING = Meeting("m", (0, 1, 2))


@pytest.mark.parametrize(
    ("kwargs", "fit", "message"),
    [
        ({"prior_strength": 0}, {}, "prior_strength must be a positive number"),
        ({"again_weight": 2}, {}, r"again_weight must lie in \[0, 1\]"),
        ({"max_weight": 1}, {}, "max_weight must be a number above 1"),
        ({"max_iter": 0}, {}, "max_iter must be a positive int"),
        ({"topics": {1: 7}}, {}, "topics must map int interest ids to str topic names"),
        ({}, {"meetings": [MEETING, MEETING]}, "meeting ids must be unique"),
        ({}, {"meetings": [Meeting("x", (0, 9))]}, "names member 9, who is not in members"),
        ({}, {"feedback": [MeetingFeedback("nope", 0)]}, "which is not in meetings"),
        ({}, {"feedback": [MeetingFeedback("m", 3)]}, "they were not in that meeting"),
        (
            {},
            {"feedback": [MeetingFeedback("m", 0), MeetingFeedback("m", 0)]},
            "gave feedback on meeting 'm' twice",
        ),
        (
            {},
            {"feedback": [MeetingFeedback("m", 0, again={3: True})]},
            "again names 3, who was not one of their group-mates",
        ),
        ({}, {"feedback": ["nurturing"]}, "expected MeetingFeedback instances"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(kwargs, fit, message):
    fit.setdefault("meetings", [MEETING])
    with pytest.raises(ValueError, match=message):
        FeedbackVectorizer(**kwargs).fit(MEMBERS, **fit)


def test_members_must_be_members_with_unique_ids():
    with pytest.raises(ValueError, match="expected matching.Member instances"):
        FeedbackVectorizer().fit([{"id": 1}])
    with pytest.raises(ValueError, match="member ids must be unique"):
        FeedbackVectorizer().fit([Member(id=1), Member(id=1)])


def weekly(meetings, feedback):
    """The planted history one round at a time, as a community's weekly loop sees it."""
    for r in sorted({m.id[0] for m in meetings}):
        yield (
            [m for m in meetings if m.id[0] == r],
            [f for f in feedback if f.meeting_id[0] == r],
        )


def test_weekly_partial_fits_reach_the_weights_of_one_fit_on_everything(city, planted):
    meetings, feedback = planted
    once = FeedbackVectorizer(topics=TOPICS).fit(city, meetings=meetings, feedback=feedback)
    weekly_model = FeedbackVectorizer(topics=TOPICS)
    for new_meetings, new_feedback in weekly(meetings, feedback):
        weekly_model.partial_fit(city, meetings=new_meetings, feedback=new_feedback)
    np.testing.assert_allclose(weekly_model.weights_, once.weights_, rtol=0.02)
    assert weekly_model.n_answers_ == once.n_answers_
    assert weekly_model.n_meetings_ == once.n_meetings_
    assert [e.summary for e in weekly_model.learned_effects_] == [
        e.summary for e in once.learned_effects_
    ]


def test_refits_are_deterministic(city, planted):
    meetings, feedback = planted
    runs = []
    for _ in range(2):
        model = FeedbackVectorizer(topics=TOPICS, max_answers=1_500, random_state=4)
        for new_meetings, new_feedback in weekly(meetings, feedback):
            model.partial_fit(city, meetings=new_meetings, feedback=new_feedback)
        runs.append(model)
    one, two = runs
    assert one.n_answers_ == 1_500  # the history is capped at max_answers
    assert np.array_equal(one.weights_, two.weights_)
    assert np.array_equal(one.transform(city), two.transform(city))
    assert one.metadata_ == two.metadata_


def test_partial_fit_takes_each_meeting_once_among_the_same_members(city, planted):
    meetings, feedback = planted
    first, first_feedback = next(weekly(meetings, feedback))
    model = FeedbackVectorizer(topics=TOPICS).partial_fit(
        city, meetings=first, feedback=first_feedback
    )
    with pytest.raises(ValueError, match="was given to an earlier fit"):
        model.partial_fit(city, meetings=first[:1], feedback=[])
    with pytest.raises(ValueError, match="the members of the first fit"):
        model.partial_fit(city[:-1], meetings=[], feedback=[])


def test_stored_weights_give_the_vectors_they_were_learned_with(city, planted):
    meetings, feedback = planted
    learned = FeedbackVectorizer(topics=TOPICS).fit(city, meetings=meetings, feedback=feedback)
    stored = json.loads(json.dumps(learned.metadata_["weights"]))  # as a round keeps them
    again = FeedbackVectorizer(topics=TOPICS).fit(city).set_weights({**stored, "topic:gone": 3.0})
    np.testing.assert_allclose(again.transform(city), learned.transform(city), atol=1e-4)
    np.testing.assert_allclose(again.idf_, learned.idf_, rtol=1e-4)
    with pytest.raises(ValueError, match="must be positive"):
        again.set_weights({"comfort": 0.0})


def test_a_planted_distance_effect_is_learned_as_a_meeting_term_not_a_weight():
    """Meetings of near neighbours felt better; interests had nothing to do with it."""
    rng = np.random.RandomState(5)
    members = []
    for cluster in range(20):  # twenty neighbourhoods, 5-10 km apart
        centre = np.array([51.5 + 0.05 * (cluster % 5), -0.1 + 0.08 * (cluster // 5)])
        for _ in range(20):
            lat, lon = centre + rng.normal(0.0, 0.001, size=2)  # within about 200 m
            members.append(
                Member(
                    id=len(members),
                    interests=frozenset(rng.choice(30, size=3, replace=False).tolist()),
                    comfort=int(rng.randint(1, 6)),
                    location=(float(lat), float(lon)),
                )
            )
    meetings = []
    for number in range(600):
        if number % 2:  # five neighbours
            cluster = rng.randint(20)
            chosen = rng.choice(20, size=5, replace=False) + 20 * cluster
        else:  # five people from five neighbourhoods
            clusters = rng.choice(20, size=5, replace=False)
            chosen = clusters * 20 + rng.randint(20, size=5)
        meetings.append(Meeting(number, tuple(int(i) for i in chosen), "in_person"))
    meetings.append(Meeting("online", (0, 100, 200), "online"))  # no distance for online
    feedback = []
    for meeting in meetings:
        near = meeting.id != "online" and meeting.id % 2 == 1
        for member_id in meeting.member_ids:
            z = (1.0 if near else -1.0) + rng.logistic()
            feeling = "nurturing" if z > 0 else ("draining" if z < -2 else "neutral")
            feedback.append(MeetingFeedback(meeting.id, member_id, feeling=feeling))

    model = FeedbackVectorizer().fit(members, meetings=meetings, feedback=feedback)

    assert set(model.distance_effects_) == {"within 1 km", "over 3 km"}
    assert model.distance_effects_["within 1 km"] > 3 * model.distance_effects_["over 3 km"]
    effect = next(e for e in model.learned_effects_ if e.feature == "distance within 1 km")
    assert effect.kind == "distance" and effect.weight is None
    assert effect.ratio > 2.0
    assert effect.n_with == effect.n_without == 1500  # the online meeting counts on neither side
    assert effect.summary.startswith("Meetings where members lived within 1 km of each other")
    # The distance term took the effect, so the feature weights barely moved.
    assert np.all(np.abs(np.log(model.weights_)) < np.log(1.3))
    json.dumps(model.metadata_)
