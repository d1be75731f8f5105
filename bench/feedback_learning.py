"""Does matching that learns from feedback make more meetings feel nurturing?

``python -m bench.feedback_learning [--quick]``

A synthetic community (``matching.synthetic``, group seekers only) has hidden
tastes its profiles reveal only in part: each member's true interests are
most of the listed ones plus one unlisted one; three of the fifteen topics
matter far more than the rest for how a meeting feels; and about half the
members feel better with people of a similar comfort level (and shy
members like groups of more than four less). Every week a random 80% of the
community asks for a group. Two policies group the same members each week
with :func:`matching.group_members`:

- static: plain profile similarity (a ProfileVectorizer fitted on the whole
  community, so that with no feedback both policies group identically);
- learned: a :class:`matching.FeedbackVectorizer` refitted before each round
  on every meeting and answer so far (``partial_fit`` with last week's
  meetings and answers: only those are read, and the optimiser starts from
  last week's solution).

Each meeting's feedback is drawn from the hidden tastes with noise: who comes
(90%), how it felt (nurturing, neutral or draining) and, per group-mate,
whether they would meet again; "no" answers become avoid pairs for that
policy's later rounds. The learner sees only the meetings and the answers,
never the hidden tastes. Both policies share the noise of each member's week
(common random numbers), so their difference is the grouping's.

A meeting "felt nurturing" when at least half of those who came and answered
said nurturing. Per round this prints that share for both policies, the
share of nurturing answers, and each round's time (the learned round includes
refitting; the ratios use CPU time, steadier than the wall clock on a shared
machine), then what one full refit on the whole history costs (what the web
app does at round time when its stored model is stale) and what an app-shape
round costs when the stored model is reused (vectors from stored weights, no
fit) against a static one; at the end the one line ``nurturing ratio
(learned/static) after N rounds: X.XX`` compares the last round.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.rules import breaks_rules
from matching import (
    FeedbackVectorizer,
    Meeting,
    MeetingFeedback,
    Member,
    ProfileVectorizer,
    group_members,
    synthetic,
)

QUICK = {"members": 6_000, "rounds": 8, "seed": 7}
FULL = {"members": 12_000, "rounds": 12, "seed": 7}
WEEKLY_SHARE = 0.8
ATTENDANCE = 0.9
ANSWER_RATE = 0.85
IMPORTANT_TOPICS = 3
HIGH_TOPIC, LOW_TOPIC = 2.0, 0.2
COMFORT_SENSITIVE = 0.5
TASTE_SCALE = 1.0
FEELING_BASE = -1.6
DRAINING_BELOW = -2.0
AGAIN_BASE = 0.8
TARGET_RATIO = 1.15
TARGET_SLOWDOWN = 1.10


class HiddenTastes:
    """What really makes a meeting feel good; only ``feedback`` is shown to the learner."""

    def __init__(self, members: Sequence[Member], rng: np.random.RandomState):
        n = len(members)
        n_interests = synthetic.N_TOPICS * synthetic.PER_TOPIC
        true = np.zeros((n, n_interests), dtype=bool)
        for i, m in enumerate(members):
            listed = np.array(sorted(m.interests), dtype=np.int64)
            kept = listed[rng.rand(len(listed)) < 0.75]
            true[i, kept] = True
            if len(listed):  # one unlisted interest in a topic they chose
                topic = int(rng.choice(listed)) // synthetic.PER_TOPIC
                true[i, topic * synthetic.PER_TOPIC + rng.randint(synthetic.PER_TOPIC)] = True
        topic_weight = np.full(synthetic.N_TOPICS, LOW_TOPIC)
        topic_weight[rng.choice(synthetic.N_TOPICS, IMPORTANT_TOPICS, replace=False)] = HIGH_TOPIC
        self.important_topics = np.flatnonzero(topic_weight == HIGH_TOPIC)
        per_interest = np.repeat(topic_weight, synthetic.PER_TOPIC)
        # A pair's interest affinity is true @ diag(per_interest) @ true.T, built lazily.
        self.weighted = true * np.sqrt(per_interest)
        self.comfort = np.array([m.comfort for m in members], dtype=np.float64)
        self.comfort_taste = np.where(rng.rand(n) < COMFORT_SENSITIVE, 1.5, 0.0)
        self.shy = np.array([m.is_shy for m in members])

    def affinity(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """How well ``a[k]`` feels with ``b[k]`` (not symmetric: comfort taste is a's)."""
        shared = np.einsum("ij,ij->i", self.weighted[a], self.weighted[b])
        close = 1.0 - np.abs(self.comfort[a] - self.comfort[b]) / 2.0
        return TASTE_SCALE * np.minimum(shared, 4.0) + self.comfort_taste[a] * close


@dataclass
class Week:
    """Everyone's dice for one week, shared by both policies."""

    attends: np.ndarray
    answers: np.ndarray
    feeling_noise: np.ndarray

    @classmethod
    def draw(cls, n: int, rng: np.random.RandomState) -> Week:
        return cls(rng.rand(n) < ATTENDANCE, rng.rand(n) < ANSWER_RATE, rng.logistic(size=n))


@dataclass
class RoundOutcome:
    meetings: list[Meeting]
    feedback: list[MeetingFeedback]
    nurturing_meetings: float
    nurturing_answers: float
    said_no: list[tuple[int, int]]


def hold_meetings(
    groups: list[tuple[int, ...]],
    week: Week,
    tastes: HiddenTastes,
    round_no: int,
    rng: np.random.RandomState,
) -> RoundOutcome:
    meetings, feedback, said_no = [], [], []
    felt_nurturing, answered, answers, nurturing = 0, 0, 0, 0
    for g, ids in enumerate(groups):
        meeting = Meeting((round_no, g), ids, "in_person")
        meetings.append(meeting)
        came = [i for i in ids if week.attends[i]]
        feelings = []
        for i in ids:
            if not week.attends[i]:
                feedback.append(MeetingFeedback(meeting.id, i, met=False))
                continue
            mates = np.array([j for j in came if j != i], dtype=np.int64)
            if not len(mates) or not week.answers[i]:
                continue
            pair = tastes.affinity(np.full(len(mates), i), mates)
            z = FEELING_BASE + pair.mean() - 0.3 * tastes.shy[i] * max(len(came) - 4, 0)
            z += week.feeling_noise[i]
            feeling = "nurturing" if z > 0 else ("draining" if z < DRAINING_BELOW else "neutral")
            again = AGAIN_BASE + pair + rng.logistic(size=len(mates)) > 0
            answer = dict(zip(mates.tolist(), again.tolist(), strict=True))
            said_no += [(i, j) for j, yes in answer.items() if not yes]
            feedback.append(MeetingFeedback(meeting.id, i, met=True, feeling=feeling, again=answer))
            feelings.append(feeling)
        if feelings:
            answered += 1
            answers += len(feelings)
            nurturing += feelings.count("nurturing")
            felt_nurturing += 2 * feelings.count("nurturing") >= len(feelings)
    return RoundOutcome(
        meetings,
        feedback,
        felt_nurturing / max(answered, 1),
        nurturing / max(answers, 1),
        said_no,
    )


def cpu_seconds() -> float:
    """CPU time of this process and of the block workers it has forked and reaped."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def check_rules(members: list[Member], result, avoid: set, who: list[int]) -> None:
    """Hard rules still hold: sizes, slots, formats, distance, avoid pairs, nobody twice."""
    seen = [i for m in result.matches for i in m.member_ids] + [
        u.member_id for u in result.unplaced
    ]
    assert sorted(seen) == sorted(who), "someone is missing or appears twice"
    for match in result.matches:
        assert match.kind == "group"
        people = [members[i] for i in match.member_ids]
        assert all(match.slot in p.slots for p in people), "a group shares no slot"
        assert not breaks_rules(people, avoid), f"group {match.member_ids} breaks a hard rule"


def run(n_members: int, rounds: int, seed: int, prior_strength: float = 2.0) -> float:
    everyone = [
        m for m in synthetic.population(n_members, random_state=seed) if m.setting != "one_on_one"
    ]
    members = [
        Member(
            id=i,
            interests=m.interests,
            comfort=m.comfort,
            setting=m.setting,
            format=m.format,
            slots=m.slots,
            location=m.location,
            max_km=m.max_km,
            pace=m.pace,
            languages=m.languages,
        )
        for i, m in enumerate(everyone)
    ]
    n = len(members)
    rng = np.random.RandomState(seed)
    tastes = HiddenTastes(members, np.random.RandomState(seed + 1))
    topics = {
        i: f"topic {i // synthetic.PER_TOPIC}"
        for i in range(synthetic.N_TOPICS * synthetic.PER_TOPIC)
    }
    plain = ProfileVectorizer().fit(members)
    model = FeedbackVectorizer(topics=topics, prior_strength=prior_strength, random_state=seed)
    group_members(members[:200], vectorizer=plain)  # compile the chain search before timing
    history: dict[str, tuple[list[Meeting], list[MeetingFeedback]]] = {
        "static": ([], []),
        "learned": ([], []),
    }
    new_meetings: list[Meeting] = []  # the learned policy's last round, not yet learned from
    new_feedback: list[MeetingFeedback] = []
    avoid: dict[str, set[tuple[int, int]]] = {"static": set(), "learned": set()}
    wall = {"static": 0.0, "learned": 0.0}
    cpu = {"static": 0.0, "learned": 0.0, "refit": 0.0}
    last = {}
    print(
        f"{n} group seekers ({n_members} sign-ups less one-on-one), {rounds} weekly rounds, "
        f"seed {seed}; important topics (hidden): {tastes.important_topics.tolist()}"
    )
    print(
        f"{'round':>5} {'static':>8} {'learned':>8} {'ans st':>7} {'ans le':>7}"
        f" {'t st s':>7} {'t le s':>7}"
    )
    for r in range(1, rounds + 1):
        who = np.flatnonzero(rng.rand(n) < WEEKLY_SHARE).tolist()
        week = Week.draw(n, rng)
        week_members = [members[i] for i in who]
        row = {}
        # Alternate which policy runs first, so neither always meets a warm cache.
        for policy in ("static", "learned") if r % 2 else ("learned", "static"):
            meetings, feedback = history[policy]
            start, start_cpu = time.perf_counter(), cpu_seconds()
            if policy == "learned":
                model.partial_fit(members, meetings=new_meetings, feedback=new_feedback)
                cpu["refit"] += cpu_seconds() - start_cpu
                vectorizer = model
            else:
                vectorizer = plain
            result = group_members(
                week_members, avoid=sorted(avoid[policy]), random_state=r, vectorizer=vectorizer
            )
            cpu[policy] += cpu_seconds() - start_cpu
            wall[policy] += (elapsed := time.perf_counter() - start)
            check_rules(members, result, avoid[policy], who)
            groups = [m.member_ids for m in result.matches]
            outcome = hold_meetings(groups, week, tastes, r, np.random.RandomState([seed, r]))
            meetings += outcome.meetings
            feedback += outcome.feedback
            if policy == "learned":
                new_meetings, new_feedback = outcome.meetings, outcome.feedback
            avoid[policy].update(outcome.said_no)
            row[policy] = (outcome, elapsed)
        st, le = row["static"][0], row["learned"][0]
        print(
            f"{r:>5} {st.nurturing_meetings:>8.1%} {le.nurturing_meetings:>8.1%}"
            f" {st.nurturing_answers:>7.1%} {le.nurturing_answers:>7.1%}"
            f" {row['static'][1]:>7.2f} {row['learned'][1]:>7.2f}"
        )
        last = {"static": st, "learned": le}
    weights = sorted(model.topic_weights_.items(), key=lambda kv: -kv[1])
    print("learned topic weights (top 5):", ", ".join(f"{t} {w:.2f}" for t, w in weights[:5]))
    print(
        f"learned comfort weight {model.comfort_weight_:.2f}, setting {model.setting_weight_:.2f}"
    )
    for effect in model.learned_effects_[:3]:
        print("  " + effect.summary)
    answers_ratio = last["learned"].nurturing_answers / last["static"].nurturing_answers
    print(f"nurturing answers ratio (learned/static) in round {rounds}: {answers_ratio:.2f}")
    search = cpu["learned"] - cpu["refit"]
    print(
        f"round CPU time (this process and its block workers), mean per round: "
        f"static {cpu['static'] / rounds:.2f} s, learned {cpu['learned'] / rounds:.2f} s "
        f"(search {search / rounds:.2f} s + refit {cpu['refit'] / rounds:.2f} s)"
    )
    print(
        f"round time ratio (learned/static): {cpu['learned'] / cpu['static']:.2f} with the refit, "
        f"{search / cpu['static']:.2f} search only, {wall['learned'] / wall['static']:.2f} wall "
        f"clock with the refit (target <= {TARGET_SLOWDOWN:.2f})"
    )
    meetings, feedback = history["learned"]
    meetings = meetings[: len(meetings) - len(new_meetings)]  # what the last refit saw
    feedback = feedback[: len(feedback) - len(new_feedback)]
    start_cpu = cpu_seconds()
    full = FeedbackVectorizer(topics=topics, prior_strength=prior_strength, random_state=seed)
    full.fit(members, meetings=meetings, feedback=feedback)
    full_cpu = cpu_seconds() - start_cpu
    drift = float(np.max(np.abs(np.log(full.weights_ / model.weights_))))
    print(
        f"one full refit on round {rounds}'s history ({len(feedback)} answers; what the web app "
        f"does at round time when its stored model is stale): {full_cpu:.2f} s CPU, "
        f"{full_cpu * rounds / cpu['static']:.0%} of a static round; its weights within "
        f"{np.expm1(drift):.1%} of the weekly refits'"
    )
    app_shape_round(week_members, topics, model.metadata_["weights"], rounds + 1)
    ratio = last["learned"].nurturing_meetings / last["static"].nurturing_meetings
    print(f"nurturing ratio (learned/static) after {rounds} rounds: {ratio:.2f}")
    return ratio


def app_shape_round(
    members: list[Member], topics: dict[int, str], weights: dict[str, float], seed: int
) -> None:
    """What the web app's round costs when the model trained on the feedback is stored.

    The app trains when feedback arrives (``flask train-matching``, or the daily
    ``send-feedback-requests``); a round whose stored model is still fresh builds the
    vectors from its block weights over the round's members (``set_weights``, no
    fit) and searches. Its static counterpart is a plain round on the same members.
    """
    timings = {}
    for policy in ("static", "reuse", "static", "reuse"):  # twice each, the second counts
        start_cpu = cpu_seconds()
        vectorizer = None
        if policy == "reuse":
            vectorizer = FeedbackVectorizer(topics=topics, random_state=seed).fit(members)
            vectorizer.set_weights(weights)
        group_members(members, random_state=seed, vectorizer=vectorizer)
        timings[policy] = cpu_seconds() - start_cpu
    print(
        f"app-shape round on {len(members)} members with the stored model reused: "
        f"{timings['reuse']:.2f} s CPU against {timings['static']:.2f} s static, ratio "
        f"{timings['reuse'] / timings['static']:.2f} (target <= {TARGET_SLOWDOWN:.2f})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="6,000 sign-ups, 8 rounds (about two minutes)"
    )
    parser.add_argument("--members", type=int, help="sign-ups in the community")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--prior-strength", type=float, default=2.0, help="the learner's prior")
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    run(
        args.members or size["members"],
        args.rounds or size["rounds"],
        size["seed"] if args.seed is None else args.seed,
        args.prior_strength,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
