//! The contract's integers in paths and query strings: plain decimal digits, `^[0-9]+$`.
//!
//! Rust's own `u32::from_str` accepts `+5`, so `n`, `limit` and `after` are parsed here
//! instead, in one place, before their range checks.

use std::fmt;

use serde::{Deserialize, Deserializer, de};

/// At most 10 digits reach the range check: every range of the contract fits, and so does
/// `u64` for any 10-digit value.
const MAX_DIGITS: usize = 10;

/// A path segment or query value that was plain decimal digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal(pub u64);

/// `Some` for 1 to [`MAX_DIGITS`] ASCII digits and nothing else: no sign, space, `_`, `.`,
/// exponent or non-ASCII digit.
pub fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > MAX_DIGITS || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(DecimalVisitor)
    }
}

struct DecimalVisitor;

impl de::Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "1 to {MAX_DIGITS} decimal digits")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Decimal, E> {
        parse_decimal(text)
            .map(Decimal)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(text), &self))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_decimal;

    #[test]
    fn plain_digits_parse() {
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(parse_decimal("05"), Some(5));
        assert_eq!(parse_decimal("35"), Some(35));
        assert_eq!(parse_decimal("9999999999"), Some(9_999_999_999));
    }

    #[test]
    fn anything_else_is_refused() {
        for text in [
            "",
            "+5",
            "-5",
            "-0",
            " 5",
            "5 ",
            "5.0",
            "1_0",
            "1e2",
            "0x10",
            "\u{663}",
            "5\0",
            "Infinity",
            "NaN",
            "99999999999",
        ] {
            assert_eq!(parse_decimal(text), None, "{text:?} accepted");
        }
    }
}
