//! The hand-written receivers the SDK is measured against.
//!
//! [`HandWritten`] is what a careful user writes without the SDK: the Ed25519 key parsed once,
//! the `X-GHL-Signature` header decoded on the stack, `verify_strict` over the raw bytes, then
//! `serde_json::from_slice` straight into the event struct. It decodes into the same struct
//! the SDK does (`ghl_webhook_router::types::contact::ContactCreate`), so the difference
//! measured is the SDK's own overhead, not a difference of schema.

use std::convert::Infallible;

use base64::Engine as _;
use bytes::Bytes;
use ed25519_dalek::pkcs8::DecodePublicKey;
use ed25519_dalek::{Signature, VerifyingKey};
use ghl_webhook_router::SIGNATURE_HEADER;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Body;
use serde::de::DeserializeOwned;

/// The body limit of the hand-written servers (the SDK's default too).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Why the hand-written receiver refused a delivery.
#[derive(Debug)]
pub enum Rejected {
    /// No `X-GHL-Signature` header.
    MissingSignature,
    /// Not base64, not 64 bytes, or not a valid signature over the body.
    BadSignature,
    /// The body is not the expected JSON.
    BadJson(serde_json::Error),
}

/// A hand-written receiver: one trusted Ed25519 key, parsed once.
#[derive(Debug, Clone)]
pub struct HandWritten {
    key: VerifyingKey,
}

impl HandWritten {
    /// Trusts `key`.
    pub fn new(key: VerifyingKey) -> Self {
        Self { key }
    }

    /// Parses an SPKI PEM public key, once.
    pub fn from_pem(pem: &str) -> Result<Self, ed25519_dalek::pkcs8::spki::Error> {
        Ok(Self::new(VerifyingKey::from_public_key_pem(pem)?))
    }

    /// Checks the signature header over the exact body bytes.
    pub fn verify(&self, signature: Option<&HeaderValue>, body: &[u8]) -> Result<(), Rejected> {
        let value = signature.ok_or(Rejected::MissingSignature)?.as_bytes();
        let mut buf = [0u8; 96];
        let len = base64::engine::general_purpose::STANDARD
            .decode_slice(value, &mut buf)
            .map_err(|_| Rejected::BadSignature)?;
        let bytes: [u8; 64] = buf[..len].try_into().map_err(|_| Rejected::BadSignature)?;
        self.key
            .verify_strict(body, &Signature::from_bytes(&bytes))
            .map_err(|_| Rejected::BadSignature)
    }

    /// Verifies, then decodes the body into `T`.
    pub fn accept<T: DeserializeOwned>(
        &self,
        signature: Option<&HeaderValue>,
        body: &[u8],
    ) -> Result<T, Rejected> {
        self.verify(signature, body)?;
        serde_json::from_slice(body).map_err(Rejected::BadJson)
    }
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = code;
    response
}

/// Server (a): reads the whole body (bounded) and answers 200.
pub async fn bare<B>(request: Request<B>) -> Result<Response<Full<Bytes>>, Infallible>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let body = Limited::new(request.into_body(), BODY_LIMIT)
        .collect()
        .await;
    Ok(match body {
        Ok(body) => {
            std::hint::black_box(body.to_bytes());
            status(StatusCode::OK)
        }
        Err(_) => status(StatusCode::BAD_REQUEST),
    })
}

/// Server (b): reads the body (bounded), verifies it with `receiver`, decodes it into `T`,
/// hands the event to a no-op handler and answers 200 (401 or 400 when refused).
pub async fn hand_written<T, B>(
    receiver: &HandWritten,
    request: Request<B>,
) -> Result<Response<Full<Bytes>>, Infallible>
where
    T: DeserializeOwned,
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, BODY_LIMIT).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return Ok(status(StatusCode::BAD_REQUEST)),
    };
    Ok(
        match receiver.accept::<T>(parts.headers.get(SIGNATURE_HEADER), &body) {
            Ok(event) => {
                // The no-op handler.
                std::hint::black_box(event);
                status(StatusCode::OK)
            }
            Err(Rejected::BadJson(_)) => status(StatusCode::BAD_REQUEST),
            Err(_) => status(StatusCode::UNAUTHORIZED),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payloads::contact_create_deliveries;
    use ghl_webhook_router::types::contact::ContactCreate;
    use ghl_webhook_sim::TestKeys;

    #[test]
    fn accepts_a_signed_delivery_and_refuses_a_tampered_one() {
        let receiver =
            HandWritten::from_pem(&TestKeys::primary().public_key_pem()).expect("test key");
        let p = &contact_create_deliveries(1)[0];
        let header = HeaderValue::from_str(&p.signature).expect("header");
        let event: ContactCreate = receiver.accept(Some(&header), &p.body).expect("accepted");
        assert_eq!(event.0.id, "nmFmQEsNgz6AVpgLVUJ0");
        let mut tampered = p.body.to_vec();
        tampered[3] ^= 1;
        assert!(matches!(
            receiver.accept::<ContactCreate>(Some(&header), &tampered),
            Err(Rejected::BadSignature)
        ));
        assert!(matches!(
            receiver.verify(None, &p.body),
            Err(Rejected::MissingSignature)
        ));
    }
}
