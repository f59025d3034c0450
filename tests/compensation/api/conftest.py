"""The month endpoints' worlds (``tests/eligibility/api/conftest.py``), for the submissions."""

from tests.eligibility.api.conftest import country, registers, write_csv  # noqa: F401  (fixtures)
