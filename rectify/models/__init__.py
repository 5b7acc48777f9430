"""The data model; import models from here."""
from .activity import (
    AuditLog,
    Delivery,
    Evidence,
    ExtensionRequest,
    ImportRecord,
    Notice,
    Notification,
    ProgressUpdate,
)
from .enums import (
    ExtensionStatus,
    MeasureStatus,
    ProblemStatus,
    Role,
    SourceKind,
    UpdateKind,
    Warning,
)
from .org import Department, Person, User
from .rectification import Batch, Measure, Problem

__all__ = [
    "AuditLog", "Batch", "Delivery", "ImportRecord", "Notice", "Department", "Evidence", "ExtensionRequest", "ExtensionStatus",
    "Measure", "MeasureStatus", "Notification", "Person", "Problem", "ProblemStatus",
    "ProgressUpdate", "Role", "SourceKind", "UpdateKind", "User", "Warning",
]
