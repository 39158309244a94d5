//! Key material as pasted into configuration: Ed25519 as SPKI PEM or the raw 32 bytes in
//! base64 or hex, RSA as PEM. Never a panic; an Ed25519 key that parses parses again, to the
//! same key, from each of its other encodings; `Verifier::with_key_text` accepts exactly what
//! `Ed25519Key::parse` accepts.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::VerifyingKey;
use ed25519_dalek::pkcs8::EncodePublicKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ghl_webhook_router::{Ed25519Key, RsaKey, Verifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = Ed25519Key::parse("fuzz", text);
    assert_eq!(
        Verifier::empty().with_key_text("fuzz", text).is_ok(),
        parsed.is_ok(),
        "with_key_text and Ed25519Key::parse agree"
    );
    if let Ok(key) = parsed {
        let bytes = key.to_bytes();
        let pem = VerifyingKey::from_bytes(&bytes)
            .expect("a parsed key is a valid point")
            .to_public_key_pem(LineEnding::LF)
            .expect("encodes");
        for encoded in [hex::encode(bytes), STANDARD.encode(bytes), pem] {
            let again = Ed25519Key::parse("again", &encoded)
                .unwrap_or_else(|e| panic!("{encoded:?} of a parsed key does not parse: {e}"));
            assert_eq!(again.to_bytes(), bytes, "{encoded:?}");
        }
    }
    if let Ok(key) = RsaKey::parse("fuzz", text) {
        assert!(key.bits() > 0);
    }
});
