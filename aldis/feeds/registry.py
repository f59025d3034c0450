"""Every feed ALDIS accepts, by name (INTERFACES §1)."""

from functools import cache

from django.core.exceptions import ValidationError

from aldis.feeds.spec import FeedSpec


@cache
def feed_specs() -> dict[str, FeedSpec]:
    from aldis.organisations.feeds import ORGANISATIONS
    from eligibility.feeds import PARAMETERS
    from households.feeds import FEEDS as HOUSEHOLD_FEEDS
    from traders.feeds import FEEDS as TRADER_FEEDS

    specs = [ORGANISATIONS, *HOUSEHOLD_FEEDS, *TRADER_FEEDS, PARAMETERS]
    return {spec.name: spec for spec in specs}


def feed_spec(name: str) -> FeedSpec:
    try:
        return feed_specs()[name]
    except KeyError:
        raise ValidationError(
            {"feed": [f"unknown feed {name!r}; ALDIS accepts: {', '.join(sorted(feed_specs()))}"]}
        ) from None
