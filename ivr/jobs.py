"""The job engine: RQ on Redis when `REDIS_URL` is set, else in this process (the embedded
default). The same job functions run either way.

`run_all` is how a batch is spread: the AutoPay run and the notices are split into chunks, one
job each; any number of `ivr worker` processes take them; it returns once every chunk has
reported. A chunk whose job failed, or whose worker died (its heartbeat stopped), is enqueued
again: each chunk is idempotent (payments.operations.autopay_run), so a chunk done twice debits
nobody twice. `enqueue` hands over work without waiting (sending the message outbox).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any, Protocol

log = logging.getLogger(__name__)

QUEUE = "ivr"
JOB_TIMEOUT = 600  # seconds a chunk may take before RQ stops it
RESULT_TTL = 3600
MAX_ATTEMPTS = 5  # a chunk enqueued this many times without reporting: the run fails
POLL_SECONDS = 0.2
WORKER_TTL = 20  # a worker that stops heartbeating for this long is taken for dead
WORKER_MONITORING = 5
NO_WORKER_WARNING = 10.0


class JobsFailed(RuntimeError):
    """Some chunks never reported, after every attempt."""


class Jobs(Protocol):
    def run_all(self, name: str, arguments: Sequence[tuple[Any, ...]]) -> list[Any]: ...
    def enqueue(self, name: str, *arguments: Any) -> None: ...


# --- the jobs ----------------------------------------------------------------------------


def autopay_chunk(core: Any, settings: Any, on: str, ids: list[int]) -> dict[str, Any]:
    from payments.operations.autopay_run import run_chunk

    report = run_chunk(core.uow, date.fromisoformat(on), ids, core.clock)
    return report.as_json()


def notice_chunk(core: Any, settings: Any, today: str, ids: list[int]) -> dict[str, Any]:
    from payments.operations.autopay_notices import notice_chunk as tell

    report = tell(core.uow, date.fromisoformat(today), ids, settings.service_phone, core.clock)
    return {"told": report.told, "looked_at": report.looked_at}


def send_messages(core: Any, settings: Any) -> dict[str, Any]:
    from ivr.channels.twilio_rest import TwilioMessages
    from payments.messages.sending import send_queued

    sender = TwilioMessages(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_api_base_url,
        settings.sms_from,
    )
    if not sender.configured:
        log.warning("texts wait in the outbox until TWILIO_ACCOUNT_SID and SMS_FROM are set")
        return {"sent": 0}
    return send_queued(core.uow, sender, core.clock).__dict__


def banking_day(core: Any, settings: Any) -> dict[str, Any]:
    """The scheduled work of a banking day (`ivr scheduler`, each weekday afternoon): today's
    Regulation E notices, the AutoPay run for the next banking day's debits (its chunks
    enqueued for the workers, not waited for: this job holds no worker), and settlement.
    On a weekend or holiday it does nothing. Each part is idempotent: run twice, no harm."""
    from payments.bank.settlement import settle
    from payments.domain.banking import is_banking_day, next_banking_day
    from payments.domain.clock import eastern_date
    from payments.operations.autopay_notices import plan_notices
    from payments.operations.autopay_run import plan_run

    today = eastern_date(core.clock())
    if not is_banking_day(today):
        return {"today": today.isoformat(), "banking_day": False}
    jobs = RqJobs(redis_at(settings.redis_url))
    for chunk in plan_notices(core.uow):
        jobs.enqueue("notice_chunk", today.isoformat(), chunk)
    debit_day = next_banking_day(today)
    chunks = plan_run(core.uow, debit_day)
    for chunk in chunks:
        jobs.enqueue("autopay_chunk", debit_day.isoformat(), chunk)
    settled = settle(core.uow, today, core.clock)
    return {"today": today.isoformat(), "debit_day": debit_day.isoformat(),
            "chunks": len(chunks), "settled": settled.settled}  # fmt: skip


def redis_at(url: str) -> Any:
    """The job engine's Redis (no short timeouts: jobs and their commands may wait)."""
    import redis

    return redis.Redis.from_url(url)


JOBS: dict[str, Callable[..., Any]] = {
    "autopay_chunk": autopay_chunk,
    "notice_chunk": notice_chunk,
    "send_messages": send_messages,
    "banking_day": banking_day,
}


# --- in this process ---------------------------------------------------------------------


class InProcessJobs:
    """The embedded default: batches run here, one chunk after another; `enqueue` runs the job
    on a background thread of this process."""

    def __init__(self, core: Any, settings: Any) -> None:
        self._core = core
        self._settings = settings
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="jobs")

    def run_all(self, name: str, arguments: Sequence[tuple[Any, ...]]) -> list[Any]:
        return [JOBS[name](self._core, self._settings, *args) for args in arguments]

    def enqueue(self, name: str, *arguments: Any) -> None:
        self._pool.submit(_logged, JOBS[name], self._core, self._settings, *arguments)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _logged(job: Callable[..., Any], *arguments: Any) -> None:
    try:
        job(*arguments)
    except Exception:  # noqa: BLE001 - a background job's failure is logged; it runs again later
        log.exception("job %s failed", job.__name__)


# --- on RQ ------------------------------------------------------------------------------

_PROCESS: dict[str, Any] = {}


def perform(name: str, *arguments: Any) -> Any:
    """What an RQ worker runs: the job `name` on this process's payments core (built on first
    use, in the work horse: never inherited across a fork)."""
    if "core" not in _PROCESS:
        from ivr.assembly import build_from_settings

        _PROCESS["settings"], _PROCESS["core"] = build_from_settings()
    return JOBS[name](_PROCESS["core"], _PROCESS["settings"], *arguments)


class RqJobs:
    def __init__(self, redis: Any, queue: str = QUEUE) -> None:
        from rq import Queue

        self._redis = redis
        self._queue = Queue(queue, connection=redis)

    def enqueue(self, name: str, *arguments: Any) -> None:
        self._queue.enqueue(perform, name, *arguments, job_timeout=JOB_TIMEOUT, result_ttl=0)

    def run_all(self, name: str, arguments: Sequence[tuple[Any, ...]]) -> list[Any]:
        batch = uuid.uuid4().hex[:12]
        jobs = {
            index: self._start(name, args, batch, index) for index, args in enumerate(arguments)
        }
        attempts = dict.fromkeys(jobs, 1)
        results: dict[int, Any] = {}
        waited_alone = 0.0
        while jobs:
            for index, job in list(jobs.items()):
                state = self._state(job)
                if state == "done":
                    results[index] = job.return_value()
                    del jobs[index]
                elif state == "lost":
                    jobs[index] = self._again(name, arguments[index], batch, index, attempts)
            waited_alone = self._watch_workers(waited_alone)
            if jobs:
                time.sleep(POLL_SECONDS)
        return [results[index] for index in range(len(arguments))]

    def _start(self, name: str, args: tuple[Any, ...], batch: str, index: int) -> Any:
        return self._queue.enqueue(
            perform, name, *args, job_timeout=JOB_TIMEOUT, result_ttl=RESULT_TTL,
            description=f"{name} {batch}/{index}",
        )  # fmt: skip

    def _again(
        self, name: str, args: tuple[Any, ...], batch: str, index: int, attempts: dict[int, int]
    ) -> Any:
        attempts[index] += 1
        if attempts[index] > MAX_ATTEMPTS:
            raise JobsFailed(f"{name}: chunk {index} failed {MAX_ATTEMPTS} times; see the log")
        log.warning("%s chunk %s: lost (failed, or its worker died); enqueued again", name, index)
        return self._start(name, args, batch, index)

    def _state(self, job: Any) -> str:
        """done, waiting, or lost (failed, gone, or started by a worker that is dead)."""
        from rq.exceptions import InvalidJobOperation, NoSuchJobError
        from rq.job import JobStatus

        try:
            status = job.get_status(refresh=True)
        except (NoSuchJobError, InvalidJobOperation):  # its record is gone from Redis
            return "lost"
        if status == JobStatus.FINISHED:
            return "done"
        if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, None):
            return "lost"
        if status == JobStatus.STARTED and job.worker_name and self._dead(job.worker_name):
            return "lost"
        return "waiting"

    def _dead(self, worker_name: str) -> bool:
        """A worker is dead when it is gone from Redis or its heartbeat (every
        WORKER_MONITORING seconds while it works) is older than WORKER_TTL: RQ keeps a killed
        worker's key for a minute more, too long to wait for the chunk it was running."""
        from rq.utils import utcparse

        beat = self._redis.hget(f"rq:worker:{worker_name}", "last_heartbeat")
        if beat is None:
            return True
        age = datetime.now(UTC) - utcparse(beat.decode()).replace(tzinfo=UTC)
        return age.total_seconds() > WORKER_TTL

    def _watch_workers(self, waited: float) -> float:
        from rq import Worker

        if Worker.count(queue=self._queue):
            return 0.0
        waited += POLL_SECONDS
        if waited >= NO_WORKER_WARNING:
            log.warning("no worker is taking jobs from queue %s: start `ivr worker`", QUEUE)
            return 0.0
        return waited


def run_worker(redis: Any, burst: bool = False) -> None:
    """One worker for every queue the product uses (`ivr worker`); start as many as you like."""
    from rq import Queue, Worker

    # RQ's default serializer, as its cron scheduler uses; jobs carry only names, dates and ids.
    queue = Queue(QUEUE, connection=redis)
    worker = Worker(
        [queue],
        connection=redis,
        worker_ttl=WORKER_TTL,
        job_monitoring_interval=WORKER_MONITORING,
    )
    worker.work(burst=burst, with_scheduler=False)


# The schedule, in Massachusetts time (the process's TZ is set to it).
SCHEDULE_TZ = "America/New_York"
BANKING_DAY_CRON = "0 15 * * 1-5"  # 3 p.m. Eastern on weekdays, before the ACH cut-off
SEND_EVERY = 60  # seconds between sweeps of the message outbox


def run_scheduler(redis: Any) -> None:
    """The schedule (`ivr scheduler`; run one): RQ's cron scheduler enqueues the banking day's
    work each weekday afternoon and a sweep of the message outbox every minute; workers run
    them."""
    import os

    from rq.cron import CronScheduler

    os.environ["TZ"] = SCHEDULE_TZ
    time.tzset()
    scheduler = CronScheduler(connection=redis)
    scheduler.register(perform, QUEUE, args=("banking_day",), cron=BANKING_DAY_CRON,
                       job_timeout=JOB_TIMEOUT, name="banking_day")  # fmt: skip
    scheduler.register(perform, QUEUE, args=("send_messages",), interval=SEND_EVERY,
                       job_timeout=JOB_TIMEOUT, name="send_messages")  # fmt: skip
    scheduler.start()
