"""The recovery tests build their worlds with the Scheme P helpers and fixture."""

from tests.eligibility.scheme_p.conftest import registers  # noqa: F401  (the fixture)
