"""Every model, whichever feature it belongs to: import models from here.

Each feature keeps its own models (accounts/models.py, tracking/models.py, …); this index loads
them all, so that relationships resolve and the migrations see every table.
"""
from rectify.accounts.models import (
    ApiToken,
    AuditLog,
    Department,
    LoginFailure,
    LoginSession,
    Person,
    Role,
    User,
)
from rectify.imports.models import ImportMapping, ImportRecord
from rectify.ledgers.models import ExportState, LedgerExport
from rectify.plans.models import Plan
from rectify.reminders.models import (
    Delivery,
    Event,
    EventRecipient,
    Notice,
    NoticePreference,
    Notification,
    Setting,
    Webhook,
)
from rectify.scheduler.models import JobRun, SchedulerLock
from rectify.tracking.enums import (
    ExtensionStatus,
    MeasureStatus,
    ProblemStatus,
    SourceKind,
    UpdateKind,
    Warning,
)
from rectify.tracking.models import (
    Batch,
    DataRevision,
    Evidence,
    ExtensionRequest,
    Measure,
    Problem,
    ProgressUpdate,
)

__all__ = [
    "ApiToken", "AuditLog", "Event", "EventRecipient", "NoticePreference", "Webhook", "Batch", "DataRevision", "Delivery", "Department", "Evidence", "ExportState",
    "ExtensionRequest", "ExtensionStatus", "ImportMapping", "ImportRecord", "JobRun", "LedgerExport", "LoginFailure", "LoginSession", "Measure",
    "MeasureStatus", "Notice", "Plan", "Notification", "Person", "Problem", "ProblemStatus", "ProgressUpdate", "Role",
    "SchedulerLock", "Setting", "SourceKind", "UpdateKind", "User", "Warning",
]
