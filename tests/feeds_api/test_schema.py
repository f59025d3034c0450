"""The feed endpoint in the OpenAPI schema: parameters, CSV body, every answer with its error shape."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from aldis.feeds.registry import feed_specs


@pytest.fixture(scope="module")
def operation() -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {"schema": schema, **schema["paths"]["/api/v1/feeds/{feed}/"]["post"]}


def test_parameters(operation):
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["feed"]["in"] == "path"
    assert params["feed"]["schema"]["enum"] == sorted(n for n, s in feed_specs().items() if s.sender_kinds)
    assert "organisations" not in params["feed"]["schema"]["enum"]
    assert params["as_of"]["in"] == "query"
    assert params["as_of"]["required"] is True
    assert params["as_of"]["schema"] == {"type": "string", "format": "date"}


def test_request_body_is_a_binary_csv(operation):
    content = operation["requestBody"]["content"]
    assert content["text/csv"]["schema"] == {"type": "string", "format": "binary"}
    assert set(content) == {"text/csv", "application/octet-stream"}


def test_every_answer_is_described(operation):
    responses = operation["responses"]
    assert set(responses) == {"201", "400", "401", "403", "404", "411", "413", "415"}

    def ref(status: str) -> str:
        return responses[status]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]

    components = operation["schema"]["components"]["schemas"]
    applied, repeat = (one["$ref"].rsplit("/", 1)[1] for one in components[ref("201")]["oneOf"])
    assert set(components[applied]["properties"]) == {
        "batch", "feed", "as_of", "status", "rows", "inserted", "changed", "ended", "unchanged",
    }  # fmt: skip
    assert "repeat_of" in components[repeat]["properties"]
    for status in ("401", "403", "404", "411", "413", "415"):
        error = components[ref(status)]
        assert set(error["properties"]) == {"error"}
    bad_request = components[ref("400")]
    assert {one["$ref"].rsplit("/", 1)[1] for one in bad_request["oneOf"]} == {
        "FeedRejectedError",
        "FeedInvalidError",
    }
