"""The month endpoints in the OpenAPI schema: each operation, its parameters, its answers (errors
included), and the row components match the rows the views write."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from eligibility.api.views import (
    AdjustmentsListApi,
    EligibleAddressesListApi,
    EligibleContractsListApi,
    EligibleObjectsListApi,
)

MONTHS = "/api/v1/months/{month}/"
LISTS = ["eligible-contracts/", "adjustments/", "eligible-objects/", "eligible-addresses/"]
VERSIONED = {"eligible-contracts/", "adjustments/"}  # the traders' lists take ``?version=N``
POSTS = ["applied/", "claims/"]


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def component(schema: dict, ref: str) -> dict:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


@pytest.mark.parametrize("path", LISTS)
def test_each_list_is_described_with_its_errors(schema, path):
    operation = schema["paths"][MONTHS + path]["get"]

    assert set(operation["responses"]) == {"200", "304", "400", "401", "403", "404", "410", "429"}
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    params = {p["name"]: p["in"] for p in operation["parameters"]}
    versions = {"version": "query"} if path in VERSIONED else {}
    assert params == {
        "month": "path",
        "cursor": "query",
        "page_size": "query",
        "format": "query",
        "If-None-Match": "header",
        **versions,
    }
    error = component(schema, operation["responses"]["404"]["content"]["application/json"]["schema"]["$ref"])
    assert set(error["properties"]) == {"error"}


def test_the_version_is_described_where_the_view_takes_it(schema):
    views = {
        "eligible-contracts/": EligibleContractsListApi,
        "adjustments/": AdjustmentsListApi,
        "eligible-objects/": EligibleObjectsListApi,
        "eligible-addresses/": EligibleAddressesListApi,
    }
    for path, view in views.items():
        parameters = {p["name"]: p for p in schema["paths"][MONTHS + path]["get"]["parameters"]}
        assert view.offers_versions == (path in VERSIONED) == ("version" in parameters)
    version = schema["paths"][MONTHS + "adjustments/"]["get"]["parameters"]
    assert next(p for p in version if p["name"] == "version")["schema"] == {"type": "integer", "minimum": 1}


def test_the_list_rows_are_the_views_rows(schema):
    rows = {
        "EligibleContract": {
            "contract_no",
            "sub_user_code",
            "amount_eur",
            "balance_eur",
            "categories",
            "version",
        },
        "Adjustment": {
            "contract_no",
            "sub_user_code",
            "previous_amount_eur",
            "amount_eur",
            "delta_eur",
            "version",
            "previous_version",
        },
        "EligibleObject": {"object_code", "resource", "address_code", "version"},
        "EligibleAddress": {"address_code", "resource", "full_address", "version"},
    }
    for name, fields in rows.items():
        assert set(schema["components"]["schemas"][name]["properties"]) == fields
        assert set(schema["components"]["schemas"][f"{name}Page"]["properties"]) == {"next", "results"}


@pytest.mark.parametrize("path", POSTS)
def test_each_submission_is_described_with_its_errors(schema, path):
    operation = schema["paths"][MONTHS + path]["post"]

    assert {"200", "201", "400", "401", "403", "404", "413", "415", "422", "429"} <= set(
        operation["responses"]
    )
    assert {p["name"] for p in operation["parameters"]} == {"month", "Idempotency-Key"}


def test_applied_takes_json_or_csv(schema):
    content = schema["paths"][MONTHS + "applied/"]["post"]["requestBody"]["content"]

    assert set(content) == {"application/json", "text/csv"}
    assert content["application/json"]["schema"]["type"] == "array"


def test_claims_take_either_shape(schema):
    body = schema["paths"][MONTHS + "claims/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    claim = component(schema, body["$ref"])

    assert {one["$ref"].rsplit("/", 1)[1] for one in claim["oneOf"]} == {
        "EnergyCompanyClaimRequest",
        "MunicipalityClaimRequest",
    }
