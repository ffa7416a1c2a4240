//! Kubernetes resource quantities (`500m`, `4Gi`, `1.5`, `2e3`), parsed without floating point.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A quantity as written in the spec, e.g. `"500m"`, `"8Gi"` or `2`. Use [`Quantity::parse`] to
/// get its value; validation reports quantities that do not parse.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Quantity(String);

/// Why a quantity does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// Not of the form `<number><suffix>`.
    #[error(
        "\"{0}\" is not a quantity (expected a number with an optional suffix such as m, Ki, Mi, Gi, k, M, G)"
    )]
    Syntax(String),
    /// Too large to represent.
    #[error("\"{0}\" is too large")]
    Overflow(String),
    /// Negative quantities are not accepted anywhere in a spec.
    #[error("\"{0}\" is negative")]
    Negative(String),
}

impl Quantity {
    /// A quantity from its text.
    #[must_use]
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value in thousandths of a unit (`500m` → 500, `1Ki` → 1,024,000).
    ///
    /// # Errors
    /// When the text is not a non-negative Kubernetes quantity.
    pub fn milli(&self) -> Result<i128, QuantityError> {
        parse_milli(&self.0)
    }

    /// The value in whole units, rounded down (`8Gi` → 8,589,934,592 bytes).
    ///
    /// # Errors
    /// As [`Quantity::milli`].
    pub fn units(&self) -> Result<i128, QuantityError> {
        self.milli().map(|m| m / 1000)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn parse_milli(text: &str) -> Result<i128, QuantityError> {
    let syntax = || QuantityError::Syntax(text.to_owned());
    let overflow = || QuantityError::Overflow(text.to_owned());
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let number_end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, suffix) = body.split_at(number_end);
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    if int_part.is_empty() && frac_part.is_empty() || frac_part.contains('.') {
        return Err(syntax());
    }
    let digits = format!("{int_part}{frac_part}");
    let mantissa: i128 = digits.parse().map_err(|_| {
        if digits.len() > 30 {
            overflow()
        } else {
            syntax()
        }
    })?;
    let frac_digits = u32::try_from(frac_part.len()).map_err(|_| overflow())?;
    let (binary_shift, decimal_exp): (u32, i32) = match suffix {
        "" => (0, 0),
        "Ki" => (10, 0),
        "Mi" => (20, 0),
        "Gi" => (30, 0),
        "Ti" => (40, 0),
        "Pi" => (50, 0),
        "Ei" => (60, 0),
        "n" => (0, -9),
        "u" => (0, -6),
        "m" => (0, -3),
        "k" => (0, 3),
        "M" => (0, 6),
        "G" => (0, 9),
        "T" => (0, 12),
        "P" => (0, 15),
        "E" => (0, 18),
        exp if exp.starts_with(['e', 'E']) => {
            let e: i32 = exp[1..].parse().map_err(|_| syntax())?;
            if e.abs() > 30 {
                return Err(overflow());
            }
            (0, e)
        }
        _ => return Err(syntax()),
    };
    if negative && mantissa != 0 {
        return Err(QuantityError::Negative(text.to_owned()));
    }
    // value = mantissa * 2^shift * 10^(decimal_exp + 3 - frac_digits), in thousandths.
    let shifted = mantissa
        .checked_mul(1i128 << binary_shift)
        .ok_or_else(overflow)?;
    let exp = decimal_exp + 3 - i32::try_from(frac_digits).map_err(|_| overflow())?;
    if exp >= 0 {
        let factor = 10i128
            .checked_pow(exp.unsigned_abs())
            .ok_or_else(overflow)?;
        shifted.checked_mul(factor).ok_or_else(overflow)
    } else {
        Ok(10i128
            .checked_pow(exp.unsigned_abs())
            .map_or(0, |divisor| shifted / divisor))
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Int(i64),
            Float(f64),
        }
        Ok(Self(match Raw::deserialize(deserializer)? {
            Raw::Text(s) => s,
            Raw::Int(i) => i.to_string(),
            Raw::Float(f) => f.to_string(),
        }))
    }
}

impl JsonSchema for Quantity {
    fn schema_name() -> Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A Kubernetes quantity: a number with an optional suffix, e.g. 500m, 2, 512Mi, 8Gi, 1.5G.",
            "type": ["string", "integer", "number"],
            "pattern": "^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn milli(text: &str) -> Result<i128, QuantityError> {
        Quantity::new(text).milli()
    }

    #[test]
    fn parses_binary_decimal_and_exponent_suffixes() {
        assert_eq!(milli("500m"), Ok(500));
        assert_eq!(milli("2"), Ok(2000));
        assert_eq!(milli("1Ki"), Ok(1_024_000));
        assert_eq!(milli("1.5Gi"), Ok(1_610_612_736_000));
        assert_eq!(milli("1G"), Ok(1_000_000_000_000));
        assert_eq!(milli("2e3"), Ok(2_000_000));
        assert_eq!(milli(".5"), Ok(500));
        assert_eq!(
            Quantity::new("1Gi").units(),
            Quantity::new("1024Mi").units()
        );
    }

    #[test]
    fn rejects_garbage_negatives_and_overflow() {
        assert!(matches!(milli("ten"), Err(QuantityError::Syntax(_))));
        assert!(matches!(milli("1GB"), Err(QuantityError::Syntax(_))));
        assert!(matches!(milli("1.2.3"), Err(QuantityError::Syntax(_))));
        assert!(matches!(milli("-1"), Err(QuantityError::Negative(_))));
        assert!(matches!(
            milli("999999999999999999999Ei"),
            Err(QuantityError::Overflow(_))
        ));
        assert!(matches!(milli("1e99"), Err(QuantityError::Overflow(_))));
    }
}
