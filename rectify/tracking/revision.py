"""Counts kept until the data they count changes.

The dashboard's tallies and the board's and list's totals scan every measure the viewer may
see: with 100,000 measures that takes 10–300 ms a page. They are cached in each process,
keyed by

- the data revision, a counter the database bumps by trigger in every transaction that
  writes batches, problems, measures, people or their links (migration 0010), whichever
  process or command wrote them: after a commit, nothing counted before it is reachable;
- whose scope they count (everyone who sees everything shares one entry);
- what else the caller names: the day and the due-soon days (colours depend on them),
  the filters.

Reading the revision costs one primary-key lookup. On PostgreSQL it is read before the
counts, in its own statement: a write committed in between makes the entry newer than its
key, never older. Only GET and HEAD requests use the cache, so a request's own uncommitted
writes are never cached.
"""
import threading
from typing import Callable, Hashable, Optional, TypeVar

import sqlalchemy as sa
from cachetools import LRUCache
from flask import current_app, has_request_context, request

from rectify.core.extensions import db
from rectify.models import DataRevision, User
from rectify.tracking.permissions import sees_everything

T = TypeVar("T")
ENTRIES = 1024
_MISSING = object()


class CountCache:
    """A thread-safe LRU of computed counts (waitress serves requests from several threads)."""

    def __init__(self, size: int = ENTRIES):
        self._entries = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            value = self._entries.get(key, _MISSING)
        if value is _MISSING:
            value = compute()
            with self._lock:
                self._entries[key] = value
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def init_app(app) -> None:
    app.extensions["rectify.counts"] = CountCache()


def current_revision() -> Optional[int]:
    return db.session.scalar(sa.select(DataRevision.n).where(DataRevision.id == 1))


def scope_key(user: Optional[User]) -> Hashable:
    if user is None:
        return "system"
    if sees_everything(user):
        return "everything"
    return ("user", user.id, user.role, user.department_id)


def cached(name: str, user: Optional[User], compute: Callable[[], T], *key: Hashable) -> T:
    """``compute()``, or what it returned for the same name, scope and key at this revision."""
    if not (has_request_context() and request.method in ("GET", "HEAD")):
        return compute()
    revision = current_revision()
    if revision is None:  # a database without the counter row: count every time
        return compute()
    cache: CountCache = current_app.extensions["rectify.counts"]
    return cache.get_or_compute((name, revision, scope_key(user), *key), compute)
