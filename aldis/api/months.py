"""The ``{YYYY-MM}`` of the month endpoints (INTERFACES §3) and the version of it they read.

A month in a path is parsed here rather than by a URL converter, so that a malformed one is a
400 with details (an unmatched converter would be a bare 404, which an integrator cannot tell
from a wrong path).

A list reads the version in force, unless a cursor pins the version its first page read or the
caller names one (``?version=N``, a done version of the month, in force or since replaced).
"""

import re
from datetime import date

from rest_framework import status
from rest_framework.request import Request

from aldis.exceptions import ApplicationError
from eligibility.models import MonthRun, RunStatus
from eligibility.selectors import month_run_in_force_for_lists

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
# ASCII digits only, and few enough that the number fits the column (no 500 on PostgreSQL).
_VERSION = re.compile(r"[0-9]{1,9}")


def month_from_path(value: str) -> date:
    """``YYYY-MM`` as the month's first day; ``ApplicationError`` 400 ``invalid`` otherwise."""
    match = _MONTH.fullmatch(value)
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise ApplicationError(
            "The month must be written YYYY-MM.",
            code="invalid",
            details={"month": [f"{value[:20]!r} is not a month written YYYY-MM"]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"


def month_not_computed(month: date) -> ApplicationError:
    return ApplicationError(
        f"Month {month_label(month)} has no computed version in force yet.",
        code="month_not_computed",
        details={"month": month_label(month)},
        status=status.HTTP_404_NOT_FOUND,
    )


def month_purged(month: date) -> ApplicationError:
    return ApplicationError(
        f"The lists of {month_label(month)} were deleted under the retention rule.",
        code="month_purged",
        details={"month": month_label(month)},
        status=status.HTTP_410_GONE,
    )


def run_in_force(month: date) -> MonthRun:
    """The version of ``month`` in force; 404 ``month_not_computed`` when there is none, 410
    ``month_purged`` when its rows are past retention (so no ``ETag`` or kept page outlives them)."""
    found = month_run_in_force_for_lists(month=month)
    if found is None:
        raise month_not_computed(month)
    if found.rows_purged:
        raise month_purged(month)
    return found.run


def pinned_run(month: date, run_id: int) -> MonthRun:
    """The version a cursor pinned: a done run of ``month`` (in force or since replaced)."""
    run = MonthRun.objects.filter(pk=run_id, month=month, status=RunStatus.DONE).first()
    if run is None:
        raise ApplicationError(
            "The cursor does not belong to this month's list.",
            code="invalid_cursor",
            details={"cursor": ["not a cursor of this list"]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if run.statistics is not None:
        raise month_purged(month)
    return run


def version_from_query(request: Request) -> int | None:
    """The ``?version=`` asked for (None when absent or empty); ``ApplicationError`` 400
    ``invalid`` when it is not a whole number."""
    raw = request.query_params.get("version")
    if raw is None or raw == "":
        return None
    if not _VERSION.fullmatch(raw):
        raise ApplicationError(
            "The version is not valid.",
            code="invalid",
            details={"version": [f"{raw[:20]!r} is not a version number of the month"]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return int(raw)


def run_of_version(month: date, version: int) -> MonthRun:
    """Version ``version`` of ``month``, a done run (in force or since replaced); 404
    ``version_not_found`` when the month has no such done version (never computed, still
    running or failed), 410 ``month_purged`` past retention."""
    run = MonthRun.objects.filter(month=month, version=version, status=RunStatus.DONE).first()
    if run is None:
        raise ApplicationError(
            f"Month {month_label(month)} has no version {version} that finished successfully.",
            code="version_not_found",
            details={"version": [f"not a done version of {month_label(month)}"]},
            status=status.HTTP_404_NOT_FOUND,
        )
    if run.statistics is not None:
        raise month_purged(month)
    return run


def run_to_list(month: date, *, pinned: int | None, version: int | None) -> MonthRun:
    """The version a list request reads: the one its cursor pinned (``pinned``, a run id), else
    the one it names (``version``), else the one in force. A cursor and a version together must
    agree (the ``next`` link of a versioned first page carries both)."""
    if pinned is not None:
        run = pinned_run(month, pinned)
        if version is not None and run.version != version:
            raise ApplicationError(
                "The cursor was issued for another version of the month.",
                code="invalid_cursor",
                details={"cursor": [f"a cursor of version {run.version}, not of version {version}"]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return run
    if version is not None:
        return run_of_version(month, version)
    return run_in_force(month)
