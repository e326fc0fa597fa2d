"""The optional read replica's database router (``DATABASE_REPLICA_URL``).

Installed in ``DATABASE_ROUTERS`` only when a replica is configured. Reads go to the replica
only inside a replica scope, which the API base view opens while it serves a list or an
export that may be stale by a moment (``ScopedReadOnlyViewSet.list``); every other read —
details, the sync (``after_seq``), authentication, the browser — and every write goes to the
primary. Nothing is migrated on the replica: it mirrors the primary.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

PRIMARY = "default"
REPLICA = "replica"

_replica_scope: ContextVar[bool] = ContextVar("quota_ledger_replica_scope", default=False)


@contextmanager
def replica_reads():
    """Reads made inside this block (in this thread or task) go to the replica."""
    token = _replica_scope.set(True)
    try:
        yield
    finally:
        _replica_scope.reset(token)


def replica_iter(iterable: Iterable) -> Iterator:
    """``iterable``'s items, each produced inside a replica scope: for a streamed export,
    whose rows are read lazily, after the view has returned. The scope covers only the
    production of each item, never the caller's code between items (a generator cannot
    hold a context variable across ``yield`` without leaking it to its consumer)."""
    iterator = iter(iterable)
    try:
        while True:
            with replica_reads():
                try:
                    item = next(iterator)
                except StopIteration:
                    return
            yield item
    finally:
        # A client that hangs up closes the stream: close the reader too (in scope, as its
        # cursor lives on the replica).
        close = getattr(iterator, "close", None)
        if close is not None:
            with replica_reads():
                close()


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return REPLICA if _replica_scope.get() else PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY
