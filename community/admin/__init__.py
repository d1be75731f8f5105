"""Oversight: roles, the audit log, moderation and the member directory."""
