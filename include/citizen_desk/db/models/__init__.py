"""The domain database schema (separate from Airflow's metadata DB), one module per concern:
`organisation` (units, channels), `cases` (citizens, messages, cases, SLA turns, tips), `outbound`
(notifications, Slack interactions, publications and their revisions), `intake` (collection,
quarantine, tokens, webhook inbox), `records` (audit log, registry snapshots) and `learning`
(officers' triage corrections, trained model versions), on the declarative `base`.

This package is the schema's one entry point: importing it registers every table on
`Base.metadata`, which Alembic (`db/migrations/env.py`) and `tests/db/test_migrations.py` compare
the migrations with; code imports its models from here.

Every natural key is a unique constraint and every enumerated column a CHECK constraint, so the
database itself refuses duplicates and nonsense. Timestamps are aware UTC (see `UtcDateTime`).

Protected data: `Citizen.protected_display_name` and `Citizen.protected_profile` hold the identity
of the sender. Only the protected case view may read them; notification, publication and report
code never selects these columns.
"""

from citizen_desk.db.models.base import (
    NOTIFICATION_STATUSES,
    PLATFORMS,
    UNIT_KINDS,
    Base,
)
from citizen_desk.db.models.cases import (
    Case,
    CaseTurn,
    Citizen,
    FirstResponseWeek,
    Message,
    SlaEvent,
    Tip,
    TipAcknowledgement,
    case_reference,
)
from citizen_desk.db.models.intake import (
    CollectionRun,
    CollectionWatermark,
    InboxEvent,
    PlatformToken,
    Quarantine,
)
from citizen_desk.db.models.learning import TriageCorrection, TriageModelVersion
from citizen_desk.db.models.organisation import Channel, Unit
from citizen_desk.db.models.outbound import (
    Notification,
    Publication,
    PublicationRevision,
    RedactedExcerpt,
    SlackInteraction,
)
from citizen_desk.db.models.records import AuditLog, RegistrySnapshot

__all__ = [
    "NOTIFICATION_STATUSES",
    "PLATFORMS",
    "UNIT_KINDS",
    "AuditLog",
    "Base",
    "Case",
    "CaseTurn",
    "Channel",
    "Citizen",
    "CollectionRun",
    "CollectionWatermark",
    "FirstResponseWeek",
    "InboxEvent",
    "Message",
    "Notification",
    "PlatformToken",
    "Publication",
    "PublicationRevision",
    "Quarantine",
    "RedactedExcerpt",
    "RegistrySnapshot",
    "SlaEvent",
    "SlackInteraction",
    "Tip",
    "TipAcknowledgement",
    "TriageCorrection",
    "TriageModelVersion",
    "Unit",
    "case_reference",
]
