"""Joining and logging in: accounts, passwords, login sessions and signed links."""
