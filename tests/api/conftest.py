from tests.eligibility.api.conftest import registers  # noqa: F401  (the fixture)
