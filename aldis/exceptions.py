"""The one domain error of ALDIS.

Services raise Django's ``ValidationError`` for bad input and ``ApplicationError`` when a domain
rule is broken (a run already in progress, a statement approved by its maker, ...). The API's
exception handler turns both into the error shape of INTERFACES §3.
"""

from typing import Any


class ApplicationError(Exception):
    """A domain rule refused the operation. ``code`` is stable and machine-readable."""

    def __init__(self, message: str, *, code: str = "refused", details: Any = None, status: int = 409):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details if details is not None else {}
        self.status = status
