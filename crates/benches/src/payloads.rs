//! The payloads every benchmark sends: realistic fixtures, with a distinct `webhookId` each,
//! signed with the test key like HighLevel signs.

use bytes::Bytes;
use ghl_webhook_sim::TestKeys;

/// HighLevel's documented ContactCreate example (`crates/types/fixtures`), pretty-printed.
pub const CONTACT_CREATE_FIXTURE: &str = include_str!("../../types/fixtures/ContactCreate.json");

/// HighLevel's documented AssociationDelete example, pretty-printed (a small payload).
pub const ASSOCIATION_DELETE_FIXTURE: &str =
    include_str!("../../types/fixtures/AssociationDelete.json");

/// The `appId` of every benchmark payload.
///
/// HighLevel's Node SDK only processes (and verifies) deliveries whose `appId` is the part of
/// its `clientId` before the first `-`; see [`BENCH_CLIENT_ID`].
pub const BENCH_APP_ID: &str = "benchapp00000000000000001";

/// The `clientId` the Node SDK peer is configured with (its prefix is [`BENCH_APP_ID`]).
pub const BENCH_CLIENT_ID: &str = "benchapp00000000000000001-benchclient00001";

/// The path every benchmark server answers on.
pub const WEBHOOK_PATH: &str = "/webhooks/highlevel";

/// One delivery, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPayload {
    /// Its `webhookId` (distinct per payload).
    pub webhook_id: String,
    /// The `X-GHL-Signature` value: base64 Ed25519 over `body`, by [`TestKeys::primary`].
    pub signature: String,
    /// The exact body bytes.
    pub body: Bytes,
}

impl SignedPayload {
    /// One line of the payload file that `ghl-bench-server payloads` prints:
    /// `webhookId TAB signature TAB body` (a compact JSON body holds no tab or newline).
    pub fn to_line(&self) -> String {
        format!(
            "{}\t{}\t{}",
            self.webhook_id,
            self.signature,
            String::from_utf8_lossy(&self.body)
        )
    }
}

/// Removes the whitespace outside strings of a JSON text, keeping the key order (serializing a
/// `serde_json::Value` would sort the keys).
pub fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_ascii_whitespace() {
            out.push(c);
        }
    }
    out
}

/// The `webhookId` of payload `index`: shaped like HighLevel's (a UUID), distinct per index.
pub fn webhook_id(index: usize) -> String {
    format!("6f1c2a9e-0b7d-4c51-9e3a-{index:012}")
}

/// `fixture` (a JSON object) minified, with HighLevel's envelope appended: `timestamp`,
/// `webhookId`, `appId`, `versionId`.
pub fn with_envelope(fixture: &str, webhook_id: &str) -> String {
    let mut body = minify(fixture);
    // The fixtures are objects; the envelope goes before the closing brace.
    if body.ends_with('}') {
        body.pop();
        body.push_str(&format!(
            r#","timestamp":"2025-03-01T10:20:30.456Z","webhookId":"{webhook_id}","appId":"{BENCH_APP_ID}","versionId":"benchversion000000000001"}}"#
        ));
    }
    body
}

/// `count` ContactCreate deliveries with distinct `webhookId`s, signed by the primary test key.
pub fn contact_create_deliveries(count: usize) -> Vec<SignedPayload> {
    deliveries(CONTACT_CREATE_FIXTURE, count)
}

/// `count` deliveries of `fixture` with distinct `webhookId`s, signed by the primary test key.
pub fn deliveries(fixture: &str, count: usize) -> Vec<SignedPayload> {
    let keys = TestKeys::primary();
    (0..count)
        .map(|i| {
            let webhook_id = webhook_id(i);
            let body = with_envelope(fixture, &webhook_id);
            SignedPayload {
                signature: keys.sign(body.as_bytes()),
                webhook_id,
                body: Bytes::from(body),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minify_keeps_strings_and_key_order() {
        assert_eq!(
            minify("{ \"b\" : \"x y\\\" z\",\n \"a\": [1, 2] }"),
            "{\"b\":\"x y\\\" z\",\"a\":[1,2]}"
        );
    }

    #[test]
    fn deliveries_are_distinct_valid_json_and_verify() {
        let all = contact_create_deliveries(3);
        assert_eq!(all.len(), 3);
        assert_ne!(all[0].webhook_id, all[1].webhook_id);
        let verifier = TestKeys::primary().verifier();
        for p in &all {
            let value: serde_json::Value = serde_json::from_slice(&p.body).expect("JSON");
            assert_eq!(value["webhookId"], p.webhook_id.as_str());
            assert_eq!(value["type"], "ContactCreate");
            let mut headers = http::HeaderMap::new();
            headers.insert(
                ghl_webhook_router::SIGNATURE_HEADER,
                p.signature.parse().expect("header"),
            );
            assert!(verifier.verify(&headers, &p.body).is_ok());
            assert_eq!(p.to_line().split('\t').count(), 3);
        }
    }
}
