//! The control API's routes: settings, subscriptions, sending events, the delivery log and
//! Resend, the breaker; and the dashboard page at `/`.

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::simulator::config::{Subscription, parse_event};
use crate::simulator::control::respond::{self, error, json, method_not_allowed};
use crate::simulator::engine::{SimError, Simulator};
use crate::simulator::payload::EventRequest;

/// The dashboard page: plain HTML and JS, polling this API.
const DASHBOARD: &str = include_str!("dashboard.html");

/// The largest request body accepted (a payload plus overrides).
pub(super) const MAX_BODY: usize = 1 << 20;

type Answer = Response<Full<Bytes>>;

/// Answers one request; never fails (every error is a JSON answer).
pub(super) async fn handle(sim: &Simulator, request: Request<Incoming>) -> Answer {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => {
            let too_large = err
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            return if too_large {
                error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("the request body is over {MAX_BODY} bytes"),
                )
            } else {
                error(
                    StatusCode::BAD_REQUEST,
                    &format!("the request body could not be read: {err}"),
                )
            };
        }
    };
    let path = parts.uri.path().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    route(sim, &parts.method, &segments, &body).await
}

async fn route(sim: &Simulator, method: &Method, segments: &[&str], body: &Bytes) -> Answer {
    match segments {
        [] | [""] => match *method {
            Method::GET | Method::HEAD => {
                respond::with_type(StatusCode::OK, "text/html; charset=utf-8", DASHBOARD)
            }
            _ => method_not_allowed("GET"),
        },
        ["api", "settings"] => match *method {
            Method::GET => settings(sim),
            Method::PUT => match parse::<SettingsUpdate>(body) {
                Ok(update) => match sim.set_webhook_url(update.webhook_url) {
                    Ok(()) => settings(sim),
                    Err(err) => sim_error(&err),
                },
                Err(refusal) => refusal.answer(),
            },
            _ => method_not_allowed("GET, PUT"),
        },
        ["api", "subscriptions"] => match *method {
            Method::GET => json(StatusCode::OK, &sim.settings().subscriptions),
            Method::PUT => match parse::<Vec<Subscription>>(body) {
                Ok(subs) => match sim.set_subscriptions(subs) {
                    Ok(()) => json(StatusCode::OK, &sim.settings().subscriptions),
                    Err(err) => sim_error(&err),
                },
                Err(refusal) => refusal.answer(),
            },
            Method::POST => match parse::<Subscription>(body) {
                Ok(sub) => match sim.subscribe(sub) {
                    Ok(()) => json(StatusCode::OK, &sim.settings().subscriptions),
                    Err(err) => sim_error(&err),
                },
                Err(refusal) => refusal.answer(),
            },
            _ => method_not_allowed("GET, PUT, POST"),
        },
        ["api", "subscriptions", name] => match *method {
            Method::DELETE => match parse_event(name) {
                Ok(kind) if sim.unsubscribe(kind) => {
                    json(StatusCode::OK, &sim.settings().subscriptions)
                }
                Ok(kind) => error(StatusCode::NOT_FOUND, &format!("{kind} is not subscribed")),
                Err(err) => error(StatusCode::BAD_REQUEST, &err.to_string()),
            },
            _ => method_not_allowed("DELETE"),
        },
        ["api", "events"] => match *method {
            Method::POST => match parse::<EventRequest>(body) {
                Ok(request) => match sim.send_event(request) {
                    Ok(ids) => {
                        let made: Vec<_> =
                            ids.into_iter().filter_map(|id| sim.delivery(id)).collect();
                        json(StatusCode::ACCEPTED, &json!({ "deliveries": made }))
                    }
                    Err(err) => sim_error(&err),
                },
                Err(refusal) => refusal.answer(),
            },
            _ => method_not_allowed("POST"),
        },
        ["api", "deliveries"] => match *method {
            Method::GET => json(
                StatusCode::OK,
                &json!({ "now_secs": sim.now_secs(), "deliveries": sim.deliveries() }),
            ),
            Method::DELETE => {
                sim.clear_log();
                json(StatusCode::OK, &json!({ "deliveries": [] }))
            }
            _ => method_not_allowed("GET, DELETE"),
        },
        ["api", "deliveries", id] => match *method {
            Method::GET => match delivery_id(id) {
                Ok(id) => match sim.delivery(id) {
                    Some(d) => json(StatusCode::OK, &d),
                    None => sim_error(&SimError::NoSuchDelivery(id)),
                },
                Err(refusal) => refusal.answer(),
            },
            _ => method_not_allowed("GET"),
        },
        ["api", "deliveries", id, "resend"] => match *method {
            Method::POST => {
                let id = match delivery_id(id) {
                    Ok(id) => id,
                    Err(refusal) => return refusal.answer(),
                };
                let request = if body.iter().all(u8::is_ascii_whitespace) {
                    ResendRequest::default()
                } else {
                    match parse::<ResendRequest>(body) {
                        Ok(request) => request,
                        Err(refusal) => return refusal.answer(),
                    }
                };
                match sim.resend(id, request.attempt).await {
                    Ok(attempt) => json(
                        StatusCode::OK,
                        &json!({ "attempt": attempt, "delivery": sim.delivery(id) }),
                    ),
                    Err(err) => sim_error(&err),
                }
            }
            _ => method_not_allowed("POST"),
        },
        ["api", "breaker"] => match *method {
            Method::GET => breaker(sim),
            _ => method_not_allowed("GET"),
        },
        ["api", "breaker", "reset"] => match *method {
            Method::POST => {
                let request = if body.iter().all(u8::is_ascii_whitespace) {
                    ResetRequest::default()
                } else {
                    match parse::<ResetRequest>(body) {
                        Ok(request) => request,
                        Err(refusal) => return refusal.answer(),
                    }
                };
                let reset = sim.reset_breaker(request.url.as_deref());
                let mut answer = breaker_value(sim);
                answer["reset"] = reset.into();
                json(StatusCode::OK, &answer)
            }
            _ => method_not_allowed("POST"),
        },
        _ => error(
            StatusCode::NOT_FOUND,
            "no such path: see `ghl-webhook simulate --help` for the control API",
        ),
    }
}

/// `PUT /api/settings`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsUpdate {
    webhook_url: Option<String>,
}

/// `POST /api/deliveries/{id}/resend`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResendRequest {
    attempt: Option<u32>,
}

/// `POST /api/breaker/reset`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetRequest {
    url: Option<String>,
}

fn settings(sim: &Simulator) -> Answer {
    let config = sim.config();
    let settings = sim.settings();
    json(
        StatusCode::OK,
        &json!({
            "webhook_url": settings.webhook_url,
            "subscriptions": settings.subscriptions,
            "retry_policy": config.retry_policy,
            "time_scale": config.time_scale,
            "attempt_timeout_ms": config.attempt_timeout_ms,
            "retention_days": config.retention_days,
            "breaker": config.breaker,
            "habits": config.habits,
            "allow_remote": config.allow_remote,
            "signing": config.signing_key.scheme_name(),
            "now_secs": sim.now_secs(),
        }),
    )
}

fn breaker_value(sim: &Simulator) -> serde_json::Value {
    json!({
        "now_secs": sim.now_secs(),
        "next_check_secs": sim.next_breaker_check(),
        "config": sim.config().breaker,
        "urls": sim.breaker(),
    })
}

fn breaker(sim: &Simulator) -> Answer {
    json(StatusCode::OK, &breaker_value(sim))
}

/// A request refused as malformed: answered 400 with the message.
struct Refusal(String);

impl Refusal {
    fn answer(self) -> Answer {
        error(StatusCode::BAD_REQUEST, &self.0)
    }
}

/// The JSON body as `T`, or why it is not.
fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Refusal(
            "the request body is empty: send a JSON body".to_owned(),
        ));
    }
    serde_json::from_slice(body).map_err(|err| {
        Refusal(format!(
            "the request body is not the JSON expected here: {err}"
        ))
    })
}

/// A delivery number from the path.
fn delivery_id(text: &str) -> Result<u64, Refusal> {
    text.parse()
        .map_err(|_| Refusal(format!("`{text}` is not a delivery number (1, 2, ...)")))
}

fn sim_error(err: &SimError) -> Answer {
    let status = match err {
        SimError::Config(_) | SimError::Payload(_) => StatusCode::BAD_REQUEST,
        SimError::NoSuchDelivery(_) => StatusCode::NOT_FOUND,
        SimError::NotSubscribed(_)
        | SimError::NoUrl(_)
        | SimError::NotLatestAttempt { .. }
        | SimError::AlreadyDelivered(_)
        | SimError::NothingToResend(_)
        | SimError::InFlight(_)
        | SimError::Paused(_) => StatusCode::CONFLICT,
        SimError::Timeout(..) => StatusCode::GATEWAY_TIMEOUT,
        SimError::Serialize(_) | SimError::NoRuntime => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error(status, &err.to_string())
}
