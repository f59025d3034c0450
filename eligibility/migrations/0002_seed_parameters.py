"""Seed the dated parameters with the table of INTERFACES §1, learned in one ``parameters``
batch (actor ``system:seed``), so that their history says where the first values came from.

The table is written out here, not read from the catalogue, so that this migration stays what it
was when the catalogue or the table changes later (a change is a new file or an admin edit).
"""

import hashlib
from datetime import date, timedelta

from django.db import migrations
from django.utils import timezone

SEED_FILE = "seed: INTERFACES §1 parameters table"
SEED_AS_OF = date(2024, 9, 1)  # the latest start in the table
SCHEME_P = "Cabinet Regulation No. 345 (protected-user service), as amended"
SCHEME_E = "Law on the State Aid for Energy Supply Costs (2023)"

# name, valid_from, value, legal_ref
SEED = [
    *(
        (name, valid_from, value, SCHEME_P)
        for name in ("p_amount_needy_low_income", "p_amount_disabled_child", "p_amount_group_i_disability")
        for valid_from, value in (("2021-09-01", "5.00"), ("2021-11-01", "15.00"), ("2023-08-01", "20.00"))
    ),
    ("p_amount_large_family", "2021-09-01", "10.00", SCHEME_P),
    ("p_amount_large_family", "2021-11-01", "20.00", SCHEME_P),
    ("p_amount_large_family", "2023-08-01", "25.00", SCHEME_P),
    ("e_on_electricity", "2023-12-08", "false", SCHEME_E),
    ("e_on_electricity_heating", "2023-12-08", "false", SCHEME_E),
    ("e_on_gas_heating", "2023-12-08", "false", SCHEME_E),
    ("e_on_district_heat", "2023-12-08", "false", SCHEME_E),
    ("e_on_decentralised_fuel", "2023-12-08", "false", SCHEME_E),
    ("e_income_threshold_eur", "2024-09-01", "473.53", SCHEME_E),
    ("e_housing_share", "2024-09-01", "0.30", SCHEME_E),
    ("e_housing_normative_eur", "2024-09-01", "142.06", SCHEME_E),
    ("e_cap_electricity_eur", "2024-09-01", "8.00", SCHEME_E),
    ("e_cap_gas_heating_eur", "2024-09-01", "110.00", SCHEME_E),
    ("e_admin_cost_eur", "2023-12-08", "0.00", SCHEME_E),
]


def _as_csv() -> str:
    lines = ["name,valid_from,value,legal_ref"]
    lines += [f'{name},{valid_from},{value},"{legal_ref}"' for name, valid_from, value, legal_ref in SEED]
    return "\n".join(lines) + "\n"


def forward(apps, schema_editor):
    feed_batch = apps.get_model("feeds", "FeedBatch")
    parameter_value = apps.get_model("eligibility", "ParameterValue")
    content = _as_csv().encode()
    batch = feed_batch.objects.create(
        feed="parameters",
        sender=None,
        as_of=SEED_AS_OF,
        file_name=SEED_FILE,
        file_sha256=hashlib.sha256(content).hexdigest(),
        file_bytes=len(content),
        actor="system:seed",
        status="applied",
        rows=len(SEED),
        inserted=len(SEED),
        finished_at=timezone.now(),
    )
    starts: dict[str, list[date]] = {}
    for name, valid_from, _, _ in SEED:
        starts.setdefault(name, []).append(date.fromisoformat(valid_from))
    versions = []
    for name, valid_from, value, legal_ref in SEED:
        start = date.fromisoformat(valid_from)
        later = sorted(s for s in starts[name] if s > start)
        versions.append(
            parameter_value(
                name=name,
                valid_from=start,
                valid_to=later[0] - timedelta(days=1) if later else None,
                value=value,
                legal_ref=legal_ref,
                learned_in=batch,
            )
        )
    parameter_value.objects.bulk_create(versions)


def backward(apps, schema_editor):
    feed_batch = apps.get_model("feeds", "FeedBatch")
    parameter_value = apps.get_model("eligibility", "ParameterValue")
    seeds = feed_batch.objects.filter(feed="parameters", file_name=SEED_FILE)
    parameter_value.objects.filter(learned_in__in=seeds).delete()
    seeds.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("eligibility", "0001_initial"),
    ]
    operations = [migrations.RunPython(forward, backward)]
