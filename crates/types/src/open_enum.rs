//! `open_enum!`: string enums that accept values they do not know yet.
//!
//! HighLevel adds statuses, channels and cardinalities without notice. An open enum decodes
//! every documented value into a named variant and anything else into `Other(String)`, so a new
//! value never fails a delivery, and serializes back to the exact string it came from.

/// Declares an open string enum with an `Other(String)` fallback: `open_enum! { pub enum
/// Colour { Red => "RED", Blue => "BLUE" } }` gives `Colour::from("RED") == Colour::Red`,
/// `Colour::from("TEAL") == Colour::Other("TEAL".into())`, `as_str()`, `KNOWN` and the serde
/// impls. Internal to this crate: the enums it declares are the API, not the macro.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        ///
        /// Non-exhaustive: HighLevel adds values, and the SDK names them in minor releases
        /// (until then they decode as `Other`).
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the SDK does not know; kept verbatim.
            Other(::std::string::String),
        }

        #[allow(unreachable_pub)] // the enum may be private (the macro's own tests)
        impl $name {
            /// Every documented value, in declaration order.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];

            /// The wire string of this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Other(other) => other.as_str(),
                }
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $wire => Self::$variant, )+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    $( $wire => Self::$variant, )+
                    _ => Self::Other(value),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                struct Visitor;
                impl<'de> $crate::__private::serde::de::Visitor<'de> for Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " string"))
                    }
                    fn visit_str<E>(self, v: &str) -> ::std::result::Result<$name, E> {
                        Ok($name::from(v))
                    }
                    fn visit_string<E>(self, v: ::std::string::String) -> ::std::result::Result<$name, E> {
                        Ok($name::from(v))
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    };
}
pub(crate) use open_enum;

#[cfg(test)]
mod tests {
    open_enum! {
        /// Test enum.
        pub(super) enum Sample {
            /// A.
            A => "A_VALUE",
            /// B.
            B => "B_VALUE",
        }
    }

    #[test]
    fn known_values_decode_to_their_variant_and_back() {
        let v: Sample = serde_json::from_str("\"A_VALUE\"").expect("decodes");
        assert_eq!(v, Sample::A);
        assert_ne!(v, Sample::B);
        assert_eq!(Sample::KNOWN, &["A_VALUE", "B_VALUE"]);
        assert_eq!(serde_json::to_string(&v).expect("encodes"), "\"A_VALUE\"");
    }

    #[test]
    fn unknown_values_are_kept_verbatim() {
        let v: Sample = serde_json::from_str("\"NEW_THING\"").expect("decodes");
        assert_eq!(v, Sample::Other("NEW_THING".into()));
        assert_eq!(serde_json::to_string(&v).expect("encodes"), "\"NEW_THING\"");
    }

    #[test]
    fn non_strings_are_an_error() {
        assert!(serde_json::from_str::<Sample>("12").is_err());
        assert!(serde_json::from_str::<Sample>("null").is_err());
    }
}
