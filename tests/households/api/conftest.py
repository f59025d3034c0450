from tests.eligibility.scheme_p.conftest import registers  # noqa: F401  (the fixture)
from tests.households.web.world import today, world  # noqa: F401  (fixtures)
