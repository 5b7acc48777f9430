"""Load an object by id and check the signed-in user may act on it: 404 or 403, never a leak.

Every route that takes an id goes through one of these; the rules themselves are in
permissions.py.
"""
import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from rectify.core.extensions import db
from rectify.models import Batch, Evidence, ExtensionRequest, Measure, Problem
from rectify.tracking.permissions import (
    batch_scope,
    can_comment,
    can_supervise,
    can_view_measure,
    can_work_on,
    visible_measures,
)


def require(allowed: bool) -> None:
    """Abort with 403 unless ``allowed``."""
    if not allowed:
        abort(403)


NEEDS = {
    "view": can_view_measure,
    "work": can_work_on,
    "comment": can_comment,
    "supervise": lambda user, _measure: can_supervise(user),
}


def _visible(obj) -> bool:
    """Soft-deleted objects exist only for supervisors (who may restore them)."""
    return obj.deleted_at is None or can_supervise(current_user)


def get_measure(measure_id: int, need: str = "view") -> Measure:
    measure = db.session.get(Measure, measure_id)
    if measure is None or not _visible(measure) or not _visible(measure.problem):
        abort(404, description="未找到该整改措施。")
    if not can_view_measure(current_user, measure):
        abort(404, description="未找到该整改措施。")
    if not NEEDS[need](current_user, measure):
        abort(403)
    return measure


def get_batch(batch_id: int) -> Batch:
    """A batch is visible to whoever may see one of its live measures (everyone who sees everything)."""
    batch = db.session.scalar(sa.select(Batch).where(Batch.id == batch_id, batch_scope(current_user)))
    if batch is None:
        abort(404, description="未找到该批次。")
    return batch


def get_problem(problem_id: int, need: str = "view", options=()) -> Problem:
    """A problem is visible to whoever may see at least one of its measures.

    ``options`` are loader options, so that the check and the page share one load.
    """
    problem = db.session.get(Problem, problem_id, options=options)
    if problem is None or not _visible(problem):
        abort(404, description="未找到该问题。")
    if not can_supervise(current_user) and not visible_measures(current_user, problem):
        abort(404, description="未找到该问题。")
    if need == "supervise" and not can_supervise(current_user):
        abort(403)
    return problem


def get_evidence(evidence_id: int, need: str = "view") -> Evidence:
    item = db.session.get(Evidence, evidence_id)
    if item is None or item.deleted_at is not None:
        abort(404, description="未找到该佐证材料。")
    get_measure(item.measure_id, need)
    return item


def get_extension(request_id: int) -> ExtensionRequest:
    request = db.session.get(ExtensionRequest, request_id)
    if request is None:
        abort(404, description="未找到该延期申请。")
    get_measure(request.measure_id, "supervise")
    return request
