"""A local SMTP server that keeps what it receives, for development and tests.

`flask demo` starts one so a developer can read mail at /dev/mail; the test
suite starts one to follow links from real messages.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller


@dataclass
class ReceivedMail:
    envelope_to: list[str]
    message: EmailMessage
    # Which SMTP connection brought it, numbered from 1 in the order they sent mail.
    connection: int = 0

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def to(self) -> str:
        return str(self.message["To"])

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type and not part.is_attachment():
                return part.get_content()
        return ""

    @property
    def text(self) -> str:
        return self.part("text/plain")

    @property
    def html(self) -> str:
        return self.part("text/html")


class MailSink:
    """Receives mail on 127.0.0.1; keeps it in memory and, if given, in a folder.

    Tests can make it misbehave like a real server: ``data_reply`` answers every
    message with that reply instead of accepting it ("421 Try again later");
    ``refused`` maps an address to its RCPT reply ("550 No such user"); ``delay``
    holds each accepted message that many seconds before answering 250, so a
    sender can be stopped while a message it sent waits for its reply.
    """

    def __init__(self, port: int = 0, folder: str | Path | None = None, *, delay: float = 0.0):
        self.messages: list[ReceivedMail] = []
        self.folder = Path(folder) if folder else None
        self.delay = delay
        self.data_reply: str | None = None
        self.refused: dict[str, str] = {}
        self._connections = 0
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=port or free_port())

    @property
    def port(self) -> int:
        return self._controller.port

    def start(self) -> MailSink:
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:  # noqa: N802
        if address in self.refused:
            return self.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        if self.data_reply:
            return self.data_reply
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._lock:
            self.messages.append(
                ReceivedMail(list(envelope.rcpt_tos), message, self._connection_number(session))
            )
            if self.folder:
                name = f"{len(list(self.folder.glob('*.eml'))) + 1:05d}.eml"
                (self.folder / name).write_bytes(raw)
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"

    def _connection_number(self, session) -> int:
        # A client port can be reused by the next connection, so number sessions.
        if not hasattr(session, "kindred_number"):
            self._connections += 1
            session.kindred_number = self._connections
        return session.kindred_number

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def to(self, address: str) -> list[ReceivedMail]:
        with self._lock:
            return [m for m in self.messages if address in m.envelope_to]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_folder(folder: str | Path) -> list[tuple[str, EmailMessage]]:
    """Messages a sink saved, newest first, as (file name, message)."""
    path = Path(folder)
    if not path.exists():
        return []
    return [
        (file.name, email.message_from_bytes(file.read_bytes(), policy=email.policy.default))
        for file in sorted(path.glob("*.eml"), reverse=True)
    ]
