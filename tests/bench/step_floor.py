"""The database's share of one step, measured without Oversite: what no engine code can beat.

Replays, with bare psycopg and no ORM, the statements of one completed user task on the real
schema, in the fewest round trips their dependencies allow (psycopg's pipeline mode):

1. BEGIN and the locking read of task + instance + case (the state is needed to step);
2. the task update, the next task's insert, the instance update (a 1.5 kB state), the audit
   chain lock and the chain head read (the head is needed to hash the new event);
3. the audit insert and the COMMIT (a WAL flush).

(Oversite now lets the server read the head and hash the event inside the COMMIT's message,
so 2 and 3 could share one round trip: this floor is about one round trip too low.)

Used by ``engine_bench`` to print the floor next to (c).
"""
from __future__ import annotations

import hashlib
import os
import time
from datetime import datetime, timezone

import psycopg

_INSERT_TASK = (
    "INSERT INTO task (instance_id, case_id, spiff_id, bpmn_id, name, process_key, state, data, created_at) "
    "VALUES (%s, %s, %s, 'inspect', '检查', 'floor', 'open', '{}', %s) RETURNING id"
)
_LOCK = ("SELECT task.*, process_instance.*, \"case\".* FROM task "
         "JOIN process_instance ON process_instance.id = task.instance_id JOIN \"case\" ON \"case\".id = task.case_id "
         "WHERE task.id = %s FOR UPDATE OF process_instance, task")
_AUDIT_LOCK = "SELECT pg_advisory_xact_lock(1)"
_AUDIT_HEAD = "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1"
_AUDIT = ("INSERT INTO audit_event (seq, at, actor, role, action, case_id, instance_id, task_id, data, prev_hash, hash) "
          "VALUES (%s, %s, 'bench', 'admin', 'task.completed', %s, %s, %s, '{}', %s, %s)")


def measure(url: str, steps: int = 1000) -> float:
    """Steps per second of the statement sequence against the (migrated) database at ``url``."""
    now = datetime.now(timezone.utc)
    state = os.urandom(1500)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        cur, insert_cur, head_cur = conn.cursor(), conn.cursor(), conn.cursor()
        key = "floor-" + os.urandom(4).hex()
        cur.execute("INSERT INTO process_definition (key, version, sha256, bpmn_xml, spec, deployed_at) "
                    "VALUES (%s, 1, %s, '<x/>', '\\x00', %s) RETURNING id", (key, "0" * 64, now))
        definition_id = cur.fetchone()[0]  # type: ignore[index]
        cur.execute("INSERT INTO \"case\" (process_key, status, data, created_at, updated_at) "
                    "VALUES ('floor', 'active', '{}', %s, %s) RETURNING id", (now, now))
        case_id = cur.fetchone()[0]  # type: ignore[index]
        cur.execute("INSERT INTO process_instance (case_id, definition_id, status, state, task_count, step_count, "
                    "created_at, updated_at) VALUES (%s, %s, 'running', '\\x00', 0, 0, %s, %s) RETURNING id",
                    (case_id, definition_id, now, now))
        instance_id = cur.fetchone()[0]  # type: ignore[index]
        cur.execute(_INSERT_TASK, (instance_id, case_id, "floor-0", now))
        task_id = cur.fetchone()[0]  # type: ignore[index]
        conn.commit()
        elapsed = 0.0
        with conn.pipeline():  # stays open: leaving it would cost a round trip of its own
            for i in range(1, steps + 1):
                t0 = time.perf_counter()
                cur.execute(_LOCK, (task_id,))
                cur.fetchall()  # round trip 1
                cur.execute("UPDATE task SET state = 'completed', completed_at = %s, completed_by = 'bench' "
                            "WHERE id = %s", (now, task_id))
                insert_cur.execute(_INSERT_TASK, (instance_id, case_id, f"floor-{i}", now))
                cur.execute("UPDATE process_instance SET state = %s, task_count = 7, step_count = %s, "
                            "updated_at = %s WHERE id = %s", (state, i, now, instance_id))
                cur.execute(_AUDIT_LOCK)
                head_cur.execute(_AUDIT_HEAD)
                head = head_cur.fetchone()  # round trip 2
                next_task = insert_cur.fetchone()[0]  # type: ignore[index]
                seq, prev = (head[0], head[1]) if head else (0, "0" * 64)
                digest = hashlib.sha256(f"{prev}{i}".encode()).hexdigest()
                cur.execute(_AUDIT, (seq + 1, now, case_id, instance_id, task_id, prev, digest))
                conn.commit()  # round trip 3
                elapsed += time.perf_counter() - t0
                task_id = next_task
    return steps / elapsed
