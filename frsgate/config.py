"""One typed settings object for the whole process (environment prefix ``FRSGATE_``).

Outside development the settings refuse to start with a missing key or a default secret, and
the refusal names the setting. Secrets are `SecretStr`, so they never appear in a repr or a log.
FRSGATE_HOME, when FRS Gate creates it, is private to the service (mode 0700).
"""

from __future__ import annotations

import logging
import stat
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from frsgate.errors import ConfigurationError

# `postgres://` is what Heroku-style platforms and many hosted databases hand out; it names
# the same database as `postgresql://` (frsgate.store.engine.normalize_url maps both).
SUPPORTED_URL_SCHEMES = (
    "sqlite",
    "sqlite+pysqlite",
    "postgresql",
    "postgres",
    "postgresql+psycopg",
)
DEVELOPMENT_SECRET = "development-only-secret"  # noqa: S105 - refused outside development
HOME_MODE = 0o700
DEFAULT_HOME = "./var"  # relative: resolved against the working directory at start-up

log = logging.getLogger(__name__)


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Every knob of FRS Gate. Read once at start-up; pass it down, never re-read globals."""

    model_config = SettingsConfigDict(env_prefix="FRSGATE_", extra="ignore", frozen=True)

    environment: Environment = Environment.development
    home: Path = Path(DEFAULT_HOME)
    database_url: str | None = None

    # Ledger
    ledger_origin: str = "frsgate.example/ledger"
    checkpoint_interval_seconds: Annotated[float, Field(ge=0)] = 60.0
    # Witnesses that cosign each checkpoint (c2sp.org/tlog-witness), comma-separated, each
    # "URL VERIFIER" (the verifier string `frsgate witness key` prints). `frsgate ledger verify`
    # checks the log against each one's latest cosigned checkpoint.
    witnesses: str = ""
    # On the embedded default `frsgate serve` runs one witness beside the service (its own
    # key and storage under FRSGATE_HOME/witness) and uses it when FRSGATE_WITNESSES is empty.
    # It stands in for a witness another office runs; a deployment configures real ones.
    witness_beside: bool = True
    witness_port: Annotated[int, Field(ge=1, le=65535)] = 8082

    # HTTP service
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8080
    # Worker processes of `frsgate serve`. They share the database and the ledger (appends
    # are serialized on the ledger's head row), so more workers use more cores.
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    public_base_url: str = "http://127.0.0.1:8080"

    # Authentication: a local issuer for the embedded default, OIDC for real deployments.
    oidc_issuer: str | None = None
    oidc_audience: str = "frsgate"
    # Unset: the keys named by the issuer's discovery document (OpenID Connect Discovery 1.0,
    # `ISSUER/.well-known/openid-configuration`); set, these keys and no discovery.
    oidc_jwks_url: str | None = None
    # How long a fetch of the discovery document or the keys may take before the identity
    # provider counts as unreachable (a token then gets a 503).
    oidc_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 5.0
    # The claim of an OIDC token that names the user: "sub" matches the token's (iss, sub) to
    # the user's stored OIDC identity, "email" the user's e-mail address, any other claim
    # (e.g. "preferred_username") the username. The local issuer's `sub` is the user id.
    oidc_user_claim: Annotated[str, Field(min_length=1, max_length=128)] = "sub"
    local_token_ttl_seconds: Annotated[int, Field(ge=60, le=86400)] = 3600
    # The longest lifetime (`exp - iat`) a bearer token may claim, from any issuer: a stolen
    # token is only useful until it expires, so an issuer's long-lived tokens are refused
    # rather than trusted. The local issuer's default TTL is capped at this too.
    token_max_lifetime_seconds: Annotated[int, Field(ge=60)] = 3600
    session_secret: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    # The web console's sign-in with the OIDC issuer (authorization-code flow with PKCE):
    # the client this service is registered as. The ID token's audience must be this client id
    # (unset: FRSGATE_OIDC_AUDIENCE). A confidential client also sends its secret.
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    # The console's server-side sessions end after this long without a request (idle) and
    # this long after sign-in whatever happens (absolute), as CJIS 5.5.5 session lock asks.
    web_idle_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 30
    web_absolute_hours: Annotated[int, Field(ge=1, le=24 * 7)] = 12

    # Sandbox FRS started beside the service on the embedded default.
    sandbox_frs: bool = True
    sandbox_frs_port: Annotated[int, Field(ge=1, le=65535)] = 8081

    # Probe intake limits (vault)
    max_probe_bytes: Annotated[int, Field(ge=1024)] = 10 * 1024 * 1024
    # How long a probe image (and its searches' candidate images) is kept, in days, before
    # `frsgate vault shred` destroys it with its data key; 0 keeps images (the memo sets no
    # period: the agency's records schedule does).
    probe_retention_days: Annotated[int, Field(ge=0, le=36500)] = 0
    max_probe_pixels: Annotated[int, Field(ge=64 * 64)] = 40_000_000
    min_face_pixels: Annotated[int, Field(ge=16)] = 60

    # Submission gate
    # The deadline of an after-the-fact exigent approval (memo 4.C.3) is policy, not
    # configuration: the pack's `exigent_approval_deadline_hours`, approved with the pack.
    rate_limit_per_user_per_hour: Annotated[int, Field(ge=1)] = 30
    # How long an exigent use's after-the-fact approval (memo 4.C.3) may stay overdue before
    # it is escalated to the next supervisor up (users.supervisor_id of those who decide it),
    # who may then decide it too. The memo sets no number; the default gives the case's
    # supervisors one more window as long as the pack's post-hoc one (24 h, "as soon as
    # practicable thereafter"), so no exigent use waits more than two such windows for a
    # supervisor's decision. 0 escalates at the deadline itself.
    exigent_escalation_hours: Annotated[float, Field(ge=0, le=720)] = 24.0
    rate_limit_per_case_per_hour: Annotated[int, Field(ge=1)] = 60
    frs_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    frs_max_attempts: Annotated[int, Field(ge=1, le=10)] = 3

    # PALMS certifications (memo 4.A.3) imported from the training system: the training
    # system's ids of the IGP-approved courses (comma-separated), and how long a
    # certification stays current after its latest date.
    certification_courses: str = "ICE-FRS-101"
    certification_valid_days: Annotated[int, Field(ge=1, le=3650)] = 365

    # Review flags shown with each candidate (memo 4.D.2: what should make a reviewer more
    # careful before calling a candidate a possible lead): a gallery photo older than this
    # many years before the search, a score below this, and at least `count` candidates
    # within `margin` of the top score.
    flag_photo_age_years: Annotated[int, Field(ge=0, le=100)] = 5
    flag_low_score: Annotated[float, Field(ge=0, le=1)] = 0.6
    flag_close_score_margin: Annotated[float, Field(ge=0, le=1)] = 0.02
    flag_close_score_count: Annotated[int, Field(ge=2, le=1000)] = 3

    # The supervisor's routine log review (memo 4.E.4): the length of a review period in days.
    # Periods are laid end to end from Monday 1970-01-05 00:00 UTC, so 7 (weekly, as CJIS
    # AU-6 asks) starts each on a Monday at 00:00 UTC; see frsgate.domain.log_review.
    log_review_period_days: Annotated[int, Field(ge=1, le=366)] = 7

    @field_validator("witnesses")
    @classmethod
    def _witness_list(cls, value: str) -> str:
        from frsgate.ledger.cosignature import CosignatureVerifier
        from frsgate.ledger.merkle import InvalidProof

        for item in filter(None, (part.strip() for part in value.split(","))):
            url, _, verifier = item.partition(" ")
            if not url.startswith(("http://", "https://")) or not verifier.strip():
                raise ValueError(
                    "FRSGATE_WITNESSES lists 'URL VERIFIER' pairs separated by commas; "
                    f"{item[:60]!r} is not one"
                )
            try:
                CosignatureVerifier.parse(verifier.strip())
            except InvalidProof as exc:
                raise ValueError(f"FRSGATE_WITNESSES: {exc}") from None
        return value

    @property
    def witness_home(self) -> Path:
        """Where the witness run beside the service keeps its key and storage."""
        return self.home / "witness"

    @field_validator("certification_courses")
    @classmethod
    def _course_ids(cls, value: str) -> str:
        ids = [part.strip() for part in value.split(",")]
        if not any(ids) or any(not i or len(i) > 64 or not i.isprintable() for i in ids):
            raise ValueError(
                "FRSGATE_CERTIFICATION_COURSES must list one or more course ids separated by "
                "commas, each 1-64 printable characters"
            )
        return ",".join(ids)

    @property
    def certification_course_ids(self) -> tuple[str, ...]:
        return tuple(self.certification_courses.split(","))

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in SUPPORTED_URL_SCHEMES:
            raise ValueError(
                f"FRSGATE_DATABASE_URL has unsupported scheme {scheme!r}; "
                f"use one of {', '.join(SUPPORTED_URL_SCHEMES)}"
            )
        return value

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def ledger_key_path(self) -> Path:
        return self.keys_dir / "ledger-ed25519.pem"

    @property
    def vault_kek_path(self) -> Path:
        return self.keys_dir / "vault-kek.bin"

    @property
    def token_key_path(self) -> Path:
        return self.keys_dir / "token-ed25519.pem"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'frsgate.sqlite3').resolve()}"

    @property
    def is_development(self) -> bool:
        return self.environment is not Environment.production

    def require_home_writable(self) -> None:
        """Create FRSGATE_HOME (0700) if needed and prove it is writable, or name the setting.

        A home that already exists is not ours to re-permission (it may be a directory the
        operator shares on purpose), so a group- or world-accessible one only gets a warning;
        the files FRS Gate keeps in it are private on their own.
        """
        try:
            if not self.home.exists():
                self.home.mkdir(parents=True, exist_ok=True, mode=HOME_MODE)
                # mkdir's mode is filtered by the umask, which can only remove bits; chmod
                # states the mode outright.
                self.home.chmod(HOME_MODE)
            elif self.home.is_dir() and self.home.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                log.warning(
                    "FRSGATE_HOME=%s may be accessed by group or others (%s); 0700 is advised",
                    self.home,
                    stat.filemode(self.home.stat().st_mode),
                )
            self.home.mkdir(parents=True, exist_ok=True)
            probe = self.home / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            # mkdir on a file says only "File exists"; name the real problem.
            problem = (
                "it is a file, not a directory"
                if self.home.exists() and not self.home.is_dir()
                else exc.strerror or str(exc)
            )
            raise ConfigurationError(f"{self.home_described} is not writable: {problem}") from exc

    @property
    def home_described(self) -> str:
        """FRSGATE_HOME as an error names it: when the operator did not set it, say so and
        which default was used, since a relative default depends on the working directory."""
        if "home" in self.model_fields_set:
            return f"FRSGATE_HOME={self.home}"
        return f"FRSGATE_HOME is not set; the default {DEFAULT_HOME} (here {self.home.absolute()})"

    def require_production_ready(self) -> None:
        """Outside development: refuse default secrets and missing keys, naming the setting."""
        if self.is_development:
            return
        if self.session_secret.get_secret_value() == DEVELOPMENT_SECRET:
            raise ConfigurationError(
                "FRSGATE_SESSION_SECRET is the development default; set a random secret "
                "for production"
            )
        for setting, path in (
            ("ledger signing key", self.ledger_key_path),
            ("vault key-encryption key", self.vault_kek_path),
        ):
            if not path.is_file():
                raise ConfigurationError(
                    f"{setting} missing at {path} (under FRSGATE_HOME); run `frsgate init` "
                    "to create it"
                )
        if self.sandbox_frs:
            raise ConfigurationError(
                "FRSGATE_SANDBOX_FRS is true; the sandbox FRS serves synthetic data for "
                "development and tests only: set it to false in production"
            )
        if self.oidc_issuer is None:
            raise ConfigurationError(
                "FRSGATE_OIDC_ISSUER is not set; production needs an OIDC issuer "
                "(the local token issuer is for development only)"
            )


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; turn pydantic's errors into one clear line."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        env_name = f"FRSGATE_{field.upper()}"
        if message.startswith(env_name):
            raise ConfigurationError(message) from None
        raise ConfigurationError(f"{env_name}: {message}") from None
