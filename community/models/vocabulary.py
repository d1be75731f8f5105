"""The community's interest vocabulary, grouped into categories."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from community.extensions import Model


class Interest(Model):
    __tablename__ = "interests"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    category: Mapped[str] = mapped_column(String(60), index=True)
    retired: Mapped[bool] = mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<Interest {self.name}>"
