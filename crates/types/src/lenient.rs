//! Deserializers for the places where HighLevel's payloads drift from its docs.
//!
//! Used with `#[serde(deserialize_with = "...")]` on single fields; each says which drift it
//! absorbs. Serialization always writes the canonical (documented) form, so a decoded event
//! serializes to something every deserializer here reads back to an equal value.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
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

/// A map of settings objects keyed by an open set (DND settings per channel) whose entries
/// that are not objects are **skipped**: `null`, strings, numbers, booleans and lists under an
/// unknown (or known) key read as if the key were absent, so that a channel HighLevel adds
/// with a value of another shape does not fail the whole event. Entries that are objects
/// decode as `V` by its own rules (unknown keys ignored; a known field of the wrong type is
/// still an error, with its path). The whole map may be `null` or absent (`None`).
/// Pair with `#[serde(default)]`.
pub fn object_entries<'de, D, K, V>(deserializer: D) -> Result<Option<BTreeMap<K, V>>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    Ok(Option::<ObjectEntries<K, V>>::deserialize(deserializer)?.map(|entries| entries.0))
}

/// The map read by [`object_entries`].
struct ObjectEntries<K, V>(BTreeMap<K, V>);

impl<'de, K, V> Deserialize<'de> for ObjectEntries<K, V>
where
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<K, V>(PhantomData<(K, V)>);
        impl<'de, K, V> Visitor<'de> for Entries<K, V>
        where
            K: Deserialize<'de> + Ord,
            V: Deserialize<'de>,
        {
            type Value = ObjectEntries<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of objects")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<K>()? {
                    if let IfObject(Some(value)) = map.next_value::<IfObject<V>>()? {
                        out.insert(key, value);
                    }
                }
                Ok(ObjectEntries(out))
            }
        }
        deserializer.deserialize_map(Entries(PhantomData))
    }
}

/// A `V` when the value is an object, `None` (the value consumed and dropped) otherwise.
/// Decodes the object through the same deserializer, so errors inside it keep their path.
struct IfObject<V>(Option<V>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for IfObject<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectOrSkip<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for ObjectOrSkip<V> {
            type Value = IfObject<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                V::deserialize(MapAccessDeserializer::new(map)).map(|v| IfObject(Some(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(IfObject(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                IfObject::deserialize(d)
            }
        }
        deserializer.deserialize_any(ObjectOrSkip(PhantomData))
    }
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

    #[derive(Debug, Deserialize, PartialEq)]
    struct Setting {
        status: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Settings {
        #[serde(default, deserialize_with = "object_entries")]
        per_channel: Option<BTreeMap<String, Setting>>,
    }

    #[test]
    fn map_entries_that_are_not_objects_are_skipped() {
        let body = r#"{"per_channel": {
            "SMS": {"status": "active", "new": [1]},
            "RCS": null, "X": "on", "Y": 3, "Z": -1.5, "B": true, "L": [{"status": "x"}, [2]],
            "E": {}
        }}"#;
        let settings: Settings = serde_json::from_str(body).expect("decodes");
        let map = settings.per_channel.expect("a map");
        assert_eq!(map.keys().collect::<Vec<_>>(), ["E", "SMS"]);
        assert_eq!(map["SMS"].status.as_deref(), Some("active"));
        assert_eq!(map["E"], Setting { status: None });

        let none: Settings = serde_json::from_str(r#"{"per_channel": null}"#).expect("null");
        assert_eq!(none.per_channel, None);
        let absent: Settings = serde_json::from_str("{}").expect("absent");
        assert_eq!(absent.per_channel, None);
    }

    #[test]
    fn map_entries_keep_the_path_of_an_error_inside_them() {
        let body = br#"{"per_channel": {"A": 1, "SMS": {"status": 5}}}"#;
        let mut de = serde_json::Deserializer::from_slice(body);
        let err = serde_path_to_error::deserialize::<_, Settings>(&mut de).expect_err("status");
        assert_eq!(err.path().to_string(), "per_channel.SMS.status");
        assert!(serde_json::from_str::<Settings>(r#"{"per_channel": [1]}"#).is_err());
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
