"""The parties' own feeds: contracts and sub-users (traders), connection objects (operators)."""

from aldis.feeds.spec import Check, Column, FeedSpec, Reference, T
from households.feeds import ADDRESS_EXISTS

VALID_FROM = Column("valid_from", T.DATE, required=True)
VALID_TO = Column("valid_to", T.DATE)

CONTRACTS = FeedSpec(
    name="contracts",
    kind="snapshot",
    columns=(
        Column("contract_no", T.TEXT, required=True, max_length=64),
        Column("holder_code", T.PARTY_CODE, required=True),
        Column("address_code", T.ADDRESS_CODE, required=True),
        Column("object_code", T.TEXT, max_length=64),
        Column("kind", T.ENUM, required=True, choices=("household", "building")),
        VALID_FROM,
        VALID_TO,
    ),
    key=("contract_no",),
    model="traders.Contract",
    mapping=lambda ctx: {
        "contract_no": ctx.value("contract_no"),
        "holder_code": ctx.value("holder_code"),
        "holder_id": ctx.person("holder_code"),
        "address_id": ctx.address("address_code"),
        "object_code": ctx.value("object_code"),
        "kind": ctx.value("kind"),
        "valid_from": ctx.value("valid_from"),
        "valid_to": ctx.value("valid_to"),
    },
    target_key=("trader_id", "contract_no"),
    sent_by="a trader",
    sender_kinds=("trader",),
    sender_field="trader_id",
    person_columns=("holder_code",),
    references=(ADDRESS_EXISTS,),
)

SUB_USERS = FeedSpec(
    name="sub_users",
    kind="snapshot",
    columns=(
        Column("personal_code", T.PERSONAL_CODE, required=True),
        Column("contract_no", T.TEXT, required=True, max_length=64),
        Column("address_code", T.ADDRESS_CODE, required=True),
        Column("applied_on", T.DATE, required=True),
        VALID_TO,
    ),
    key=("personal_code", "contract_no"),
    model="traders.SubUser",
    mapping=lambda ctx: {
        "person_id": ctx.person("personal_code"),
        "contract_no": ctx.value("contract_no"),
        "address_id": ctx.address("address_code"),
        "valid_from": ctx.value("applied_on"),
        "valid_to": ctx.value("valid_to"),
    },
    target_key=("trader_id", "person_id", "contract_no"),
    sent_by="a trader",
    sender_kinds=("trader",),
    sender_field="trader_id",
    person_columns=("personal_code",),
    checks=(
        Check(
            "valid_to",
            "CASE WHEN aldis_chk_date(n.applied_on) IS NULL AND aldis_chk_date(n.valid_to) IS NULL "
            "AND n.valid_to < n.applied_on THEN 'is before applied_on' END",
        ),
    ),
    reads=("traders.Contract",),
    references=(
        ADDRESS_EXISTS,
        Reference(
            "contract_no",
            "EXISTS (SELECT 1 FROM traders_contract c WHERE c.trader_id = %(sender)s "
            "AND c.contract_no = n.contract_no AND c.superseded_in_id IS NULL)",
            "no such contract of yours (send your contracts first)",
        ),
    ),
)

_RESOURCE_OF_KIND = {"electricity_dso": "electricity", "gas_dso": "gas", "heat_supplier": "heat"}

CONNECTIONS = FeedSpec(
    name="connections",
    kind="snapshot",
    columns=(
        Column("object_code", T.TEXT, required=True, max_length=64),
        Column("resource", T.ENUM, required=True, choices=("electricity", "gas", "heat")),
        Column("address_code", T.ADDRESS_CODE, required=True),
        Column("supplier_code", T.ORG_CODE),
        VALID_FROM,
        VALID_TO,
    ),
    key=("object_code",),
    model="traders.Connection",
    mapping=lambda ctx: {
        "object_code": ctx.value("object_code"),
        "resource": ctx.value("resource"),
        "address_id": ctx.address("address_code"),
        "supplier_id": ctx.organisation("supplier_code"),
        "valid_from": ctx.value("valid_from"),
        "valid_to": ctx.value("valid_to"),
    },
    target_key=("operator_id", "object_code"),
    sent_by="a grid operator or heat supplier",
    sender_kinds=tuple(_RESOURCE_OF_KIND),
    sender_field="operator_id",
    checks=(
        Check("object_code", "CASE WHEN n.resource = 'electricity' THEN aldis_chk_eic(n.object_code) END"),
        Check(
            "supplier_code",
            "CASE WHEN n.resource = 'heat' AND n.supplier_code IS NOT NULL "
            "THEN 'must be empty for heat objects' END",
        ),
        Check(
            "resource",
            "CASE "
            + " ".join(
                f"WHEN %(sender_kind)s = '{kind}' AND n.resource <> '{resource}' "
                f"THEN 'a sender of kind {kind} sends {resource} objects only'"
                for kind, resource in _RESOURCE_OF_KIND.items()
            )
            + " END",
        ),
    ),
    references=(
        ADDRESS_EXISTS,
        Reference(
            "supplier_code",
            "EXISTS (SELECT 1 FROM organisations_organisation o WHERE o.code = n.supplier_code AND o.kind = 'trader')",
            "unknown supplier (no trader has this code)",
        ),
    ),
)

FEEDS = (CONTRACTS, SUB_USERS, CONNECTIONS)
