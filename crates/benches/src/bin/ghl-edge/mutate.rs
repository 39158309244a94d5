//! The mutations of the fuzz: each turns one validly signed delivery into a request a hostile
//! or broken client could send. Bodies changed under the original signature are forgeries
//! the server must refuse; bodies re-signed by the test key (hostile JSON: duplicate keys,
//! deep nesting, huge) are recorded as signed, so a handler may see them.

use fastrand::Rng;

use crate::deliveries::{Signed, SignedSet};
use crate::wire::{Framing, Request};

/// What a case does to its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Class {
    /// Sent as signed.
    Unchanged,
    /// 1 to 3 bits of the body flipped.
    BitFlip,
    /// The body cut short (the length says so).
    Truncated,
    /// Random bytes inserted into the body.
    InsertedBytes,
    /// Bytes that are not UTF-8 inserted into a string of the body.
    InvalidUtf8,
    /// A key of the body duplicated with another value, under the original signature.
    DuplicateKeyForged,
    /// A key duplicated with another value, re-signed.
    DuplicateKeySigned,
    /// A value nested thousands of levels deep, re-signed.
    DeepNestingSigned,
    /// A body over the 1 MiB limit, re-signed.
    HugeSigned,
    /// A body just under the limit (a long string), re-signed.
    LargeSigned,
    /// The header fields in a random order.
    ReorderedHeaders,
    /// `X-GHL-Signature` twice, the same value.
    DuplicateSignatureSame,
    /// `X-GHL-Signature` twice: a wrong one first, the right one second.
    DuplicateSignatureWrongFirst,
    /// `Content-Length` twice with the same value.
    DuplicateLengthSame,
    /// `Content-Length` twice with different values.
    DuplicateLengthConflicting,
    /// The body in chunks of random sizes.
    ChunkedSplits,
    /// Header names in random letter case.
    HeaderCase,
    /// A bit of the signature flipped.
    SignatureBitFlip,
    /// No signature.
    SignatureMissing,
    /// The signature `N/A`.
    SignatureNotApplicable,
    /// The valid signature of another body.
    SignatureOfAnotherBody,
    /// The path of another kind.
    WrongKindPath,
    /// Not a `POST`.
    WrongMethod,
    /// A `Content-Type` that is not JSON.
    WrongContentType,
    /// A request line that is not HTTP.
    GarbageRequestLine,
}

impl Class {
    /// Every class, in the order of the report.
    pub(crate) const ALL: [Class; 25] = [
        Class::Unchanged,
        Class::BitFlip,
        Class::Truncated,
        Class::InsertedBytes,
        Class::InvalidUtf8,
        Class::DuplicateKeyForged,
        Class::DuplicateKeySigned,
        Class::DeepNestingSigned,
        Class::HugeSigned,
        Class::LargeSigned,
        Class::ReorderedHeaders,
        Class::DuplicateSignatureSame,
        Class::DuplicateSignatureWrongFirst,
        Class::DuplicateLengthSame,
        Class::DuplicateLengthConflicting,
        Class::ChunkedSplits,
        Class::HeaderCase,
        Class::SignatureBitFlip,
        Class::SignatureMissing,
        Class::SignatureNotApplicable,
        Class::SignatureOfAnotherBody,
        Class::WrongKindPath,
        Class::WrongMethod,
        Class::WrongContentType,
        Class::GarbageRequestLine,
    ];

    /// A short name for the report.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Class::Unchanged => "unchanged",
            Class::BitFlip => "bit_flip",
            Class::Truncated => "truncated",
            Class::InsertedBytes => "inserted_bytes",
            Class::InvalidUtf8 => "invalid_utf8",
            Class::DuplicateKeyForged => "duplicate_key_forged",
            Class::DuplicateKeySigned => "duplicate_key_signed",
            Class::DeepNestingSigned => "deep_nesting_signed",
            Class::HugeSigned => "huge_signed",
            Class::LargeSigned => "large_signed",
            Class::ReorderedHeaders => "reordered_headers",
            Class::DuplicateSignatureSame => "duplicate_signature_same",
            Class::DuplicateSignatureWrongFirst => "duplicate_signature_wrong_first",
            Class::DuplicateLengthSame => "duplicate_length_same",
            Class::DuplicateLengthConflicting => "duplicate_length_conflicting",
            Class::ChunkedSplits => "chunked_splits",
            Class::HeaderCase => "header_case",
            Class::SignatureBitFlip => "signature_bit_flip",
            Class::SignatureMissing => "signature_missing",
            Class::SignatureNotApplicable => "signature_n_a",
            Class::SignatureOfAnotherBody => "signature_of_another_body",
            Class::WrongKindPath => "wrong_kind_path",
            Class::WrongMethod => "wrong_method",
            Class::WrongContentType => "wrong_content_type",
            Class::GarbageRequestLine => "garbage_request_line",
        }
    }

    /// A class drawn at random; the costly ones (megabyte bodies) are rare.
    pub(crate) fn draw(rng: &mut Rng) -> Class {
        match rng.u32(0..1000) {
            0..=2 => Class::HugeSigned,
            3..=5 => Class::LargeSigned,
            n => {
                let cheap: Vec<Class> = Class::ALL
                    .into_iter()
                    .filter(|c| !matches!(c, Class::HugeSigned | Class::LargeSigned))
                    .collect();
                cheap[(n as usize) % cheap.len()]
            }
        }
    }

    /// Whether the server may answer and close the connection (framing errors), so the
    /// client does not reuse it.
    pub(crate) fn may_close(self) -> bool {
        matches!(
            self,
            Class::DuplicateLengthConflicting
                | Class::GarbageRequestLine
                | Class::HugeSigned
                | Class::DuplicateLengthSame
        )
    }
}

/// One request of the fuzz: the bytes to send.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    /// The bytes to send.
    pub bytes: Vec<u8>,
}

/// The body limit of the server (the router's default).
const BODY_LIMIT: usize = 1024 * 1024;

/// Builds a case of `class` from `base`; `other` is another signed delivery, `keys` re-signs,
/// `signed` records what is re-signed.
pub(crate) fn mutate(
    class: Class,
    base: &Signed,
    other: &Signed,
    keys: &ghl_webhook_sim::TestKeys,
    signed: &std::sync::Mutex<SignedSet>,
    rng: &mut Rng,
) -> Case {
    let mut request = Request::signed_post(&base.path, base.body.clone(), &base.signature);
    let resign = |request: &mut Request, body: Vec<u8>| {
        if let Ok(mut set) = signed.lock() {
            set.insert(&body);
        }
        request.headers[2].1 = keys.sign(&body);
        request.body = body;
    };
    match class {
        Class::Unchanged => {}
        Class::BitFlip => {
            for _ in 0..rng.usize(1..=3) {
                let at = rng.usize(..request.body.len());
                request.body[at] ^= 1 << rng.u8(0..8);
            }
        }
        Class::Truncated => {
            let len = rng.usize(..request.body.len());
            request.body.truncate(len);
        }
        Class::InsertedBytes => {
            let at = rng.usize(..=request.body.len());
            let extra: Vec<u8> = (0..rng.usize(1..=16)).map(|_| rng.u8(..)).collect();
            request.body.splice(at..at, extra);
        }
        Class::InvalidUtf8 => {
            let bad: &[u8] = match rng.u8(0..4) {
                0 => b"\xff",
                1 => b"\xc0\xaf",
                2 => b"\xed\xa0\x80",
                _ => b"\xf8\x88\x80\x80\x80",
            };
            let at = string_position(&request.body, rng);
            request.body.splice(at..at, bad.iter().copied());
        }
        Class::DuplicateKeyForged => {
            request.body = duplicate_key(&request.body, rng);
        }
        Class::DuplicateKeySigned => {
            let body = duplicate_key(&request.body, rng);
            resign(&mut request, body);
        }
        Class::DeepNestingSigned => {
            let depth = rng.usize(200..20_000);
            let (open, close) = if rng.bool() {
                (b'[', b']')
            } else {
                (b'{', b'}')
            };
            let mut nested = Vec::with_capacity(depth * 8);
            nested.extend_from_slice(b"{\"nested\":");
            for _ in 0..depth {
                if open == b'{' {
                    nested.extend_from_slice(b"{\"a\":");
                } else {
                    nested.push(open);
                }
            }
            nested.push(b'1');
            nested.extend(std::iter::repeat_n(close, depth));
            nested.push(b',');
            let body = insert_after_brace(&request.body, &nested);
            resign(&mut request, body);
        }
        Class::HugeSigned => {
            let pad = vec![b'x'; BODY_LIMIT + rng.usize(1..4096)];
            let body = insert_field(&request.body, &pad);
            resign(&mut request, body);
        }
        Class::LargeSigned => {
            let pad = vec![b'x'; BODY_LIMIT - request.body.len() - 64];
            let body = insert_field(&request.body, &pad);
            resign(&mut request, body);
        }
        Class::ReorderedHeaders => rng.shuffle(&mut request.headers),
        Class::DuplicateSignatureSame => {
            let signature = request.headers[2].clone();
            request.headers.push(signature);
        }
        Class::DuplicateSignatureWrongFirst => {
            let right = request.headers[2].clone();
            request.headers[2].1 = other.signature.clone();
            request.headers.push(right);
        }
        Class::DuplicateLengthSame => {
            request.framing = Framing::DuplicateLength {
                second: request.body.len(),
            };
        }
        Class::DuplicateLengthConflicting => {
            request.framing = Framing::DuplicateLength {
                second: request.body.len() + rng.usize(1..100),
            };
        }
        Class::ChunkedSplits => {
            let sizes = (0..rng.usize(1..12))
                .map(|_| rng.usize(1..=request.body.len().max(1)))
                .collect();
            request.framing = Framing::Chunked(sizes);
        }
        Class::HeaderCase => {
            for (name, _) in &mut request.headers {
                *name = name
                    .chars()
                    .map(|c| {
                        if rng.bool() {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        }
                    })
                    .collect();
            }
        }
        Class::SignatureBitFlip => {
            let mut bytes = request.headers[2].1.clone().into_bytes();
            let at = rng.usize(..bytes.len());
            // Stay printable ASCII so the header stays a valid field value.
            bytes[at] = match bytes[at] {
                b'A' => b'B',
                b'+' => b'/',
                c if c.is_ascii_alphanumeric() => b'A',
                _ => b'A',
            };
            request.headers[2].1 = String::from_utf8_lossy(&bytes).into_owned();
        }
        Class::SignatureMissing => {
            request.headers.remove(2);
        }
        Class::SignatureNotApplicable => request.headers[2].1 = "N/A".to_owned(),
        Class::SignatureOfAnotherBody => request.headers[2].1 = other.signature.clone(),
        Class::WrongKindPath => request.path = other.path.clone(),
        Class::WrongMethod => {
            request.method = ["GET", "PUT", "DELETE", "PATCH"][rng.usize(0..4)].to_owned();
        }
        Class::WrongContentType => {
            request.headers[1].1 = ["text/plain", "application/x-www-form-urlencoded", "json"]
                [rng.usize(0..3)]
            .to_owned();
        }
        Class::GarbageRequestLine => {
            let mut bytes = request.encode();
            let line_end = bytes.iter().position(|&b| b == b'\r').unwrap_or(0);
            for b in &mut bytes[..line_end] {
                if rng.u8(0..4) == 0 {
                    *b = rng.u8(..);
                }
            }
            return Case { bytes };
        }
    }
    if class == Class::SignatureOfAnotherBody && other.body == request.body {
        // Identical bodies share their signature: nothing was forged.
        request.headers[2].1 = "AAAA".to_owned();
    }
    Case {
        bytes: request.encode(),
    }
}

/// A position just after an opening quote of a string in `body` (or its middle).
fn string_position(body: &[u8], rng: &mut Rng) -> usize {
    let quotes: Vec<usize> = body
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'"')
        .map(|(i, _)| i + 1)
        .collect();
    if quotes.is_empty() {
        body.len() / 2
    } else {
        quotes[rng.usize(..quotes.len())]
    }
}

/// `body` with one of its well-known keys repeated first with another value.
fn duplicate_key(body: &[u8], rng: &mut Rng) -> Vec<u8> {
    let field: &[u8] = match rng.u8(0..5) {
        0 => b"\"type\":\"ContactDelete\",",
        1 => b"\"webhookId\":\"forged-id\",",
        2 => b"\"locationId\":\"otherLocation\",",
        3 => b"\"id\":12345,",
        _ => b"\"type\":null,",
    };
    // Before the original key (first value wins) or after the last (last value wins).
    if rng.bool() {
        insert_after_brace(body, field)
    } else {
        insert_before_close(body, &field[..field.len() - 1])
    }
}

fn insert_after_brace(body: &[u8], field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + field.len());
    match body.first() {
        Some(b'{') => {
            out.push(b'{');
            out.extend_from_slice(field);
            out.extend_from_slice(&body[1..]);
        }
        _ => out.extend_from_slice(body),
    }
    out
}

fn insert_before_close(body: &[u8], field: &[u8]) -> Vec<u8> {
    let mut out = body.to_vec();
    if out.last() == Some(&b'}') {
        out.pop();
        out.push(b',');
        out.extend_from_slice(field);
        out.push(b'}');
    }
    out
}

/// `body` with a field `"padding":"<pad>"` first.
fn insert_field(body: &[u8], pad: &[u8]) -> Vec<u8> {
    let mut field = Vec::with_capacity(pad.len() + 16);
    field.extend_from_slice(b"\"padding\":\"");
    field.extend_from_slice(pad);
    field.extend_from_slice(b"\",");
    insert_after_brace(body, &field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deliveries::{delivery, fixtures};
    use ghl_webhook_router::types::EventKind;
    use ghl_webhook_sim::TestKeys;

    #[test]
    fn every_class_builds_a_request_and_only_resigned_bodies_are_recorded() {
        let keys = TestKeys::primary();
        let all = fixtures();
        let base = delivery(&keys, all[0].0, &all[0].1, "base");
        let other = delivery(&keys, all[1].0, &all[1].1, "other");
        let signed = std::sync::Mutex::new(SignedSet::default());
        let mut rng = Rng::with_seed(7);
        for class in Class::ALL {
            let before = signed.lock().expect("lock").len();
            let case = mutate(class, &base, &other, &keys, &signed, &mut rng);
            assert!(!case.bytes.is_empty(), "{}", class.name());
            let after = signed.lock().expect("lock").len();
            let resigned = matches!(
                class,
                Class::DuplicateKeySigned
                    | Class::DeepNestingSigned
                    | Class::HugeSigned
                    | Class::LargeSigned
            );
            assert_eq!(after > before, resigned, "{}", class.name());
        }
        assert_eq!(EventKind::ALL.len(), all.len());
    }

    #[test]
    fn duplicate_keys_are_really_duplicated() {
        let mut rng = Rng::with_seed(1);
        for _ in 0..20 {
            let out = duplicate_key(
                br#"{"type":"X","webhookId":"w","locationId":"l","id":"i"}"#,
                &mut rng,
            );
            let text = String::from_utf8(out).expect("utf8");
            let dupes = ["\"type\"", "\"webhookId\"", "\"locationId\"", "\"id\""]
                .iter()
                .any(|k| text.matches(k).count() == 2);
            assert!(dupes, "{text}");
        }
    }
}
