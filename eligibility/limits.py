"""Time limits of the monthly run's Celery tasks (seconds), and what follows from them: the longest
a run may legitimately stay queued or running, the default of ``ALDIS_RUN_STALE_AFTER_MINUTES``.

Plain constants and arithmetic, without Django: ``eligibility.tasks`` declares its tasks with
them and the settings derive their default from them, so the two cannot drift apart.
"""

# A whole run on one worker, or the start of a shared one (it then sends the chord).
RUN_SOFT_LIMIT = 25 * 60
RUN_HARD_LIMIT = 30 * 60
# One chunk of a shared run.
CHUNK_SOFT_LIMIT = 25 * 60
CHUNK_HARD_LIMIT = 30 * 60
# The finish of a shared run (the chord's body).
FINISH_SOFT_LIMIT = 10 * 60
FINISH_HARD_LIMIT = 12 * 60


def run_longest_seconds(chunks: int) -> int:
    """The longest a run may work once a worker has taken it: the run task's hard limit; shared in
    ``chunks`` chunks, also every chunk's one after the other (a single free worker) and the
    finish's. A worker past its hard limit is killed."""
    if chunks <= 1:
        return RUN_HARD_LIMIT
    return RUN_HARD_LIMIT + chunks * CHUNK_HARD_LIMIT + FINISH_HARD_LIMIT


def stale_after_minutes(chunks: int) -> int:
    """Default of ``ALDIS_RUN_STALE_AFTER_MINUTES``: twice the longest a run may work, the second
    half for the wait in the queue (behind another month's run) and the retries' back-off.
    Whole: 60 minutes; in 4 chunks: 324."""
    return 2 * run_longest_seconds(chunks) // 60
