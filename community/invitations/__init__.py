"""Invitations and what follows: links, responses, reminders, unsubscribe, connections."""
