import itertools
from typing import cast

import factory

from aldis.identifiers import complete_org_code
from aldis.organisations.models import ApiClient, Organisation, OrganisationKind

_bases = itertools.count(4000000001)
_municipality_codes = itertools.count(100)


def next_org_code() -> str:
    """A fresh organisation code with a valid check digit."""
    while True:
        code = complete_org_code(str(next(_bases)))
        if code:
            return code


class OrganisationFactory(factory.django.DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    code = factory.LazyFunction(next_org_code)
    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = OrganisationKind.TRADER
    municipality_code = factory.LazyAttribute(
        lambda o: f"{next(_municipality_codes):07d}" if o.kind == OrganisationKind.MUNICIPALITY else None
    )


def api_client_with_token(organisation: Organisation, name: str = "integration") -> tuple[ApiClient, str]:
    client, token = ApiClient.objects.create_key(organisation=organisation, name=name)
    return cast(ApiClient, client), token
