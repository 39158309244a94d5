//! Validly signed deliveries of every event kind, from the types crate's fixtures: what the
//! fuzz mutates and the soak sends.

use std::collections::HashSet;

use ghl_webhook_benches::payloads::{BENCH_APP_ID, WEBHOOK_PATH, with_envelope};
use ghl_webhook_router::types::{EventKind, fixtures};
use ghl_webhook_sim::TestKeys;
use sha2::{Digest, Sha256};

/// One delivery as HighLevel would send it.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    /// The path that binds its kind: `/webhooks/highlevel/<Kind>`.
    pub path: String,
    /// The exact body bytes.
    pub body: Vec<u8>,
    /// `X-GHL-Signature` over `body` by the primary test key.
    pub signature: String,
}

/// The fixture (a JSON object) of every kind, in `EventKind::ALL` order: the example
/// payloads the types crate ships.
pub(crate) fn fixtures() -> Vec<(EventKind, String)> {
    EventKind::ALL
        .iter()
        .map(|&kind| (kind, fixtures::example(kind).to_owned()))
        .collect()
}

/// Signs `body` for `kind` with the primary test key.
pub(crate) fn sign(keys: &TestKeys, kind: EventKind, body: Vec<u8>) -> Signed {
    Signed {
        path: format!("{WEBHOOK_PATH}/{}", kind.as_str()),
        signature: keys.sign(&body),
        body,
    }
}

/// The delivery of `fixture` for `kind` with this `webhookId`, and HighLevel's envelope
/// fields where the fixture has none.
pub(crate) fn delivery(
    keys: &TestKeys,
    kind: EventKind,
    fixture: &str,
    webhook_id: &str,
) -> Signed {
    sign(keys, kind, with_webhook_id(fixture, webhook_id))
}

/// `fixture` (a JSON object) with `webhookId` set and the envelope completed.
fn with_webhook_id(fixture: &str, webhook_id: &str) -> Vec<u8> {
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_str(fixture) else {
        return with_envelope(fixture, webhook_id).into_bytes();
    };
    let envelope = serde_json::json!({
        "timestamp": "2025-03-01T10:20:30.456Z",
        "appId": BENCH_APP_ID,
        "versionId": "benchversion000000000001",
    });
    if let serde_json::Value::Object(fields) = envelope {
        for (key, value) in fields {
            object.entry(key).or_insert(value);
        }
    }
    object.insert("webhookId".to_owned(), webhook_id.into());
    serde_json::to_vec(&object).unwrap_or_default()
}

/// The SHA-256 of `bytes`, hex: how the server reports a handled body.
pub(crate) fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The digests of every body signed so far: the only bodies a handler may see.
#[derive(Debug, Default)]
pub(crate) struct SignedSet(HashSet<[u8; 32]>);

impl SignedSet {
    /// Records `body` as signed by the test key.
    pub(crate) fn insert(&mut self, body: &[u8]) {
        self.0.insert(Sha256::digest(body).into());
    }

    /// Whether a body with this digest (hex, as the server reports it) was signed.
    pub(crate) fn contains(&self, digest: &str) -> bool {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(digest, &mut bytes).is_ok() && self.0.contains(&bytes)
    }

    /// How many distinct bodies were signed.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_fixture_and_its_delivery_verifies() {
        let keys = TestKeys::primary();
        let all = fixtures();
        assert_eq!(all.len(), EventKind::ALL.len());
        let verifier = keys.verifier();
        for (kind, fixture) in &all {
            let signed = delivery(&keys, *kind, fixture, "id-1");
            let mut headers = http::HeaderMap::new();
            headers.insert(
                ghl_webhook_router::SIGNATURE_HEADER,
                signed.signature.parse().expect("header"),
            );
            assert!(verifier.verify(&headers, &signed.body).is_ok(), "{kind}");
            let value: serde_json::Value = serde_json::from_slice(&signed.body).expect("JSON");
            assert_eq!(value["webhookId"], "id-1", "{kind}");
            // No envelope key is added twice at the top level (that would be undecodable).
            let text = String::from_utf8_lossy(&signed.body);
            let top: serde_json::Value = serde_json::from_str(fixture).expect("JSON");
            for key in ["timestamp", "appId", "webhookId"] {
                let quoted = format!("\"{key}\"");
                let in_fixture = fixture.matches(&quoted).count();
                let added = usize::from(top.get(key).is_none());
                assert!(
                    text.matches(&quoted).count() <= in_fixture + added,
                    "{kind}: {key} twice"
                );
            }
        }
    }

    #[test]
    fn the_signed_set_knows_exactly_what_was_signed() {
        let mut set = SignedSet::default();
        set.insert(b"{}");
        assert!(set.contains(&digest(b"{}")));
        assert!(!set.contains(&digest(b"{ }")));
        assert_eq!(set.len(), 1);
    }
}
