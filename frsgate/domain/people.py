"""Users, their roles and their training certification (memo 4.A.3)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from frsgate.domain.errors import InvalidEntity
from frsgate.domain.roles import Role
from frsgate.domain.statemachine import StateMachine
from frsgate.domain.values import require_aware, require_text


class UserStatus(StrEnum):
    active = "active"
    disabled = "disabled"


class UserAct(StrEnum):
    disable = "disable"
    enable = "enable"


USER_MACHINE: StateMachine[UserStatus, UserAct] = StateMachine(
    "user",
    UserStatus,
    UserAct,
    {
        (UserStatus.active, UserAct.disable): UserStatus.disabled,
        (UserStatus.disabled, UserAct.enable): UserStatus.active,
    },
)


@dataclass(slots=True, kw_only=True)
class User:
    """A person who signs in. Role changes are ledger entries, recorded by the services."""

    id: str
    username: str
    display_name: str
    roles: frozenset[Role] = frozenset()
    status: UserStatus = UserStatus.active
    supervisor_id: str | None = None  # front-line supervisor (memo 4.E.4), if any
    office: str | None = None  # the field office or unit the user works in
    email: str | None = None
    # The identity provider's (issuer, subject) for this user, when tokens are matched by it.
    oidc_issuer: str | None = None
    oidc_subject: str | None = None
    created_at: datetime

    def __post_init__(self) -> None:
        require_text("user", "username", self.username)
        require_text("user", "display_name", self.display_name)
        require_aware("user", "created_at", self.created_at)
        if self.supervisor_id == self.id:
            raise InvalidEntity("user", "supervisor_id", "cannot be the user themself")
        if (self.oidc_issuer is None) != (self.oidc_subject is None):
            raise InvalidEntity(
                "user", "oidc_subject", "an OIDC subject and its issuer are set together"
            )

    @property
    def is_active(self) -> bool:
        return self.status is UserStatus.active

    def has_role(self, role: Role) -> bool:
        return self.is_active and role in self.roles

    def grant(self, role: Role) -> None:
        self.roles = self.roles | {role}

    def revoke(self, role: Role) -> None:
        self.roles = self.roles - {role}

    def disable(self) -> None:
        self.status = USER_MACHINE.apply(self.status, UserAct.disable)

    def enable(self) -> None:
        self.status = USER_MACHINE.apply(self.status, UserAct.enable)


@dataclass(slots=True, kw_only=True)
class Certification:
    """A user's PALMS certification before any FRS use (memo 4.A.3).

    Three things must all hold: the IGP-approved training course was completed, the user
    attested to use the training's best practices, and to abide by the privacy, civil-rights
    and civil-liberties safeguards. A certification is current only until `expires_at`.
    """

    id: str
    user_id: str
    course: str = "ICE Use of Facial Recognition Services"
    course_id: str | None = None  # the training system's id of the course
    palms_reference: str | None = None
    training_completed_at: datetime | None = None
    best_practices_attested_at: datetime | None = None
    safeguards_attested_at: datetime | None = None
    expires_at: datetime
    recorded_at: datetime
    recorded_by: str | None = None

    def __post_init__(self) -> None:
        require_text("certification", "course", self.course)
        for name in (
            "training_completed_at",
            "best_practices_attested_at",
            "safeguards_attested_at",
            "expires_at",
            "recorded_at",
        ):
            require_aware("certification", name, getattr(self, name))

    def missing(self, at: datetime) -> list[str]:
        """What keeps this certification from being current at `at`, in plain words."""
        require_aware("certification", "at", at)
        gaps: list[str] = []
        checks = (
            (self.training_completed_at, "training course not completed"),
            (self.best_practices_attested_at, "best-practices attestation not made"),
            (self.safeguards_attested_at, "safeguards attestation not made"),
        )
        for moment, gap in checks:
            if moment is None or moment > at:
                gap_text = gap if moment is None else gap.replace("not", "not yet")
                gaps.append(f"{gap_text} (memo 4.A.3)")
        if at >= self.expires_at:
            gaps.append(f"certification expired at {self.expires_at.isoformat()} (memo 4.A.3)")
        return gaps

    def is_current(self, at: datetime) -> bool:
        return not self.missing(at)

    @staticmethod
    def expiry(moments: Iterable[datetime | None], valid_for: timedelta) -> datetime:
        """When a certification made of `moments` (the completion and the attestations, None
        where not made) stops being current: `valid_for` after the latest of them, so the
        period runs from the last thing the user did in PALMS."""
        present = [m for m in moments if m is not None]
        if not present:
            raise InvalidEntity("certification", "training_completed_at", "no date to run from")
        for moment in present:
            require_aware("certification", "expiry", moment)
        return max(present) + valid_for

    def records(
        self,
        course_id: str | None,
        completed_at: datetime | None,
        best_practices_at: datetime | None,
        safeguards_at: datetime | None,
    ) -> bool:
        """True when this certification already records exactly that training-system row
        (same course and the same three dates): importing it again adds nothing."""
        return (
            self.course_id == course_id
            and self.training_completed_at == completed_at
            and self.best_practices_attested_at == best_practices_at
            and self.safeguards_attested_at == safeguards_at
        )
