"""The outbox's background worker: a huey consumer (``renkou exchange worker``) whose tasks call
``services.deliver()``.

The outbox rows stay the source of truth: a message is pending until its peer answered 2xx, and
its own ``next_attempt_at`` (the back-off of ``services.backoff``) says when it is due. The huey
queue only says *when to look*: lose it (or kill the worker) and nothing is lost — the next run
finds the pending rows again. Three things start a run:

* ``send()`` wakes the worker after its transaction commits (``nudge``), so a message goes out at
  once — only when a worker of this node is running (its pid file names a live process) and
  ``settings.EXCHANGE_WORKER`` is not false: nothing is queued otherwise;
* a periodic task each minute, which retries the messages whose back-off has run out;
* after a run that leaves messages waiting for their back-off, one run scheduled at the earliest
  ``next_attempt_at`` (at most one per instant).

A run takes the huey lock ``outbox`` (two threads never post the same message at once), delivers
until nothing is due, releases the lock and looks once more (a message committed while the lock
was held and whose wake-up found it taken is delivered then). A run that fails by itself (the
database busy, say) is retried by huey (``RETRIES`` times, ``RETRY_DELAY`` seconds apart); an
unreachable peer is not a failure of the run but of the message, which waits for its back-off.

The queue is a SQLite file, ``$RENKOU_HOME/exchange/queue.sqlite3``, whatever database the node
uses.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

log = logging.getLogger("renkou.exchange.worker")

RETRIES = 3
RETRY_DELAY = 10  # seconds between huey's retries of a failed run
LOCK = "outbox"


def queue_path() -> Path:
    return Path(settings.HOME) / "exchange" / "queue.sqlite3"


def pid_path() -> Path:
    return Path(settings.HOME) / "exchange" / "worker.pid"


def running_pid() -> int | None:
    """The pid of this node's running worker, or None."""
    try:
        pid = int(pid_path().read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def enabled() -> bool:
    return bool(getattr(settings, "EXCHANGE_WORKER", True))


def nudge() -> None:
    """Wake the worker (called after the commit of a transaction that wrote an outbox row). Never
    fails the caller: the message is committed and the periodic run will find it anyway."""
    if not enabled() or running_pid() is None:
        return
    try:
        tasks().deliver()
    except Exception:  # noqa: BLE001 — the queue is an optimisation, the outbox row is committed
        log.exception("could not wake the exchange worker; the periodic run will deliver")


def nudge_after_commit() -> None:
    """Wake the worker once after the current transaction commits, however many messages it
    writes (a batch of 100,000 enquiries answered is one wake-up, not 100,000)."""
    from django.db import transaction

    pending = transaction.get_connection().run_on_commit
    if not any(entry[1] is nudge for entry in pending):
        transaction.on_commit(nudge, robust=True)


@lru_cache(maxsize=4)
def _tasks(path: str) -> SimpleNamespace:
    from huey import SqliteHuey, crontab

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    huey = SqliteHuey("renkou-exchange", filename=path, results=False, immediate=False)

    @huey.task(retries=RETRIES, retry_delay=RETRY_DELAY, name="exchange.deliver")
    def deliver(wake: str | None = None) -> dict:
        if wake:
            huey.delete(wake)
        return run(huey)

    @huey.periodic_task(crontab(minute="*"), retries=RETRIES, retry_delay=RETRY_DELAY,
                        name="exchange.deliver_periodic")
    def deliver_periodic() -> dict:
        return run(huey)

    def wake_later(earliest) -> None:
        key = f"exchange.wake.{int(earliest.timestamp())}"
        if huey.put_if_empty(key, "1"):
            delay = max(1.0, (earliest - timezone.now()).total_seconds() + 0.5)
            deliver.schedule(kwargs={"wake": key}, delay=delay)

    return SimpleNamespace(huey=huey, deliver=deliver, deliver_periodic=deliver_periodic, wake_later=wake_later)


def tasks() -> SimpleNamespace:
    return _tasks(str(queue_path()))


def queue():
    """This node's huey instance."""
    return tasks().huey


def run(huey) -> dict:
    """One run: deliver until nothing is due, under the outbox lock; then schedule a run for the
    earliest back-off left. ``{"delivered": n, "failed": m}``."""
    from huey.exceptions import TaskLockedException

    from . import services
    from .models import Direction, Message, State

    total = {"delivered": 0, "failed": 0}
    close_old_connections()
    try:
        while True:
            try:
                with huey.lock_task(LOCK):
                    while True:
                        got = services.deliver()
                        for k in total:
                            total[k] += got[k]
                        if not any(got.values()):
                            break
            except TaskLockedException:
                break  # the holder looks again after releasing the lock
            if not services.due().exists():
                break
        earliest = Message.objects.filter(direction=Direction.OUT, state=State.PENDING)\
            .order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
        if earliest is not None:
            tasks().wake_later(earliest)
    finally:
        close_old_connections()
    if any(total.values()):
        log.info("outbox: %(delivered)s delivered, %(failed)s failed (retried after their back-off)", total)
    return total


def consume(*, workers: int = 1) -> None:
    """Run this node's worker until stopped (SIGINT/SIGTERM): a huey consumer with ``workers``
    threads and the periodic scheduler. One worker per node: refused when another one runs."""
    from huey.consumer import Consumer

    other = running_pid()
    if other is not None and other != os.getpid():
        raise RuntimeError(f"an exchange worker already runs for this node (pid {other})")
    path = pid_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(os.getpid()))
    t = tasks()
    try:
        # the locks of a worker killed while it held them are stale: this worker is the only one
        consumer = Consumer(t.huey, workers=workers, worker_type="thread", periodic=True, flush_locks=True,
                            extra_locks=LOCK, check_worker_health=True)
        t.deliver()  # what became due while no worker ran
        consumer.run()
    finally:
        if running_pid() == os.getpid():
            path.unlink(missing_ok=True)
