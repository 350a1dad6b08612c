"""Probe photos and the rules of their collection (memo 4.B, definitions in memo 2).

A probe is an isolated facial image, lawfully obtained under an authorized investigation. The
image itself is sealed by the vault and kept apart (`ProbeImage`) so that listing probes never
loads image bytes; only its SHA-256 ever reaches the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from frsgate.domain.errors import InvalidEntity, RefusedValue
from frsgate.domain.statemachine import StateMachine
from frsgate.domain.values import require_aware, require_sha256, require_text


class SubjectRole(StrEnum):
    suspect = "suspect"  # memo 4.B.1
    victim = "victim"  # memo 4.B.1
    witness = "witness"  # memo 4.B.2: supervisory approval, other methods exhausted


class CaptureSource(StrEnum):
    """Where the probe photo came from; each of these is a still, lawfully obtained image."""

    booking_photo = "booking_photo"
    recorded_video_still = "recorded_video_still"
    social_media = "social_media"
    identity_document = "identity_document"
    other = "other"


class RefusedCaptureSource(StrEnum):
    """Sources refused outright: no real-time use with surveillance or live streams (4.B.4)."""

    live_stream = "live_stream"
    real_time_camera = "real_time_camera"
    surveillance_feed = "surveillance_feed"

    @property
    def is_live(self) -> bool:
        """A live or real-time source (as opposed to a feed watched for surveillance)."""
        return self is not RefusedCaptureSource.surveillance_feed


class ImageEdit(StrEnum):
    """Edits that keep the image a photo of one real face."""

    none = "none"
    cropped = "cropped"
    enhanced = "enhanced"


class RefusedImageEdit(StrEnum):
    """Not a probe photo of the person at all (memo 2: an isolated facial image)."""

    composite = "composite"
    sketch = "sketch"
    lookalike = "lookalike"


def parse_capture_source(value: str) -> CaptureSource:
    """The capture source named `value`, refusing live or real-time sources (memo 4.B.4)."""
    if value in RefusedCaptureSource.__members__:
        raise RefusedValue(
            "capture_source",
            value,
            "memo 4.B.4",
            "an FRS will not be used real-time with surveillance or live streaming media",
        )
    try:
        return CaptureSource(value)
    except ValueError:
        known = ", ".join(CaptureSource)
        raise InvalidEntity("probe", "capture_source", f"{value!r} is not one of {known}") from None


def parse_image_edit(value: str) -> ImageEdit:
    """The image edit named `value`, refusing composites, sketches and lookalikes (memo 2)."""
    if value in RefusedImageEdit.__members__:
        raise RefusedValue(
            "image_edit",
            value,
            "memo 2",
            "a probe photo is an isolated facial image of the person, not a composite, "
            "sketch or lookalike",
        )
    try:
        return ImageEdit(value)
    except ValueError:
        known = ", ".join(ImageEdit)
        raise InvalidEntity("probe", "image_edit", f"{value!r} is not one of {known}") from None


class ProbeStatus(StrEnum):
    pending_approval = "pending_approval"  # witness probe awaiting a supervisor (memo 4.B.2)
    active = "active"  # may be submitted
    refused = "refused"  # the supervisor refused the witness probe
    purged = "purged"  # image destroyed under retention; metadata and hash remain


class ProbeAct(StrEnum):
    approve = "approve"
    refuse = "refuse"
    purge = "purge"


PROBE_MACHINE: StateMachine[ProbeStatus, ProbeAct] = StateMachine(
    "probe",
    ProbeStatus,
    ProbeAct,
    {
        (ProbeStatus.pending_approval, ProbeAct.approve): ProbeStatus.active,
        (ProbeStatus.pending_approval, ProbeAct.refuse): ProbeStatus.refused,
        (ProbeStatus.pending_approval, ProbeAct.purge): ProbeStatus.purged,
        (ProbeStatus.active, ProbeAct.purge): ProbeStatus.purged,
        (ProbeStatus.refused, ProbeAct.purge): ProbeStatus.purged,
    },
)


def initial_probe_status(subject_role: SubjectRole) -> ProbeStatus:
    """Witness probes wait for supervisory approval before any use (memo 4.B.2)."""
    if subject_role is SubjectRole.witness:
        return ProbeStatus.pending_approval
    return ProbeStatus.active


@dataclass(slots=True, kw_only=True)
class Probe:
    """What is known about a probe photo; the sealed image lives in `ProbeImage`."""

    id: str
    # What the probe serves (memo 4.A.1): a case, or an assessed program/task force whose
    # assessment covers use without a case; at least one of the two.
    case_id: str | None = None
    program_code: str | None = None
    submitted_by: str
    subject_role: SubjectRole
    capture_source: CaptureSource
    lawful_basis: str  # how the image was lawfully obtained (memo 2, probe photo)
    traditional_means: str  # efforts by traditional means made first (memo 4.A.2)
    other_methods_exhausted: str | None = None  # required for a witness (memo 4.B.2)
    attestation: bool  # not collected solely on a prohibited basis (memo 4.B.3)
    justification: str
    image_edit: ImageEdit = ImageEdit.none
    media_type: str
    width: int
    height: int
    original_sha256: str  # of the bytes as received
    sha256: str  # of the re-encoded image that is sealed and submitted
    status: ProbeStatus
    created_at: datetime
    purged_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("lawful_basis", "traditional_means", "justification", "media_type"):
            require_text("probe", name, getattr(self, name))
        if self.case_id is None and not self.program_code:
            raise InvalidEntity("probe", "case_id", "a probe serves a case or a program")
        if self.subject_role is SubjectRole.witness:
            # memo 4.B.2: only when other reasonable methods have been exhausted.
            require_text("probe", "other_methods_exhausted", self.other_methods_exhausted)
        if not self.attestation:
            raise RefusedValue(
                "attestation",
                "false",
                "memo 4.B.3",
                "probe photos are never collected based solely on views, protected activity, "
                "or a characteristic protected by law; the collector must attest to this",
            )
        if self.width < 1 or self.height < 1:
            raise InvalidEntity("probe", "width/height", "must be positive")
        require_sha256("probe", "original_sha256", self.original_sha256)
        require_sha256("probe", "sha256", self.sha256)
        require_aware("probe", "created_at", self.created_at)
        require_aware("probe", "purged_at", self.purged_at)

    @property
    def is_usable(self) -> bool:
        return self.status is ProbeStatus.active

    def approve(self) -> None:
        self.status = PROBE_MACHINE.apply(self.status, ProbeAct.approve)

    def refuse(self) -> None:
        self.status = PROBE_MACHINE.apply(self.status, ProbeAct.refuse)

    def purge(self, *, at: datetime) -> None:
        require_aware("probe", "purged_at", at)
        self.status = PROBE_MACHINE.apply(self.status, ProbeAct.purge)
        self.purged_at = at


@dataclass(slots=True, kw_only=True)
class ProbeImage:
    """The sealed (envelope-encrypted) image of a probe; `key_ref` names the wrapping key."""

    probe_id: str
    sealed: bytes = field(repr=False)
    key_ref: str

    def __post_init__(self) -> None:
        if not self.sealed:
            raise InvalidEntity("probe_image", "sealed", "must not be empty")
        require_text("probe_image", "key_ref", self.key_ref)
