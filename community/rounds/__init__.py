"""Matching rounds: eligibility, the proposal, adjusting, approving, running, pages."""
