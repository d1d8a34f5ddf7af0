"""contract/openapi.yaml says what CONTRACT.md says, checked against the contract suite's own
examples (tests/contract/test_contract.py): the two cannot drift apart unnoticed.

No service is started: this is a test of the document (and of the schemathesis settings).
"""

from __future__ import annotations

import inspect
import json
import re
import tomllib
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import schemathesis
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.contract import test_contract as suite
from tests.contract import test_outcomes as outcomes

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "contract" / "openapi.yaml"
SPEC = yaml.safe_load(SPEC_PATH.read_text())
SCHEMATHESIS_CONFIG = tomllib.loads((Path(__file__).parent / "schemathesis.toml").read_text())
SPEC_URI = "urn:webstack-bench:openapi"
REGISTRY = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(SPEC))
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


# --- helpers -----------------------------------------------------------------------------

def schema_at(*parts: str) -> Draft202012Validator:
    """A validator for the schema at a location in the spec; its "#/components/..." refs
    resolve against the spec itself."""
    pointer = "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)
    return Draft202012Validator({"$ref": f"{SPEC_URI}#/{pointer}"}, registry=REGISTRY)


def component(name: str) -> Draft202012Validator:
    return schema_at("components", "schemas", name)


def response_schema(path: str, method: str, status: str) -> Draft202012Validator:
    response = SPEC["paths"][path][method]["responses"][status]
    if "$ref" in response:  # "#/components/responses/X"
        return schema_at(*response["$ref"][2:].split("/"), "content", "application/json", "schema")
    media = next(iter(response["content"]))
    return schema_at("paths", path, method, "responses", status, "content", media, "schema")


def parameter(path: str, method: str, name: str) -> dict:
    return next(p for p in SPEC["paths"][path][method]["parameters"] if p["name"] == name)


def parameter_ok(path: str, method: str, name: str, raw: str) -> bool:
    """Whether a raw query/path value satisfies the parameter's schema, read as a client would
    send it: decimal digits (with an optional minus) are an integer, anything else a string."""
    value: object = int(raw) if re.fullmatch(r"-?\d+", raw) else raw
    return Draft202012Validator(parameter(path, method, name)["schema"]).is_valid(value)


def template_of(concrete: str) -> str | None:
    """The spec path that a concrete path falls under, or None (an unknown path)."""
    for template in SPEC["paths"]:
        if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), concrete):
            return template
    return None


def marks(test) -> list[tuple]:
    """The argument values of a suite test's @pytest.mark.parametrize."""
    (mark,) = [m for m in test.pytestmark if m.name == "parametrize"]
    return [v if isinstance(v, tuple) else (v,) for v in mark.args[1]]


def suite_calls() -> set[tuple[str, str]]:
    """(method, path template) of every request the contract suite writes out literally."""
    source = inspect.getsource(suite)
    calls = set()
    for method, path in re.findall(r'\.(get|post)\(\s*f?"(?:\{[^}]*base_url\})?(/[^"?]*)', source):
        template = template_of(re.sub(r"\{[^}]+\}", "1", path))
        assert template, f"the suite calls {method.upper()} {path}, which the spec does not have"
        calls.add((method, template))
    for method, path in re.findall(r'\("(GET|POST)", "(/[^"]*)", ', source):  # loops over requests
        calls.add((method.lower(), template_of(path)))
    return calls


def spec_operations() -> set[tuple[str, str]]:
    return {(m, p) for p, item in SPEC["paths"].items() for m in item if m in METHODS}


# --- the document itself -------------------------------------------------------------------

def test_schemathesis_loads_every_operation():
    schema = schemathesis.openapi.from_path(str(SPEC_PATH))
    labels = {result.ok().label for result in schema.get_all_operations()}  # .ok() raises on errors
    assert labels == {f"{m.upper()} {p}" for m, p in spec_operations()}


def test_every_operation_the_suite_calls_is_in_the_spec_and_nothing_else():
    assert suite_calls() == spec_operations()


@pytest.mark.parametrize("path", [p for (p,) in marks(suite.test_unknown_path_is_404)])
def test_unknown_paths_of_the_suite_are_not_in_the_spec(path):
    assert template_of(path) is None


@pytest.mark.parametrize(("method", "path"), marks(suite.test_wrong_method_is_405))
def test_wrong_methods_of_the_suite_are_not_in_the_spec(method, path):
    template = template_of(path)
    assert template, f"{path} must be a known path for a 405"
    assert method.lower() not in SPEC["paths"][template]


def resolved(validator: Draft202012Validator) -> dict:
    """The schema a validator's top-level $ref chain ends at."""
    schema, resolver = validator.schema, REGISTRY.resolver()
    while "$ref" in schema:
        found = resolver.lookup(schema["$ref"])
        schema, resolver = found.contents, found.resolver
    return schema


def test_every_error_response_is_json_with_a_detail():
    for method, path in spec_operations():
        for status in SPEC["paths"][path][method]["responses"]:
            if status.startswith(("4", "5")):
                errors = resolved(response_schema(path, method, status))
                assert "detail" in errors["required"], (method, path, status)
                assert errors["type"] == "object", (method, path, status)
    for name in ("NotFound", "MethodNotAllowed"):
        assert SPEC["components"]["responses"][name]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"}


def test_dependency_codes_are_where_the_contract_puts_them():
    codes = {(m, p): {s for s in SPEC["paths"][p][m]["responses"] if s.startswith("5")}
             for m, p in spec_operations()}
    assert codes == {
        ("get", "/api/devices"): set(), ("post", "/api/devices"): {"503", "504"},
        ("get", "/api/users"): {"503"}, ("get", "/api/fib/{n}"): set(),
        ("get", "/api/fetch-external"): {"502", "504"}, ("post", "/api/io-mix"): {"503"},
        ("get", "/livez"): set(), ("get", "/healthz"): {"503"}, ("get", "/metrics"): set(),
    }


def test_schemathesis_allows_5xx_only_where_the_spec_documents_them():
    """tests/hostile/schemathesis.toml lets not_a_server_error pass exactly the documented codes."""
    default = SCHEMATHESIS_CONFIG["checks"]["not_a_server_error"]["expected-statuses"]
    assert not [s for s in default if s.startswith("5")]
    overridden = {}
    for op in SCHEMATHESIS_CONFIG["operations"]:
        path = op["include-path"]
        methods = [op["include-method"].lower()] if "include-method" in op else \
            [m for m in SPEC["paths"][path] if m in METHODS]
        statuses = op.get("checks", {}).get("not_a_server_error", {}).get("expected-statuses")
        for method in methods:
            assert (method, path) in spec_operations(), f"{method} {path} is not in the spec"
            if statuses is not None:
                overridden[(method, path)] = {s for s in statuses if s.startswith("5")}
    for method, path in spec_operations():
        documented = {s for s in SPEC["paths"][path][method]["responses"] if s.startswith("5")}
        assert overridden.get((method, path), set()) == documented, (method, path)


# --- 1. GET /api/devices ---------------------------------------------------------------------

def test_devices_list_is_exactly_the_suites():
    listing = response_schema("/api/devices", "get", "200")
    assert listing.is_valid(suite.DEVICES)
    assert not listing.is_valid(suite.DEVICES[:2])
    assert not listing.is_valid(list(reversed(suite.DEVICES)))
    assert not listing.is_valid([{**suite.DEVICES[0], "extra": 1}, *suite.DEVICES[1:]])
    for device in suite.DEVICES:
        assert component("Device").is_valid(device)


# --- 2. POST /api/devices ----------------------------------------------------------------

def created(body: dict) -> dict:
    """The 201 answer to a body: mac and firmware as sent, other fields ignored."""
    return {"id": 7, "uuid": "c49b4c0f-1792-4a28-9fc3-6e971282033a", "mac": body["mac"],
            "firmware": body["firmware"],
            "created_at": "2026-01-02T03:04:05.678Z", "updated_at": "2026-01-02T03:04:05.678Z"}


VALID_BODIES = {
    "new_device()": suite.new_device(),
    "255 chars and an extra field": {"mac": "EF-2B-C4-F5-D6-34", "firmware": "é" * 255, "extra": [1]},
    **{f"mac {mac}": suite.new_device(mac) for (mac,) in marks(suite.test_create_device_accepts_valid_macs)},
}


@pytest.mark.parametrize("name", VALID_BODIES)
def test_valid_bodies_of_the_suite_validate(name):
    body = VALID_BODIES[name]
    assert component("NewDevice").is_valid(body)
    assert response_schema("/api/devices", "post", "201").is_valid(created(body))


@pytest.mark.parametrize("name", suite.INVALID_BODIES)
def test_invalid_bodies_of_the_suite_do_not_validate(name):
    try:
        body = json.loads(suite.INVALID_BODIES[name])
    except json.JSONDecodeError:
        return  # not JSON at all: no schema can accept it
    assert not component("NewDevice").is_valid(body)


def test_mac_pattern_is_strict_about_a_final_newline():
    """Python reads "$" as "end, or before a final newline"; the length bound closes that door."""
    assert not component("Mac").is_valid("EF-2B-C4-F5-D6-34\n")


def test_created_device_schema_is_strict():
    good = created(suite.new_device())
    device = response_schema("/api/devices", "post", "201")
    assert not device.is_valid({**good, "created_at": "2026-01-02T03:04:05Z"})  # no milliseconds
    assert not device.is_valid({**good, "extra": 1})
    assert not device.is_valid({k: v for k, v in good.items() if k != "updated_at"})


def test_body_limit_is_the_suites():
    body = SPEC["paths"]["/api/devices"]["post"]["requestBody"]
    assert body["x-max-body-bytes"] == 65536
    assert suite.BODY_LIMIT == 65536
    assert suite.BODY_LIMIT + 1 in [size for (size,) in marks(suite.test_create_device_rejects_large_body)]


@pytest.mark.parametrize(("key",), marks(outcomes.test_valid_keys_are_accepted))
def test_valid_idempotency_keys_of_the_suite_validate(key):
    assert parameter_ok("/api/devices", "post", "Idempotency-Key", key)


@pytest.mark.parametrize("name", outcomes.INVALID_KEYS)
def test_invalid_idempotency_keys_of_the_suite_do_not_validate(name):
    # A header's bytes as a server reads them: ISO-8859-1, one character per byte.
    assert not parameter_ok("/api/devices", "post", "Idempotency-Key", outcomes.INVALID_KEYS[name].decode("latin-1"))


def test_outcome_unknown_is_the_suites():
    unknown = response_schema("/api/devices", "post", "504")
    assert unknown.is_valid({"detail": outcomes.OUTCOME_UNKNOWN})
    assert not unknown.is_valid({"detail": "postgres unavailable"})
    assert response_schema("/api/devices", "post", "503").is_valid({"detail": "postgres unavailable"})


# --- 3. GET /api/users -------------------------------------------------------------------

@pytest.mark.parametrize(("query", "ids"), marks(suite.test_users_paging))
def test_users_paging_queries_of_the_suite_validate(query, ids):
    for name, raw in parse_qsl(query, keep_blank_values=True):
        assert parameter_ok("/api/users", "get", name, raw), f"{name}={raw}"
    assert response_schema("/api/users", "get", "200").is_valid([suite.user(i) for i in ids])


@pytest.mark.parametrize(("query",), marks(suite.test_users_rejects_bad_params))
def test_users_bad_queries_of_the_suite_do_not_validate(query):
    ((name, raw),) = parse_qsl(query, keep_blank_values=True)
    assert not parameter_ok("/api/users", "get", name, raw), f"{name}={raw}"


def test_users_defaults_and_bounds():
    limit = parameter("/api/users", "get", "limit")["schema"]
    after = parameter("/api/users", "get", "after")["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 100, 100)
    assert (after["minimum"], after["maximum"], after["default"]) == (0, 2**31 - 1, 0)
    # The suite's default page is users 1..100: limit 100 after 0.
    assert list(suite.DEFAULT_PAGE) == list(range(1, after["default"] + limit["default"] + 1))
    page = response_schema("/api/users", "get", "200")
    assert page.is_valid([suite.user(i) for i in (1, 1440, 2000)])
    assert not page.is_valid([suite.user(i) for i in range(1, 102)])


# --- 4. GET /api/fib/{n} -------------------------------------------------------------------

@pytest.mark.parametrize(("n", "value"), [*marks(suite.test_fib_values), (35, 9227465)])
def test_fib_values_of_the_suite_validate(n, value):
    assert parameter_ok("/api/fib/{n}", "get", "n", str(n))
    assert response_schema("/api/fib/{n}", "get", "200").is_valid({"n": n, "fibonacci": value})


@pytest.mark.parametrize(("n",), marks(suite.test_fib_rejects_bad_n))
def test_fib_bad_n_of_the_suite_does_not_validate(n):
    assert not parameter_ok("/api/fib/{n}", "get", "n", n)


def test_fib_bounds():
    n = parameter("/api/fib/{n}", "get", "n")["schema"]
    assert (n["type"], n["minimum"], n["maximum"]) == ("integer", 0, 35)


# --- 5..8 ----------------------------------------------------------------------------------

def test_fetch_external_relays_any_json():
    relay = response_schema("/api/fetch-external", "get", "200")
    assert relay.is_valid({"message": "External service response"})


def test_io_mix_counts_are_the_suites():
    counts = response_schema("/api/io-mix", "post", "200")
    assert counts.is_valid(suite.IO_MIX)
    for key in suite.IO_MIX:
        assert not counts.is_valid({**suite.IO_MIX, key: suite.IO_MIX[key] + 1}), key
    assert "requestBody" not in SPEC["paths"]["/api/io-mix"]["post"]  # the body is ignored


def test_healthz_bodies():
    assert response_schema("/healthz", "get", "200").is_valid({"status": "ok"})
    down = response_schema("/healthz", "get", "503")
    assert down.is_valid({"status": "unavailable", "detail": "memcached: refused", "down": ["memcached"]})
    assert not down.is_valid({"status": "unavailable", "detail": "x", "down": ["redis"]})
    assert not down.is_valid({"status": "unavailable", "down": ["mysql"]})


def test_livez_body():
    live = response_schema("/livez", "get", "200")
    assert live.is_valid({"status": "ok"})
    assert not live.is_valid({"status": "unavailable"})
    assert not live.is_valid({"status": "ok", "down": []})


def test_metrics_is_prometheus_text():
    assert set(SPEC["paths"]["/metrics"]["get"]["responses"]["200"]["content"]) == {"text/plain"}
