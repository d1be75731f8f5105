"""The daily mail commands an operator schedules: each queues, commits and says how many."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("command", "what"),
    [
        ("send-gentle-start", "gentle start emails"),
        ("send-feedback-requests", "feedback requests"),
        ("send-ritual-reminders", "weekly reminders"),
    ],
)
def test_a_daily_command_on_a_quiet_day_queues_nothing_and_says_so(app, runner, command, what):
    with app.app_context():  # as `flask --app app <command>` runs it
        result = runner.invoke(args=[command])
    assert result.exit_code == 0, result.output
    assert f"Queued 0 {what}; `flask send-mail` delivers them." in result.output
