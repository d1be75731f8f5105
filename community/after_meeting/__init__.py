"""After the meeting: feedback, weekly rituals, blocking and reporting."""
