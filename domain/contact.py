"""The person and practice a campaign calls."""
from __future__ import annotations

from dataclasses import dataclass, field

from domain.front_desk import FrontDeskDetails


@dataclass
class Contact:
    id: str
    first_name: str
    last_name: str
    phone: str  # E.164
    practice: str
    title: str = ""
    email: str = ""
    state: str | None = None  # two-letter US state; derived from the phone when None
    timezone: str | None = None  # IANA name; derived from the phone when None
    extra: dict[str, str] = field(default_factory=dict)
    known: FrontDeskDetails = FrontDeskDetails()  # what the front desk told earlier calls

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def template_fields(self) -> dict[str, str]:
        """The values a Script may interpolate, by placeholder name."""
        fields = {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "full_name": self.full_name,
            "title": self.title,
            "practice": self.practice,
            "practice_name": self.practice,
            "email": self.email,
            "state": self.state or "",
        }
        fields.update(self.extra)
        return fields
