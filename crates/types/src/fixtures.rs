//! HighLevel's example payloads, shipped with the crate: one per event kind, and the other
//! documented shapes every release must decode.
//!
//! [`example`] is one realistic payload per kind: HighLevel's documented example where its
//! docs have one, otherwise written from the event's schema with realistic values. The CLI
//! sends them (`ghl-webhook trigger`), the SDK's tests decode them; use them in your own
//! handler tests. [`variants`] are the other examples of HighLevel's multi-example pages,
//! older published versions whose shape differs, and one real delivery copied from a
//! HighLevel webhook log: each decodes to its kind, except one page's example that is not
//! valid JSON (`UserUpdate--subaccount-invalid-trailing-comma`), kept to show it is rejected
//! cleanly.
//!
//! The payloads are compiled into the crate (about 0.3 MB of JSON); a binary that calls
//! neither function keeps none of it (the linker drops them).
//!
//! ```
//! use ghl_webhook_types::{Event, EventKind, fixtures};
//!
//! let text = fixtures::example(EventKind::ContactCreate);
//! let event = Event::decode(EventKind::ContactCreate, text.as_bytes())?;
//! assert_eq!(event.kind(), Some(EventKind::ContactCreate));
//! # Ok::<(), ghl_webhook_types::DecodeError>(())
//! ```

use crate::EventKind;

/// Defines [`example`] from the catalogue: a kind without its `fixtures/<Kind>.json` is a
/// compile error of this crate.
macro_rules! examples {
    ($types:tt; $( $kind:ident => $module:ident :: $ty:ident, [$($alias:literal),*], $by:ident; )+) => {
        /// The example payload of `kind` (JSON text, as HighLevel sends it, without the
        /// envelope fields HighLevel's docs leave out).
        pub fn example(kind: EventKind) -> &'static str {
            match kind {
                $(
                    EventKind::$kind => include_str!(concat!(
                        env!("CARGO_MANIFEST_DIR"),
                        "/fixtures/",
                        stringify!($kind),
                        ".json"
                    )),
                )+
            }
        }
    };
}
crate::with_catalogue!(examples);

/// Another documented shape of one event: its file name, the kind it is an example of and
/// its text (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Variant {
    /// `<Kind>--<what differs>`, the file name in the crate's `fixtures/variants/`.
    pub name: &'static str,
    /// The kind this payload is an example of (the page it was published on).
    pub kind: EventKind,
    /// The payload, byte for byte as published.
    pub text: &'static str,
}

impl Variant {
    /// Whether the published text is valid JSON (one published example is not).
    pub fn is_valid_json(&self) -> bool {
        self.name != INVALID_VARIANT
    }
}

/// The one published example that is not valid JSON (a trailing comma).
const INVALID_VARIANT: &str = "UserUpdate--subaccount-invalid-trailing-comma";

macro_rules! variants {
    ($( $kind:ident -- $rest:literal ),+ $(,)?) => {
        /// Every variant (the files of `fixtures/variants/`, whose `SOURCES.md` says where each
        /// was published and how it differs).
        pub fn variants() -> &'static [Variant] {
            const VARIANTS: &[Variant] = &[$(
                Variant {
                    name: concat!(stringify!($kind), "--", $rest),
                    kind: EventKind::$kind,
                    text: include_str!(concat!(
                        env!("CARGO_MANIFEST_DIR"),
                        "/fixtures/variants/",
                        stringify!($kind),
                        "--",
                        $rest,
                        ".json"
                    )),
                },
            )+];
            VARIANTS
        }
    };
}
variants! {
    AppInstall -- "agency",
    AppInstall -- "location-non-whitelabel",
    AppUninstall -- "agency",
    ContactDndUpdate -- "2025-no-inbound-dnd",
    ContactUpdate -- "2025-with-attachments",
    ExternalAuthConnected -- "basic-auth",
    InboundMessage -- "call-2025-type-bug",
    InboundMessage -- "call",
    InboundMessage -- "email-2025-to-array",
    InboundMessage -- "sms-2025",
    InboundMessage -- "voicemail",
    OpportunityCreate -- "real-logs-dashboard",
    OutboundMessage -- "call",
    OutboundMessage -- "email-2025-to-array",
    OutboundMessage -- "internal-comment-mentions",
    OutboundMessage -- "internal-comment-no-mentions",
    OutboundMessage -- "sms-2025-direction-bug",
    OutboundMessage -- "voicemail-workflow",
    ProviderOutboundMessage -- "email",
    UserCreate -- "agency",
    UserCreate -- "subaccount-2026-scopes",
    UserDelete -- "agency",
    UserDelete -- "subaccount",
    UserUpdate -- "agency",
    UserUpdate -- "subaccount-invalid-trailing-comma",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_file_is_listed() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/variants");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .expect("variants dir")
            .filter_map(|e| {
                let path = e.expect("entry").path();
                (path.extension()? == "json")
                    .then(|| path.file_stem()?.to_str().map(str::to_owned))?
            })
            .collect();
        files.sort();
        let mut listed: Vec<&str> = variants().iter().map(|v| v.name).collect();
        listed.sort_unstable();
        assert_eq!(files, listed);
    }

    #[test]
    fn exactly_one_variant_is_not_json_and_it_is_the_named_one() {
        for variant in variants() {
            let parsed = serde_json::from_str::<serde_json::Value>(variant.text);
            assert_eq!(parsed.is_ok(), variant.is_valid_json(), "{}", variant.name);
        }
        assert!(variants().iter().any(|v| v.name == INVALID_VARIANT));
    }
}
