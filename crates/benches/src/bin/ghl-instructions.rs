//! Instructions per delivery of each way of verifying a HighLevel delivery, counted by
//! valgrind's callgrind: the same binary and input give the same count whatever else the machine
//! does, unlike wall-clock time on a shared machine.
//!
//! ```text
//! ghl-instructions [--deliveries N] [--paths a,b,..] [--batch N]   every path under callgrind, a Markdown table
//! ghl-instructions run PATH COUNT TOTAL BATCH      what callgrind runs: COUNT of TOTAL deliveries
//! ```
//!
//! Each path is run twice under `valgrind --tool=callgrind`, over the first 64 and the first
//! 64 + N of the same N + 64 signed ContactCreate deliveries (813 bytes, signed with the test
//! key); the difference of the two totals divided by N is the cost of one delivery, without the
//! start-up, the signing of the payloads or the tables built once.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::process::{Command, ExitCode};

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint, VartimeEdwardsPrecomputation};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimePrecomputedMultiscalarMul;
use ed25519_dalek::{Signature, VerifyingKey};
use ghl_webhook_benches::baseline::HandWritten;
use ghl_webhook_benches::payloads::{WEBHOOK_PATH, contact_create_deliveries};
use ghl_webhook_router::batch::BatchVerifier;
use ghl_webhook_router::types::contact::ContactCreate;
use ghl_webhook_router::{Delivery, SIGNATURE_HEADER, WebhookRouter};
use ghl_webhook_sim::TestKeys;
use http::{HeaderMap, HeaderValue, Request};
use http_body_util::Full;
use sha2::{Digest, Sha512};

/// Deliveries run before the measured ones (the same in both runs of a path, so they cancel).
const PRELUDE: usize = 64;

/// The size of the batches of the batch paths, unless `--batch` says otherwise.
const BATCH: usize = 32;

/// The paths measured, in the table's order, with what each one does per delivery.
const PATHS: [(&str, &str); 8] = [
    (
        "hand-written",
        "hand-written receiver: base64 header, ed25519-dalek 2 `verify_strict`, `serde_json::from_slice` into ContactCreate",
    ),
    (
        "verify-strict",
        "ed25519-dalek 2 `verify_strict` alone (signature already decoded)",
    ),
    (
        "straus-precomputed",
        "`VartimeEdwardsPrecomputation` of [B, −A] (curve25519-dalek 4), `verify_strict`'s checks",
    ),
    (
        "sdk-verify",
        "SDK `Verifier::verify`: header decoded, fixed-key comb of B and A",
    ),
    (
        "sdk-handle",
        "SDK `WebhookService::handle` (no dedupe): verify, identify, decode, no-op handler, response",
    ),
    (
        "verify-batch",
        "ed25519-dalek 2 `verify_batch` of a batch, per signature",
    ),
    (
        "sdk-batch",
        "SDK `BatchVerifier`, a batch of deliveries waiting together (coalesced), per delivery",
    ),
    (
        "sdk-batch-handle",
        "SDK `WebhookService::handle` with batch verification, a batch at once, per delivery",
    ),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run_command(&args[1..]),
        _ => measure_command(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ghl-instructions: {e}");
            ExitCode::FAILURE
        }
    }
}

fn measure_command(args: &[String]) -> Result<(), String> {
    let mut deliveries = 256usize;
    let mut batch = BATCH;
    let mut only: Option<Vec<String>> = None;
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--deliveries" => {
                deliveries = value
                    .parse::<usize>()
                    .map_err(|e| format!("--deliveries: {e}"))?;
            }
            "--batch" => {
                batch = value
                    .parse::<usize>()
                    .map_err(|e| format!("--batch: {e}"))?
                    .max(1);
            }
            "--paths" => only = Some(value.split(',').map(str::to_owned).collect()),
            _ => {
                return Err(format!(
                    "unknown flag {flag} (--deliveries N, --paths a,b, --batch N)"
                ));
            }
        }
    }
    // Whole batches, so that the batch paths' batches are all of the same size.
    let deliveries = deliveries.max(batch).div_ceil(batch) * batch;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let total = PRELUDE + deliveries;
    let mut rows = Vec::new();
    for (path, what) in PATHS {
        if only
            .as_ref()
            .is_some_and(|only| !only.iter().any(|p| p == path))
        {
            continue;
        }
        let mut counts = [0u64; 2];
        for (count, out) in [PRELUDE, total].into_iter().zip(&mut counts) {
            *out = callgrind(&exe, path, count, total, batch)?;
        }
        let per = (counts[1].saturating_sub(counts[0])) as f64 / deliveries as f64;
        eprintln!("{path}: {per:.0} instructions per delivery");
        rows.push((path, what, per));
    }
    let reference = rows
        .iter()
        .find(|row| row.0 == "verify-strict")
        .map(|row| row.2);
    println!(
        "Instructions per delivery (callgrind, {deliveries} deliveries of {} bytes after {PRELUDE}; batches of {batch}):",
        contact_create_deliveries(1)
            .first()
            .map_or(0, |p| p.body.len())
    );
    println!();
    println!("| path | instructions per delivery | / `verify_strict` | what |");
    println!("|---|---:|---:|---|");
    for (path, what, per) in rows {
        let ratio = reference.map_or_else(|| "".to_owned(), |r| format!("{:.3}", per / r));
        println!("| {path} | {per:.0} | {ratio} | {what} |");
    }
    Ok(())
}

/// The instructions of `run PATH COUNT TOTAL` under callgrind.
fn callgrind(
    exe: &std::path::Path,
    path: &str,
    count: usize,
    total: usize,
    batch: usize,
) -> Result<u64, String> {
    let out = std::env::temp_dir().join(format!(
        "ghl-instructions-{}-{path}-{count}.out",
        std::process::id()
    ));
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(exe)
        .args([
            "run",
            path,
            &count.to_string(),
            &total.to_string(),
            &batch.to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("valgrind could not be started ({e}); is it installed?"))?;
    if !status.success() {
        return Err(format!("callgrind run of {path} failed: {status}"));
    }
    let text = std::fs::read_to_string(&out).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&out);
    text.lines()
        .find_map(|line| line.strip_prefix("summary:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("no summary line in callgrind's output for {path}"))
}

/// One signed delivery, decoded as each path needs it.
struct Prepared {
    body: bytes::Bytes,
    header: HeaderValue,
    signature: Signature,
}

fn run_command(args: &[String]) -> Result<(), String> {
    let [path, count, total, batch] = args else {
        return Err("run PATH COUNT TOTAL BATCH".to_owned());
    };
    let count: usize = count.parse().map_err(|e| format!("COUNT: {e}"))?;
    let total: usize = total.parse().map_err(|e| format!("TOTAL: {e}"))?;
    let batch: usize = batch.parse().map_err(|e| format!("BATCH: {e}"))?;
    let batch = batch.max(1);
    let keys = TestKeys::primary();
    let key = keys.signing_key().verifying_key();
    let deliveries: Vec<Prepared> = contact_create_deliveries(total)
        .into_iter()
        .map(|p| {
            let header = HeaderValue::from_str(&p.signature).map_err(|e| e.to_string())?;
            let bytes =
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &p.signature)
                    .map_err(|e| e.to_string())?;
            let bytes: [u8; 64] = bytes.try_into().map_err(|_| "not 64 bytes".to_owned())?;
            Ok(Prepared {
                body: p.body,
                header,
                signature: Signature::from_bytes(&bytes),
            })
        })
        .collect::<Result<_, String>>()?;
    let deliveries = deliveries.get(..count).ok_or("COUNT is above TOTAL")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let accepted = match path.as_str() {
        "hand-written" => {
            let hand = HandWritten::new(key);
            deliveries
                .iter()
                .filter(|d| {
                    hand.accept::<ContactCreate>(Some(&d.header), &d.body)
                        .is_ok()
                })
                .count()
        }
        "verify-strict" => deliveries
            .iter()
            .filter(|d| key.verify_strict(&d.body, &d.signature).is_ok())
            .count(),
        "straus-precomputed" => {
            let straus = StrausKey::new(key);
            deliveries
                .iter()
                .filter(|d| straus.verifies(&d.body, &d.signature))
                .count()
        }
        "sdk-verify" => {
            let verifier = keys.verifier();
            deliveries
                .iter()
                .filter(|d| verifier.verify(&headers(&d.header), &d.body).is_ok())
                .count()
        }
        "sdk-handle" | "sdk-batch-handle" => {
            let service = WebhookRouter::new()
                .verifier(keys.verifier())
                .without_dedupe()
                .batch_verification(path == "sdk-batch-handle")
                .on(|_event: ContactCreate, _delivery: Delivery| async {})
                .into_service();
            let chunk = if path == "sdk-handle" { 1 } else { batch };
            let mut ok = 0;
            for group in deliveries.chunks(chunk) {
                let answers = runtime.block_on(futures_util::future::join_all(
                    group.iter().map(|d| service.handle(request(d))),
                ));
                ok += answers.iter().filter(|a| a.status().is_success()).count();
            }
            ok
        }
        "verify-batch" => {
            let keys = vec![key; batch];
            deliveries
                .chunks(batch)
                .filter(|group| {
                    let messages: Vec<&[u8]> = group.iter().map(|d| d.body.as_ref()).collect();
                    let signatures: Vec<Signature> = group.iter().map(|d| d.signature).collect();
                    ed25519_dalek::verify_batch(&messages, &signatures, &keys[..group.len()])
                        .is_ok()
                })
                .map(<[Prepared]>::len)
                .sum()
        }
        "sdk-batch" => {
            let verifier = BatchVerifier::new(keys.verifier());
            let mut ok = 0;
            for group in deliveries.chunks(batch) {
                let headers: Vec<HeaderMap> = group.iter().map(|d| headers(&d.header)).collect();
                let verdicts = runtime.block_on(futures_util::future::join_all(
                    group
                        .iter()
                        .zip(&headers)
                        .map(|(d, h)| verifier.verify(h, &d.body)),
                ));
                ok += verdicts.iter().filter(|v| v.is_ok()).count();
            }
            ok
        }
        other => return Err(format!("unknown path {other}")),
    };
    if accepted != deliveries.len() {
        return Err(format!(
            "{path} accepted {accepted} of {} valid deliveries",
            deliveries.len()
        ));
    }
    Ok(())
}

fn headers(value: &HeaderValue) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(SIGNATURE_HEADER, value.clone());
    headers
}

fn request(d: &Prepared) -> Request<Full<bytes::Bytes>> {
    let mut request = Request::new(Full::new(d.body.clone()));
    *request.method_mut() = http::Method::POST;
    *request.uri_mut() = http::Uri::from_static(WEBHOOK_PATH);
    request.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    request
        .headers_mut()
        .insert(SIGNATURE_HEADER, d.header.clone());
    request
}

/// `verify_strict` with the key's and the base point's tables made once by curve25519-dalek's
/// `VartimeEdwardsPrecomputation` (the library's own fixed-point API), for comparison.
struct StrausKey {
    key: VerifyingKey,
    tables: VartimeEdwardsPrecomputation,
}

impl StrausKey {
    fn new(key: VerifyingKey) -> Self {
        let minus_a = -key.to_edwards();
        Self {
            key,
            tables: VartimeEdwardsPrecomputation::new([ED25519_BASEPOINT_POINT, minus_a]),
        }
    }

    fn verifies(&self, message: &[u8], signature: &Signature) -> bool {
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(*signature.s_bytes()))
        else {
            return false;
        };
        let r = CompressedEdwardsY(*signature.r_bytes());
        let Some(point) = r.decompress() else {
            return false;
        };
        if point.is_small_order() || self.key.to_edwards().is_small_order() {
            return false;
        }
        let hash: [u8; 64] = Sha512::new()
            .chain_update(r.as_bytes())
            .chain_update(self.key.as_bytes())
            .chain_update(message)
            .finalize()
            .into();
        let k = Scalar::from_bytes_mod_order_wide(&hash);
        let none: [EdwardsPoint; 0] = [];
        let computed = self
            .tables
            .vartime_mixed_multiscalar_mul([s, k], [Scalar::ZERO; 0], none);
        computed.compress() == r
    }
}
