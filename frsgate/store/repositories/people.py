"""Users with their roles, and training certifications (memo 4.A.3)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from frsgate.domain import Certification, Role, User, UserStatus
from frsgate.errors import NotFound
from frsgate.store.repositories.base import Repository
from frsgate.store.repositories.mapping import EntityMapper
from frsgate.store.schema.core import certifications, user_roles, users


class UserRepository(Repository[User]):
    label = "user"
    mapper = EntityMapper(User, users, external=("roles",))

    def _after_write(self, entity: User) -> None:
        self.conn.execute(user_roles.delete().where(user_roles.c.user_id == entity.id))
        if entity.roles:
            self.conn.execute(
                user_roles.insert(),
                [{"user_id": entity.id, "role": role.value} for role in sorted(entity.roles)],
            )

    def _roles_of(self, user_ids: Iterable[str]) -> dict[str, frozenset[Role]]:
        ids = list(user_ids)
        found: dict[str, set[Role]] = defaultdict(set)
        if ids:
            stmt = select(user_roles).where(user_roles.c.user_id.in_(ids))
            for row in self.conn.execute(stmt).mappings():
                found[row["user_id"]].add(Role(row["role"]))
        return {uid: frozenset(found.get(uid, ())) for uid in ids}

    def _load(self, row: Any) -> User:
        user: User = self.mapper.from_row(row, roles=self._roles_of([row["id"]])[row["id"]])
        return user

    def _many(self, stmt: Select[Any]) -> list[User]:
        rows = list(self.conn.execute(stmt).mappings())
        roles = self._roles_of(r["id"] for r in rows)
        return [self.mapper.from_row(r, roles=roles[r["id"]]) for r in rows]

    def get_by_username(self, username: str) -> User:
        row = self.conn.execute(select(users).where(users.c.username == username)).mappings()
        first = row.first()
        if first is None:
            raise NotFound(f"user {username!r} does not exist")
        return self._load(first)

    def find_by_email(self, email: str) -> User | None:
        """The user whose e-mail is `email` (stored lower-case), if any."""
        stmt = self._select().where(users.c.email == email.lower())
        found = self._many(stmt)
        return found[0] if found else None

    def find_by_oidc(self, issuer: str, subject: str) -> User | None:
        """The user the identity provider `issuer` knows as `subject`, if any."""
        stmt = self._select().where(users.c.oidc_issuer == issuer, users.c.oidc_subject == subject)
        found = self._many(stmt)
        return found[0] if found else None

    def find_by_username(self, username: str) -> User | None:
        try:
            return self.get_by_username(username)
        except NotFound:
            return None

    def list_all(self, *, active_only: bool = False) -> list[User]:
        stmt = self._select().order_by(users.c.username)
        if active_only:
            stmt = stmt.where(users.c.status == UserStatus.active.value)
        return self._many(stmt)

    def with_role(self, role: Role, *, active_only: bool = True) -> list[User]:
        """Users holding `role` (e.g. the supervisors an approval may go to)."""
        holders = select(user_roles.c.user_id).where(user_roles.c.role == role.value)
        stmt = self._select().where(users.c.id.in_(holders)).order_by(users.c.username)
        if active_only:
            stmt = stmt.where(users.c.status == UserStatus.active.value)
        return self._many(stmt)

    def supervised_by(self, supervisor_id: str) -> list[User]:
        stmt = self._select().where(users.c.supervisor_id == supervisor_id)
        return self._many(stmt.order_by(users.c.username))


# Most recently recorded first; of those recorded together (one import), the one that runs
# longest first, so a user's latest record is their newest training.
_NEWEST_FIRST = (
    certifications.c.recorded_at.desc(),
    certifications.c.expires_at.desc(),
    certifications.c.id,
)


class CertificationRepository(Repository[Certification]):
    label = "certification"
    mapper = EntityMapper(Certification, certifications)
    status_column = None

    def of_user(self, user_id: str) -> list[Certification]:
        stmt = self._select().where(certifications.c.user_id == user_id)
        return self._many(stmt.order_by(*_NEWEST_FIRST))

    def current_for(self, user_id: str, at: datetime) -> Certification | None:
        """The user's most recently recorded certification that is current at `at`, if any."""
        stmt = (
            self._select()
            .where(certifications.c.user_id == user_id, certifications.c.expires_at > at)
            .order_by(*_NEWEST_FIRST)
        )
        for cert in self._many(stmt):
            if cert.is_current(at):
                return cert
        return None

    def list_all(self) -> list[Certification]:
        """Every certification, each user's most recent first."""
        stmt = self._select().order_by(certifications.c.user_id, *_NEWEST_FIRST)
        return self._many(stmt)

    def latest_for(self, user_id: str) -> Certification | None:
        """The most recent record, current or not: it says what is missing (memo 4.A.3)."""
        found = self.of_user(user_id)
        return found[0] if found else None
