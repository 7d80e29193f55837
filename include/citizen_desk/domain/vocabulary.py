"""StrEnums for every enumerated value; the DB's CHECK constraints are built from them."""

from __future__ import annotations

from enum import StrEnum


class Platform(StrEnum):
    FACEBOOK = "facebook"
    ZALO = "zalo"


class InboxStatus(StrEnum):
    """A webhook event in the durable inbox."""

    PENDING = "pending"  # stored by the receiver
    QUEUED = "queued"  # claimed by the inbox watcher: a processing run is on its way
    PROCESSED = "processed"
    QUARANTINED = "quarantined"


class UnitKind(StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    CITY = "city"
    TOWN = "town"
    COMMUNE = "commune"
    WARD = "ward"


class MessageKind(StrEnum):
    MESSENGER = "messenger"
    COMMENT = "comment"
    ZALO = "zalo"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class Category(StrEnum):
    """What a citizen's message is about (triage's output)."""

    QUESTION = "question"
    TIP = "tip"
    FEEDBACK = "feedback"
    LOST_FOUND = "lost_found"
    ABUSE = "abuse"
    OTHER = "other"


class CaseStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class TipStatus(StrEnum):
    NEW = "new"
    VERIFYING = "verifying"
    VERIFIED = "verified"
    UNFOUNDED = "unfounded"
    FORWARDED = "forwarded"


# Plain strings, so they bind as SQL parameters on every driver.
OPEN_TIP_STATUSES = frozenset({TipStatus.NEW.value, TipStatus.VERIFYING.value})
CLOSED_TIP_STATUSES = frozenset(
    {TipStatus.VERIFIED.value, TipStatus.UNFOUNDED.value, TipStatus.FORWARDED.value}
)


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    SUPERSEDED = "superseded"  # its subject changed before it went out (tip closed, case answered)
    DIGESTED = "digested"  # delivered inside a digest message (`last_error` names the digest key)


class PublicationStatus(StrEnum):
    DRAFT = "draft"
    BLOCKED = "blocked"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    DRY_RUN = "dry_run"
    FAILED = "failed"


class SlaEventKind(StrEnum):
    WARNING = "warning"
    BREACH = "breach"


class SlaState(StrEnum):
    """Where an open case stands against its reply deadline (boards and filters)."""

    BREACH = "breach"
    WARNING = "warning"
    OK = "ok"
    NONE = "none"


class ContactRole(StrEnum):
    """Who a unit's Slack contacts are."""

    DUTY_OFFICER = "duty_officer"
    CHIEF = "chief"


class AccessRole(StrEnum):
    """What a Citizen Desk user may do (registry `access:`); enforced by `citizen_desk.access`."""

    VIEWER = "viewer"  # reads the redacted pages (every logged-in user)
    OFFICER = "officer"  # acts on the tips of its units' subtrees
    CHIEF = "chief"  # an officer's powers, plus the decisions reserved to chiefs
    PUBLICATION_APPROVER = "publication_approver"  # approves its units' weekly posts
    IDENTITY_CUSTODIAN = "identity_custodian"  # opens an informant's identity (reason, audited)
    TECHNICAL_ADMIN = "technical_admin"  # runs the platform; reads like a viewer


class DeskAction(StrEnum):
    """Every write (or protected read) a role check guards; values are stable audit words."""

    TIP_ACKNOWLEDGE = "tip.acknowledge"
    TIP_START = "tip.start"
    TIP_VERIFIED = "tip.verified"
    TIP_UNFOUNDED = "tip.unfounded"
    TIP_FORWARD = "tip.forward"
    TIP_EXTEND = "tip.extend"
    TIP_REASSIGN = "tip.reassign"
    TIP_OUTCOME = "tip.outcome"
    IDENTITY_VIEW = "identity.view"
    PUBLICATION_APPROVE = "publication.approve"
    PUBLICATION_EDIT = "publication.edit"
    TRIAGE_CORRECT = "triage.correct"  # an officer corrects a case's category and urgency
    TRIAGE_MODEL_CHAMPION = "triage.model_champion"  # make a triage model version the one in use


class TriageModelStatus(StrEnum):
    """A version of the trained triage model in `triage_models` (`citizen_desk.learning`)."""

    CHAMPION = "champion"  # the one triage uses (at most one)
    CHALLENGER = "challenger"  # trained by the weekly retrain, not promoted
    RETIRED = "retired"  # was the champion, replaced by a promotion or a rollback


class TriageModelOrigin(StrEnum):
    SHIPPED = "shipped"  # the artifact shipped in `triage/models/`
    RETRAINED = "retrained"  # trained by `retrain_triage_model` on the corpus and corrections


class CollectionErrorKind(StrEnum):
    """Why a channel's collection failed (stored by the collector, shown by the health page)."""

    TOKEN = "token"
    RATE_LIMIT = "rate_limit"
    OTHER = "other"


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The plain string values of an enum, in definition order (CHECK constraints, choices)."""
    return tuple(member.value for member in enum)


CATEGORIES = values(Category)
