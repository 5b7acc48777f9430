"""The data model; import models from here."""
from rectify.models.activity import (
    AuditLog,
    DataRevision,
    Delivery,
    Evidence,
    ExtensionRequest,
    ImportRecord,
    JobRun,
    LedgerExport,
    Notice,
    Notification,
    ProgressUpdate,
    SchedulerLock,
    Setting,
)
from rectify.models.enums import (
    ExportState,
    ExtensionStatus,
    MeasureStatus,
    ProblemStatus,
    Role,
    SourceKind,
    UpdateKind,
    Warning,
)
from rectify.models.org import ApiToken, Department, LoginSession, Person, User
from rectify.models.rectification import Batch, Measure, Problem

__all__ = [
    "ApiToken", "LoginSession",
    "AuditLog", "Batch", "DataRevision", "Delivery", "ImportRecord", "JobRun", "LedgerExport", "ExportState", "Notice", "SchedulerLock", "Setting", "Department", "Evidence", "ExtensionRequest", "ExtensionStatus",
    "Measure", "MeasureStatus", "Notification", "Person", "Problem", "ProblemStatus",
    "ProgressUpdate", "Role", "SourceKind", "UpdateKind", "User", "Warning",
]
