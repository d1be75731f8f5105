"""Database tables. Import models from here: ``from community.models import User``."""

from community.models.outbox import OutboxMessage
from community.models.places import Area, Opportunity, opportunity_interests
from community.models.profiles import Profile, member_interests
from community.models.users import User, utcnow
from community.models.vocabulary import Interest

__all__ = [
    "Area",
    "Interest",
    "Opportunity",
    "OutboxMessage",
    "Profile",
    "User",
    "member_interests",
    "opportunity_interests",
    "utcnow",
]
