//! Deserializers for the places where HighLevel's payloads drift from its docs.
//!
//! Used with `#[serde(deserialize_with = "...")]` on single fields; each says which drift it
//! absorbs. Serialization always writes the canonical (documented) form, so a decoded event
//! serializes to something every deserializer here reads back to an equal value.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// A list that may also arrive as `null` or be absent: both become an empty list.
/// Pair with `#[serde(default)]`.
pub fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// A value documented as one string but seen as a list of strings in other doc versions (or
/// the reverse): e-mail `to`, ProviderOutboundMessage `emailTo`.
///
/// Decodes a string, a list of strings, or `null`/absent (empty); always serializes as a list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct OneOrMany(pub Vec<String>);

impl OneOrMany {
    /// The values, in order.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// The first value, if any.
    pub fn first(&self) -> Option<&str> {
        self.0.first().map(String::as_str)
    }
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_owned()]))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v]))
            }
            fn visit_unit<E: de::Error>(self) -> Result<OneOrMany, E> {
                Ok(OneOrMany::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<OneOrMany, E> {
                Ok(OneOrMany::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<OneOrMany, D::Error> {
                d.deserialize_any(V)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(item) = seq.next_element::<String>()? {
                    out.push(item);
                }
                Ok(OneOrMany(out))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A number that the docs show both as a JSON number and as a string (`"12.5"`).
///
/// Decodes either; serializes as a number. A string that is not a number is an error that
/// names the field, not a silent zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Number(pub f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a string holding a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
                v.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .map(Number)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl From<f64> for Number {
    fn from(v: f64) -> Self {
        Number(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Lists {
        #[serde(default, deserialize_with = "null_as_empty")]
        tags: Vec<String>,
        #[serde(default)]
        to: OneOrMany,
        amount: Option<Number>,
    }

    #[test]
    fn lists_accept_absent_null_and_values() {
        let a: Lists = serde_json::from_str(r#"{}"#).expect("absent");
        let b: Lists = serde_json::from_str(r#"{"tags":null,"to":null}"#).expect("null");
        assert_eq!(a, b);
        assert!(a.tags.is_empty() && a.to.0.is_empty());
        let c: Lists = serde_json::from_str(r#"{"tags":["x"]}"#).expect("values");
        assert_eq!(c.tags, vec!["x".to_owned()]);
    }

    #[test]
    fn one_or_many_reads_a_string_or_a_list() {
        let a: Lists = serde_json::from_str(r#"{"to":"a@x.io"}"#).expect("string");
        let b: Lists = serde_json::from_str(r#"{"to":["a@x.io"]}"#).expect("list");
        assert_eq!(a.to, b.to);
        assert_eq!(a.to.first(), Some("a@x.io"));
        assert!(serde_json::from_str::<Lists>(r#"{"to":7}"#).is_err());
        assert!(serde_json::from_str::<Lists>(r#"{"to":[7]}"#).is_err());
    }

    #[test]
    fn number_reads_numbers_and_numeric_strings_only() {
        let a: Lists = serde_json::from_str(r#"{"amount":"12.5"}"#).expect("string");
        let b: Lists = serde_json::from_str(r#"{"amount":12.5}"#).expect("number");
        assert_eq!(a.amount, b.amount);
        assert!(serde_json::from_str::<Lists>(r#"{"amount":"twelve"}"#).is_err());
        assert!(serde_json::from_str::<Lists>(r#"{"amount":"NaN"}"#).is_err());
        let n: Lists = serde_json::from_str(r#"{"amount":null}"#).expect("null");
        assert_eq!(n.amount, None);
    }
}
