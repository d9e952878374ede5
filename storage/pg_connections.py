"""PostgreSQL connections for the pool: fewer round trips and less planning per transaction.

Three costs every transaction paid on PostgreSQL, measured on the engine's step
(``make bench``), and what this module does about them:

* **Prepared statements.** psycopg prepares a statement once it has run five times on a
  connection, which saves the server's planning (0.1 ms for the step's locking read). But its
  ``rollback()`` deallocates every prepared statement, and every read-only session ends with a
  rollback, so in practice nothing ever stayed prepared. :class:`OversiteConnection`
  rolls back without forgetting them. psycopg forgets them out of caution for DDL undone by the
  rollback; PostgreSQL revalidates a prepared statement whose tables changed, and Oversite runs
  DDL only in migrations. The result-based discard psycopg keeps for ``DROP``, ``ALTER`` and
  ``DISCARD ALL`` is untouched. One exception: after a statement fails in pipeline mode the
  server skips the rest of the pipeline, the PREPAREs of statements psycopg was preparing
  included, while psycopg already counts them as prepared. A rollback after a failed pipeline
  therefore forgets every prepared statement, as psycopg's own does.
* **The liveness ping.** ``pool_pre_ping`` costs a round trip on every checkout. A connection
  used a moment ago is alive unless the server restarted in that moment, and then the request
  in flight fails either way; so the ping runs only for a connection idle for longer than
  ``ping_after`` seconds. A dead one found then is replaced, and the rest of the pool with it.
* **The last write and the COMMIT.** The audit chain's rows are the last thing a transaction
  writes, just before it commits; :meth:`OversiteConnection.defer_to_commit` sends such a write
  in the same message as the ``COMMIT`` (one simple query, values bound on the client by
  psycopg; ``storage.audit`` lets the server chain the rows there). If the write fails, the
  commit fails with its error and nothing of the transaction is kept, as if sent alone.
"""
from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, event, exc

DEFAULT_PING_AFTER = 5.0  # seconds a pooled connection may idle before it is pinged on checkout


class OversiteConnection(psycopg.Connection):  # type: ignore[type-arg]
    """A psycopg connection that keeps its prepared statements and can write with its COMMIT."""

    _at_commit: list[tuple[str, Sequence[Any]]] = []
    _pipeline_failed = False  # since the last rollback: the prepared statements are in doubt

    @contextmanager
    def pipeline(self) -> Iterator[psycopg.Pipeline]:
        try:
            with super().pipeline() as pipeline:
                yield pipeline
        except BaseException:
            self._pipeline_failed = True
            raise

    def defer_to_commit(self, statement: str, params: Sequence[Any]) -> None:
        """Run ``statement`` (a write that returns nothing) just before this transaction's COMMIT.

        ``statement`` uses ``%s`` placeholders for ``params``. Dropped if the transaction rolls back.
        """
        if self.autocommit:
            raise RuntimeError("defer_to_commit needs a transaction: this connection autocommits")
        self._at_commit = [*self._at_commit, (statement, params)]

    def run_deferred(self) -> None:
        """Run the statements waiting for the COMMIT now, in order, leaving the transaction open."""
        deferred, self._at_commit = self._at_commit, []
        if deferred:
            with psycopg.ClientCursor(self) as cursor:
                cursor.execute("; ".join(statement for statement, _params in deferred),
                               [value for _statement, values in deferred for value in values])

    def commit(self) -> None:
        if not self._at_commit:
            super().commit()
            return
        # One round trip for the writes and the COMMIT. In a failed transaction they fail, so
        # the commit does; with no transaction begun yet psycopg opens one first.
        self._at_commit = [*self._at_commit, ("COMMIT", ())]
        self.run_deferred()

    def rollback(self) -> None:
        self._at_commit = []
        manager = getattr(self, "_prepared", None)
        clear = getattr(manager, "clear", None)
        if clear is None or self._pipeline_failed:  # plain behaviour: forget them all
            self._pipeline_failed = False
            super().rollback()
            return
        manager.clear = lambda: False  # type: ignore[union-attr]
        try:
            super().rollback()
        finally:
            del manager.clear  # type: ignore[union-attr]


@contextmanager
def driver_errors(connection: Connection, what: str) -> Iterator[None]:
    """Raise the driver's errors in the block as SQLAlchemy's, as for statements it ran itself.

    For code that talks to the psycopg connection directly (pipelines, deferred writes): callers
    and the session then see the ``IntegrityError`` or ``OperationalError`` they expect.
    """
    dbapi_error = connection.dialect.loaded_dbapi.Error
    try:
        yield
    except exc.DBAPIError:
        raise
    except dbapi_error as error:
        raise exc.DBAPIError.instance(what, None, error, dbapi_error) from error


def configure(engine: Engine, *, ping_after: float | None = DEFAULT_PING_AFTER,
              lock_timeout: float | None = None) -> None:
    """Make ``engine``'s pool open :class:`OversiteConnection` and ping only after idling.

    ``ping_after`` None: no ping of ours (for an engine with SQLAlchemy's ``pool_pre_ping``).
    ``lock_timeout`` (seconds): the server's ``lock_timeout`` for every connection, sent with
    the connection's startup options (no round trip of its own).
    """
    dialect = engine.dialect
    setting = f"-c lock_timeout={round(lock_timeout * 1000)}" if lock_timeout is not None else ""

    @event.listens_for(engine, "do_connect")
    def connect(_dialect: Any, _record: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]) -> Any:
        if setting:
            cparams["options"] = f"{cparams.get('options', '')} {setting}".strip()
        return OversiteConnection.connect(*cargs, **cparams)

    if ping_after is None:
        return

    @event.listens_for(engine.pool, "checkin")
    def checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since <= ping_after:
            return  # new, or used a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # The pool replaces this connection (and every older one) and tries again.
            raise exc.InvalidatePoolError(f"connection idle for {time.monotonic() - idle_since:.0f} s "
                                         f"failed its ping: {error}") from error
