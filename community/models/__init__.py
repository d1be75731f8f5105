"""Database tables. Import models from here: ``from community.models import User``."""

from community.models.learning import TrainedModel
from community.models.outbox import OutboxMessage
from community.models.places import Area, Opportunity, opportunity_interests
from community.models.profiles import Profile, member_interests
from community.models.rounds import Match, MatchMember, MatchRound
from community.models.safety import AuditEntry, Block, Feedback, FeedbackPerson, Report
from community.models.sessions import LoginSession
from community.models.users import User, utcnow
from community.models.venues import MeetingNote, Venue
from community.models.vocabulary import Interest
from community.models.wellbeing import GentleStart, LonelinessCheck

__all__ = [
    "Area",
    "AuditEntry",
    "Block",
    "Feedback",
    "FeedbackPerson",
    "GentleStart",
    "Interest",
    "LoginSession",
    "LonelinessCheck",
    "Match",
    "MatchMember",
    "MatchRound",
    "MeetingNote",
    "Opportunity",
    "OutboxMessage",
    "Profile",
    "Report",
    "TrainedModel",
    "User",
    "Venue",
    "member_interests",
    "opportunity_interests",
    "utcnow",
]
