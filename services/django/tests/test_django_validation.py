"""The input rules of CONTRACT.md, as pure functions."""

import json

import pytest
from bench.validation import Invalid, bounded_int, fib_n, idempotency_key, new_device, users_query


def body(**fields) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.parametrize("mac", ["EF-2B-C4-F5-D6-34", "ef:2b:c4:f5:d6:34", "00-00-00-00-00-00"])
def test_valid_macs(mac):
    assert new_device(body(mac=mac, firmware="1.0", other=1)) == (mac, "1.0")


@pytest.mark.parametrize(
    "mac",
    [
        "EF-2B-C4-F5-D6",
        "EF-2B-C4:F5-D6-34",
        "EF2BC4F5D634",
        "GG-2B-C4-F5-D6-34",
        "EF-2B-C4-F5-D6-34\n",
        " EF-2B-C4-F5-D6-34",
        "EF.2B.C4.F5.D6.34",
        None,
        42,
        ["EF"],
    ],
)
def test_invalid_macs(mac):
    with pytest.raises(Invalid):
        new_device(body(mac=mac, firmware="1.0"))


@pytest.mark.parametrize("firmware", ["x", "é" * 255])
def test_firmware_length_bounds(firmware):
    assert new_device(body(mac="EF-2B-C4-F5-D6-34", firmware=firmware))[1] == firmware


@pytest.mark.parametrize("firmware", ["", "x" * 256, None, 1, True])
def test_invalid_firmware(firmware):
    with pytest.raises(Invalid):
        new_device(body(mac="EF-2B-C4-F5-D6-34", firmware=firmware))


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"[]",
        b'"x"',
        b"null",
        b"\xff\xfe",
        b"{}",
        b'{"mac": "EF-2B-C4-F5-D6-34"}',
        b"[" * 100_000,
        '{"mac": "EF-2B-C4-F5-D6-34", "firmware": "1.0"}'.encode("utf-16"),
        b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "\\ud800"}',  # escaped lone surrogate
        b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "\xed\xa0\x80"}',  # raw surrogate bytes
        b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "1.0", "x": "\\udfff"}',
        b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "\xff"}',
        b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "a\\u0000b"}',  # NUL: PostgreSQL refuses it
    ],
)
def test_bodies_that_are_not_a_device(raw):
    with pytest.raises(Invalid):
        new_device(raw)


def test_surrogate_pair_is_one_character():
    raw = b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "\\ud83d\\ude00"}'
    assert new_device(raw)[1] == "\N{GRINNING FACE}"


def test_users_defaults_and_bounds():
    assert users_query({}) == (100, 0)
    assert users_query({"limit": "1", "after": "2147483647"}) == (1, 2147483647)


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "abc"},
        {"limit": ""},
        {"limit": "1.5"},
        {"after": "-1"},
        {"after": "2147483648"},
        {"after": "9" * 5000},
        {"after": "١"},
        {"limit": "+5"},
        {"limit": " 5"},
        {"limit": "5 "},
        {"limit": "5\n"},
        {"limit": "1_0"},
        {"limit": "5.0"},
        {"after": "00000000001"},  # 11 digits, even though the value is in range
    ],
)
def test_users_invalid(params):
    with pytest.raises(Invalid):
        users_query(params)


def test_fib_range():
    assert fib_n("0") == 0 and fib_n("35") == 35
    assert fib_n("0000000035") == 35  # 10 digits is still a number
    for text in ["-1", "36", "abc", "1.0", "", "1e3", "+5", " 5", "1_0", "٣", "-0"]:
        with pytest.raises(Invalid):
            fib_n(text)


def test_bounded_int_without_default_requires_a_value():
    with pytest.raises(Invalid):
        bounded_int("n", None, 0, 1)


def test_idempotency_key_is_optional():
    assert idempotency_key(None) is None
    assert idempotency_key("a,b;c\\d") == "a,b;c\\d"


@pytest.mark.parametrize("key", ["", "k" * 256, "a b", "a\tb", "a\nb", "clé", "\x7f"])
def test_invalid_idempotency_keys(key):
    with pytest.raises(Invalid):
        idempotency_key(key)
