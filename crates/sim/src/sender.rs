//! [`MockSender`]: plays HighLevel over real HTTP.
//!
//! It serializes an event (or takes raw bytes), adds the envelope HighLevel adds (`type` where
//! HighLevel sends one, a fresh `webhookId`, `timestamp`, `appId`, `versionId`), signs exactly
//! the bytes it sends with Ed25519, and POSTs them with a hyper client, retrying like HighLevel
//! when a [`RetryPolicy`] is set. Knobs produce every bad delivery a receiver must reject.

use bytes::Bytes;
use ed25519_dalek::SigningKey;
use ghl_webhook_types::{Event, EventKind, WebhookEvent};
use http::{Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Map, Value};

use crate::keys::TestKeys;
#[cfg(feature = "legacy-rsa")]
use crate::keys::rsa_keys::RsaSigner;
use crate::retry::RetryPolicy;

/// The `appId` MockSender puts in the envelope unless told otherwise.
pub const TEST_APP_ID: &str = "test-app-0000000000000000";
/// The `versionId` MockSender puts in the envelope unless told otherwise.
pub const TEST_VERSION_ID: &str = "test-version-000000000000";

/// Why a mock delivery could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The target URL is not an absolute `http://` URL.
    #[error("`{0}` is not an absolute http:// URL")]
    InvalidUrl(String),
    /// The event could not be serialized (a bug in the event type).
    #[error("the event could not be serialized: {0}")]
    Serialize(#[from] serde_json::Error),
    /// No answer after every attempt (connection refused, reset, ...).
    #[error("no answer from {url} after {attempts} attempt(s): {source}")]
    Http {
        /// The URL posted to.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// What happened to one mock delivery.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Sent {
    /// The final status.
    pub status: StatusCode,
    /// The final response body.
    pub body: Bytes,
    /// The `webhookId` of the payload, when it had one.
    pub webhook_id: Option<String>,
    /// The exact bytes posted (after tampering, when asked).
    pub payload: Bytes,
    /// How many attempts were made (1 without retries).
    pub attempts: u32,
}

impl Sent {
    /// The response body as text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Which signature headers a delivery carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scheme {
    /// `X-GHL-Signature` (Ed25519): what HighLevel sends today. The default.
    Ed25519,
    /// `X-WH-Signature` only (legacy RSA), as old deliveries and resends carry.
    Rsa,
    /// Both headers, as HighLevel sent during the migration.
    Both,
    /// No signature header at all.
    None,
}

/// Where one signature header's value comes from.
#[derive(Debug, Clone)]
enum HeaderSource {
    /// Sign the body with this Ed25519 key.
    Ed25519(SigningKey),
    /// Sign the body with the RSA test key.
    #[cfg(feature = "legacy-rsa")]
    RsaTestKey,
    /// Sign the body with this RSA key.
    #[cfg(feature = "legacy-rsa")]
    Rsa(RsaSigner),
    /// Send this literal value.
    Literal(String),
}

/// Plays HighLevel against a URL.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use ghl_webhook_sim::MockSender;
/// use ghl_webhook_types::association::{Association, AssociationDelete};
///
/// let sender = MockSender::new("http://127.0.0.1:3000/webhooks/highlevel")?;
/// let event = AssociationDelete(Association::new("67ade73d1119d2ac7ad0c475"));
/// let sent = sender.event(&event).bound().send().await?;
/// assert_eq!(sent.status, 200);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct MockSender {
    client: Client<HttpConnector, Full<Bytes>>,
    url: String,
    keys: TestKeys,
    /// The RSA key of `X-WH-Signature`; `None`: the RSA test key.
    #[cfg(feature = "legacy-rsa")]
    rsa: Option<RsaSigner>,
    retry: RetryPolicy,
}

impl MockSender {
    /// A sender posting to `url` (e.g. `http://127.0.0.1:PORT/webhooks`), signing with
    /// [`TestKeys::primary`], without retries.
    pub fn new(url: impl Into<String>) -> Result<Self, SendError> {
        let url = url.into();
        let parsed: Uri = url
            .parse()
            .map_err(|_| SendError::InvalidUrl(url.clone()))?;
        if parsed.scheme_str() != Some("http") || parsed.host().is_none() {
            return Err(SendError::InvalidUrl(url));
        }
        let client = Client::builder(TokioExecutor::new()).build_http();
        Ok(Self {
            client,
            url: url.trim_end_matches('/').to_owned(),
            keys: TestKeys::primary(),
            #[cfg(feature = "legacy-rsa")]
            rsa: None,
            retry: RetryPolicy::none(),
        })
    }

    /// Signs with other keys by default.
    pub fn with_keys(mut self, keys: TestKeys) -> Self {
        self.keys = keys;
        self
    }

    /// Signs `X-WH-Signature` (the RSA schemes) with this key instead of the RSA test key.
    #[cfg(feature = "legacy-rsa")]
    pub fn with_rsa_key(mut self, key: RsaSigner) -> Self {
        self.rsa = Some(key);
        self
    }

    /// Retries like HighLevel (see [`RetryPolicy::highlevel`] and [`RetryPolicy::legacy`]).
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The target URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A delivery of a typed event, with the envelope added.
    pub fn event<E: WebhookEvent>(&self, event: &E) -> Outgoing<'_> {
        let payload = serde_json::to_value(event).map(|v| Payload::Json {
            value: v,
            kind: Some(E::KIND),
        });
        self.outgoing(payload.map_err(SendError::from), Some(E::KIND))
    }

    /// A delivery of an [`Event`] (an `Unknown` one is sent as its raw bytes).
    pub fn any_event(&self, event: &Event) -> Outgoing<'_> {
        let kind = event.kind();
        let payload = match event {
            Event::Unknown(unknown) => Ok(Payload::Raw(unknown.raw.clone())),
            known => serde_json::to_value(known)
                .map(|mut tagged| Payload::Json {
                    value: tagged
                        .get_mut("event")
                        .map(Value::take)
                        .unwrap_or(Value::Null),
                    kind,
                })
                .map_err(SendError::from),
        };
        self.outgoing(payload, kind)
    }

    /// A delivery of a JSON value, with the envelope added.
    pub fn json(&self, value: Value) -> Outgoing<'_> {
        self.outgoing(Ok(Payload::Json { value, kind: None }), None)
    }

    /// A delivery of exactly these bytes: no envelope is added, they are signed as they are.
    pub fn raw(&self, bytes: impl Into<Bytes>) -> Outgoing<'_> {
        self.outgoing(Ok(Payload::Raw(bytes.into())), None)
    }

    fn outgoing(
        &self,
        payload: Result<Payload, SendError>,
        kind: Option<EventKind>,
    ) -> Outgoing<'_> {
        Outgoing {
            sender: self,
            payload,
            kind,
            webhook_id: WebhookId::Fresh,
            ed25519: Some(HeaderSource::Ed25519(self.keys.signing_key().clone())),
            rsa: None,
            tamper: false,
            path: None,
            method: Method::POST,
            content_type: Some("application/json".to_owned()),
            headers: Vec::new(),
            repeat_type: true,
        }
    }
}

/// The signature headers of a delivery: `(lower-case name, value)`.
pub type SignatureHeaders = Vec<(&'static str, String)>;
type Headers = SignatureHeaders;

#[derive(Debug)]
enum Payload {
    Json {
        value: Value,
        kind: Option<EventKind>,
    },
    Raw(Bytes),
}

#[derive(Debug, Clone)]
enum WebhookId {
    Fresh,
    Chosen(String),
    Omitted,
}

/// One outgoing mock delivery being prepared (a builder: its knobs, then [`Outgoing::send`]).
///
/// Not to be confused with the router's `Delivery`, which describes a delivery a handler
/// received.
#[must_use = "a delivery does nothing until `send` is awaited"]
#[derive(Debug)]
pub struct Outgoing<'a> {
    sender: &'a MockSender,
    payload: Result<Payload, SendError>,
    kind: Option<EventKind>,
    webhook_id: WebhookId,
    ed25519: Option<HeaderSource>,
    rsa: Option<HeaderSource>,
    tamper: bool,
    path: Option<String>,
    method: Method,
    content_type: Option<String>,
    headers: Vec<(String, String)>,
    repeat_type: bool,
}

impl Outgoing<'_> {
    /// Uses this `webhookId` (e.g. to send duplicates) instead of a fresh one.
    pub fn webhook_id(mut self, id: impl Into<String>) -> Self {
        self.webhook_id = WebhookId::Chosen(id.into());
        self
    }

    /// Sends no `webhookId` at all.
    pub fn without_webhook_id(mut self) -> Self {
        self.webhook_id = WebhookId::Omitted;
        self
    }

    /// Does not add the `type` field HighLevel would add for the event's kind.
    pub fn without_type(mut self) -> Self {
        self.repeat_type = false;
        self
    }

    /// Sends no signature header at all.
    pub fn unsigned(self) -> Self {
        self.scheme(Scheme::None)
    }

    /// Chooses the signature headers (default [`Scheme::Ed25519`]). RSA signatures use the
    /// sender's RSA key ([`MockSender::with_rsa_key`]), by default the RSA test key.
    pub fn scheme(mut self, scheme: Scheme) -> Self {
        let ed25519 = || {
            Some(HeaderSource::Ed25519(
                self.sender.keys.signing_key().clone(),
            ))
        };
        #[cfg(feature = "legacy-rsa")]
        let rsa = || {
            Some(match &self.sender.rsa {
                Some(key) => HeaderSource::Rsa(key.clone()),
                None => HeaderSource::RsaTestKey,
            })
        };
        #[cfg(not(feature = "legacy-rsa"))]
        let rsa = || None;
        (self.ed25519, self.rsa) = match scheme {
            Scheme::Ed25519 => (ed25519(), None),
            Scheme::Rsa => (None, rsa()),
            Scheme::Both => (ed25519(), rsa()),
            Scheme::None => (None, None),
        };
        self
    }

    /// Sends `X-GHL-Signature: N/A`, HighLevel's "no signature".
    pub fn not_applicable(self) -> Self {
        self.signature_header("N/A")
    }

    /// Sends this literal `X-GHL-Signature` value instead of signing.
    pub fn signature_header(mut self, value: impl Into<String>) -> Self {
        self.ed25519 = Some(HeaderSource::Literal(value.into()));
        self
    }

    /// Sends this literal `X-WH-Signature` value (legacy RSA header) as well.
    pub fn legacy_signature_header(mut self, value: impl Into<String>) -> Self {
        self.rsa = Some(HeaderSource::Literal(value.into()));
        self
    }

    /// Signs with another key (e.g. [`TestKeys::other`]).
    pub fn signed_by(mut self, keys: &TestKeys) -> Self {
        self.ed25519 = Some(HeaderSource::Ed25519(keys.signing_key().clone()));
        self
    }

    /// Signs `X-WH-Signature` with this RSA key (adding the header if the scheme had none).
    #[cfg(feature = "legacy-rsa")]
    pub fn signed_by_rsa(mut self, key: &RsaSigner) -> Self {
        self.rsa = Some(HeaderSource::Rsa(key.clone()));
        self
    }

    /// Changes one byte of the body after signing it.
    pub fn tamper(mut self) -> Self {
        self.tamper = true;
        self
    }

    /// Posts to `URL/<EventName>`: a route bound to the event's kind (see
    /// `WebhookService::bind_by_path`). No effect on deliveries of unknown kind.
    pub fn bound(mut self) -> Self {
        if let Some(kind) = self.kind {
            self.path = Some(format!("/{kind}"));
        }
        self
    }

    /// Posts to `URL` + `path`.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Uses another method than `POST`.
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Sets the `Content-Type` (`None`: no header).
    pub fn content_type(mut self, value: Option<&str>) -> Self {
        self.content_type = value.map(str::to_owned);
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The exact bytes this delivery posts, and its `webhookId`.
    pub fn into_bytes(self) -> Result<(Bytes, Option<String>), SendError> {
        self.build().map(|(bytes, id, _)| (bytes, id))
    }

    /// The exact bytes, and the signature headers (`x-ghl-signature`, `x-wh-signature`) as
    /// they would be sent: what `ghl-webhook sign` prints.
    pub fn into_signed(self) -> Result<(Bytes, SignatureHeaders), SendError> {
        self.build().map(|(bytes, _, headers)| (bytes, headers))
    }

    fn build(self) -> Result<(Bytes, Option<String>, Headers), SendError> {
        let (bytes, webhook_id) = match self.payload? {
            Payload::Raw(bytes) => (bytes, None),
            Payload::Json { mut value, kind } => {
                let id = match self.webhook_id {
                    // An event that models `webhookId` itself keeps its own.
                    WebhookId::Fresh => Some(
                        value
                            .get("webhookId")
                            .and_then(Value::as_str)
                            .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned),
                    ),
                    WebhookId::Chosen(id) => Some(id),
                    WebhookId::Omitted => None,
                };
                if let Value::Object(map) = &mut value {
                    if id.is_none() {
                        map.remove("webhookId");
                    }
                    add_envelope(map, kind.or(self.kind), id.as_deref(), self.repeat_type);
                }
                (Bytes::from(serde_json::to_vec(&value)?), id)
            }
        };
        let sign = |source: &HeaderSource| match source {
            HeaderSource::Ed25519(key) => crate::keys::sign_with(key, &bytes),
            #[cfg(feature = "legacy-rsa")]
            HeaderSource::RsaTestKey => crate::keys::rsa_keys::sign(&bytes),
            #[cfg(feature = "legacy-rsa")]
            HeaderSource::Rsa(key) => key.sign(&bytes),
            HeaderSource::Literal(value) => value.clone(),
        };
        let mut headers = Vec::new();
        if let Some(source) = &self.ed25519 {
            headers.push(("x-ghl-signature", sign(source)));
        }
        if let Some(source) = &self.rsa {
            headers.push(("x-wh-signature", sign(source)));
        }
        let bytes = if self.tamper { tamper(&bytes) } else { bytes };
        Ok((bytes, webhook_id, headers))
    }

    /// Posts the delivery (retrying per the sender's policy) and reports the outcome.
    pub async fn send(self) -> Result<Sent, SendError> {
        let sender = self.sender;
        let url = format!("{}{}", sender.url, self.path.as_deref().unwrap_or(""));
        let method = self.method.clone();
        let content_type = self.content_type.clone();
        let headers = self.headers.clone();
        let (payload, webhook_id, signatures) = self.build()?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut request = Request::builder().method(method.clone()).uri(&url);
            if let Some(ct) = &content_type {
                request = request.header(http::header::CONTENT_TYPE, ct);
            }
            for (name, value) in &signatures {
                request = request.header(*name, value);
            }
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            let request = request
                .body(Full::new(payload.clone()))
                .map_err(|_| SendError::InvalidUrl(url.clone()))?;
            let outcome = match sender.client.request(request).await {
                Ok(response) => {
                    let status = response.status();
                    match response.into_body().collect().await {
                        Ok(body) => Ok((status, body.to_bytes())),
                        Err(err) => Err(Box::new(err) as Box<dyn std::error::Error + Send + Sync>),
                    }
                }
                Err(err) => Err(Box::new(err) as Box<dyn std::error::Error + Send + Sync>),
            };
            let status = outcome.as_ref().ok().map(|(s, _)| *s);
            if attempts <= sender.retry.max_retries && sender.retry.retries(status) {
                tokio::time::sleep(sender.retry.delay(attempts)).await;
                continue;
            }
            return match outcome {
                Ok((status, body)) => Ok(Sent {
                    status,
                    body,
                    webhook_id,
                    payload,
                    attempts,
                }),
                Err(source) => Err(SendError::Http {
                    url,
                    attempts,
                    source,
                }),
            };
        }
    }
}

/// Adds the fields HighLevel adds, without overwriting what the payload already has.
fn add_envelope(
    map: &mut Map<String, Value>,
    kind: Option<EventKind>,
    id: Option<&str>,
    add_type: bool,
) {
    if add_type && let Some(sent_type) = kind.and_then(EventKind::sent_type) {
        map.entry("type").or_insert_with(|| sent_type.into());
    }
    if let Some(id) = id {
        map.insert("webhookId".into(), id.into());
    }
    crate::payload::fill_envelope(map, TEST_APP_ID, TEST_VERSION_ID);
}

/// Changes one byte: the first ASCII letter or digit after the first byte is shifted, so the
/// body usually stays valid JSON but no longer matches its signature.
fn tamper(bytes: &Bytes) -> Bytes {
    let mut out = bytes.to_vec();
    match out.iter().skip(1).position(u8::is_ascii_alphanumeric) {
        Some(i) => {
            let b = &mut out[i + 1];
            *b = match *b {
                b'z' | b'Z' | b'9' => *b - 1,
                other => other + 1,
            };
        }
        None if out.is_empty() => out.push(b' '),
        None => out[0] ^= 0x01,
    }
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tampering_changes_exactly_one_byte() {
        let body = Bytes::from_static(br#"{"id":"abc"}"#);
        let t = tamper(&body);
        assert_eq!(t.len(), body.len());
        assert_eq!(t.iter().zip(body.iter()).filter(|(a, b)| a != b).count(), 1);
        assert_ne!(tamper(&Bytes::new()), Bytes::new());
    }

    #[test]
    fn invalid_urls_are_rejected_up_front() {
        for url in ["", "not a url", "ftp://x/", "/relative", "https://"] {
            assert!(MockSender::new(url).is_err(), "{url}");
        }
    }

    #[test]
    fn the_envelope_never_overwrites_payload_fields_except_the_webhook_id() {
        let mut map = Map::new();
        map.insert("type".into(), "Custom".into());
        map.insert("appId".into(), "mine".into());
        add_envelope(
            &mut map,
            Some(EventKind::AssociationDelete),
            Some("w"),
            true,
        );
        assert_eq!(map["type"], "Custom");
        assert_eq!(map["appId"], "mine");
        assert_eq!(map["webhookId"], "w");
        assert!(map.contains_key("timestamp") && map.contains_key("versionId"));
    }
}
