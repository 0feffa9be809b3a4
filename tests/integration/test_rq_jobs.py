"""The job engine's bookkeeping on a real Redis: a chunk whose record is gone is run again."""

from __future__ import annotations

import pytest

from ivr.jobs import RqJobs

pytestmark = pytest.mark.integration


def test_a_job_whose_record_vanished_is_lost_and_so_run_again(redis_client) -> None:
    """A chunk's job hash gone (deleted, expired, a worker killed while writing it) is neither
    done nor waiting: `run_all` enqueues it again rather than failing the whole run."""
    jobs = RqJobs(redis_client, queue="test-vanished")
    job = jobs._start("autopay_chunk", ("2026-11-23", [1]), "batch", 0)
    assert jobs._state(job) == "waiting"
    redis_client.delete(job.key)
    assert jobs._state(job) == "lost"
