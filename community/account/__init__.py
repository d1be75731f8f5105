"""A member's control over their account: data, consent, wellbeing tools, deletion."""
