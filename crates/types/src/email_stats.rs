//! LC Email events: delivery statistics of an e-mail sent through LC Email (HighLevel's
//! Mailgun-based e-mail service).
//!
//! LCEmailStats wraps one Mailgun event object in `webhookPayload`. The fields HighLevel's
//! schema documents are typed (kebab-case on the wire, as Mailgun sends them), plus a few
//! common Mailgun fields the schema omits (`severity`, `reason`, `url`, `ip`,
//! `user-variables`, `subject`); everything else Mailgun adds is ignored, never rejected.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::open_enum;

open_enum! {
    /// The Mailgun event type.
    pub enum EmailEventType {
        /// Mailgun accepted the message for delivery.
        Accepted => "accepted",
        /// Mailgun rejected the message.
        Rejected => "rejected",
        /// The recipient's server accepted the message.
        Delivered => "delivered",
        /// Delivery failed (see `severity`: temporary or permanent).
        Failed => "failed",
        /// The recipient opened the message.
        Opened => "opened",
        /// The recipient clicked a link.
        Clicked => "clicked",
        /// The recipient unsubscribed.
        Unsubscribed => "unsubscribed",
        /// The recipient marked the message as spam.
        Complained => "complained",
        /// The message was stored.
        Stored => "stored",
    }
}

open_enum! {
    /// Mailgun's log level of an event.
    pub enum LogLevel {
        /// Informational (delivered, opened, ...).
        Info => "info",
        /// Warning (temporary failure).
        Warn => "warn",
        /// Error (permanent failure).
        Error => "error",
    }
}

open_enum! {
    /// Whether a failure is final.
    pub enum Severity {
        /// Mailgun will retry.
        Temporary => "temporary",
        /// Mailgun gave up.
        Permanent => "permanent",
    }
}

/// Mailgun's flags of an event.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailFlags {
    /// The message was sent by an authenticated sender.
    #[serde(rename = "is-authenticated")]
    pub is_authenticated: Option<bool>,
    /// The message was routed.
    #[serde(rename = "is-routed")]
    pub is_routed: Option<bool>,
    /// The message is large.
    #[serde(rename = "is-big")]
    pub is_big: Option<bool>,
    /// The message is a system test.
    #[serde(rename = "is-system-test")]
    pub is_system_test: Option<bool>,
    /// The message was sent in test mode.
    #[serde(rename = "is-test-mode")]
    pub is_test_mode: Option<bool>,
}

/// Headers of the message.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailHeaders {
    /// The `Message-Id` header.
    #[serde(rename = "message-id")]
    pub message_id: Option<String>,
    /// The `From` header, e.g. `Name <a@example.com>`.
    pub from: Option<String>,
    /// The `To` header, one string (several addresses are comma-separated, as Mailgun sends
    /// them).
    pub to: Option<String>,
    /// The `Subject` header (Mailgun sends it; not in HighLevel's schema).
    pub subject: Option<String>,
}

/// The message the event is about.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailMessage {
    /// Attachments, as Mailgun describes them (an untyped list in the doc). Absent or `null`
    /// is an empty list.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub attachments: Vec<serde_json::Value>,
    /// The message headers.
    pub headers: Option<EmailHeaders>,
    /// Size of the message in bytes.
    pub size: Option<i64>,
}

/// The outcome of the delivery attempt.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryStatus {
    /// Number of the attempt.
    #[serde(rename = "attempt-no")]
    pub attempt_no: Option<i64>,
    /// SMTP status code, e.g. `250`.
    pub code: Option<i64>,
    /// SMTP response message.
    pub message: Option<String>,
    /// Human-readable description.
    pub description: Option<String>,
    /// Duration of the SMTP session, in seconds.
    #[serde(rename = "session-seconds")]
    pub session_seconds: Option<f64>,
    /// Enhanced SMTP status code, e.g. `5.1.1`.
    #[serde(rename = "enhanced-code")]
    pub enhanced_code: Option<String>,
    /// The MX host that answered.
    #[serde(rename = "mx-host")]
    pub mx_host: Option<String>,
    /// Whether the SMTP session used UTF-8.
    pub utf8: Option<bool>,
    /// Seconds until the first delivery attempt.
    #[serde(rename = "i-first-delivery-attempt-seconds")]
    pub i_first_delivery_attempt_seconds: Option<f64>,
}

/// The SMTP envelope of the message (not HighLevel's delivery envelope).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendingEnvelope {
    /// The envelope sender.
    pub sender: Option<String>,
    /// The envelope recipient(s), one string.
    pub targets: Option<String>,
    /// The transport, e.g. `smtp`.
    pub transport: Option<String>,
    /// The IP address the message was sent from.
    #[serde(rename = "sending-ip")]
    pub sending_ip: Option<String>,
    /// The sending IP pool's id.
    #[serde(rename = "i-ip-pool-id")]
    pub i_ip_pool_id: Option<String>,
    /// The sending IP pool's name.
    #[serde(rename = "i-ip-pool-name")]
    pub i_ip_pool_name: Option<String>,
}

/// One Mailgun event (`webhookPayload` of LCEmailStats).
///
/// `id` (Mailgun's event id) identifies the event and is required; every other field may be
/// absent or `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailEvent {
    /// Mailgun's event id.
    pub id: String,
    /// What happened (`delivered`, `failed`, `opened`, ...).
    pub event: Option<EmailEventType>,
    /// When it happened, in seconds since the Unix epoch. Documented as an integer, but
    /// Mailgun sends fractional seconds, so kept as `f64`.
    pub timestamp: Option<f64>,
    /// Mailgun's flags.
    pub flags: Option<EmailFlags>,
    /// The message.
    pub message: Option<EmailMessage>,
    /// Log level (`info`, `warn`, `error`, ...).
    #[serde(rename = "log-level")]
    pub log_level: Option<LogLevel>,
    /// The recipient's address.
    pub recipient: Option<String>,
    /// The recipient's domain.
    #[serde(rename = "recipient-domain")]
    pub recipient_domain: Option<String>,
    /// Tags of the message (HighLevel sets e.g. `loc_<locationId>`). Absent or `null` is an
    /// empty list.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub tags: Vec<String>,
    /// The recipient's mailbox provider as Mailgun guesses it (`Gmail`, `Other`, ...).
    #[serde(rename = "recipient-provider")]
    pub recipient_provider: Option<String>,
    /// Mailgun campaigns (an untyped list in the doc). Absent or `null` is an empty list.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub campaigns: Vec<serde_json::Value>,
    /// Outcome of the delivery attempt (delivered and failed events).
    #[serde(rename = "delivery-status")]
    pub delivery_status: Option<DeliveryStatus>,
    /// The SMTP envelope.
    pub envelope: Option<SendingEnvelope>,
    /// Whether a failure is temporary or permanent (failed events; Mailgun field, not in
    /// HighLevel's schema).
    pub severity: Option<Severity>,
    /// Why it failed, e.g. `bounce` (failed events; Mailgun field, not in HighLevel's schema).
    pub reason: Option<String>,
    /// The clicked URL (clicked events; Mailgun field, not in HighLevel's schema).
    pub url: Option<String>,
    /// The IP address of the opener or clicker (Mailgun field, not in HighLevel's schema).
    pub ip: Option<String>,
    /// Custom variables attached to the message: free-form (Mailgun field, not in
    /// HighLevel's schema).
    #[serde(rename = "user-variables")]
    pub user_variables: Option<serde_json::Value>,
}

/// Statistics of an e-mail sent through LC Email: one Mailgun event (delivered, opened,
/// failed, ...). Identified by `type` `LCEmailStats`. Available to location-level apps only.
///
/// The Mailgun event in `webhookPayload` is the subject and is required.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LCEmailStats {
    /// The location (sub-account) that sent the e-mail.
    pub location_id: Option<String>,
    /// The agency (company) of the location.
    pub company_id: Option<String>,
    /// The Mailgun event.
    pub webhook_payload: EmailEvent,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, EventKind, WebhookEvent};

    #[test]
    fn unknown_nested_fields_and_null_optionals_still_decode() {
        let body = br#"{"type":"LCEmailStats","locationId":null,"companyId":null,
            "webhookPayload":{"id":"ev1","event":"failed","timestamp":1521472262.908181,
            "severity":"permanent","reason":"bounce","tags":null,"campaigns":null,
            "log-level":"error","recipient-provider":null,
            "message":{"attachments":null,"headers":{"to":"a@example.com","x-new":"y"},"size":null},
            "delivery-status":{"code":550,"bounce-code":"5.1.1","tls":true,"mx-host":null},
            "geolocation":{"country":"US"},"user-variables":{"contactId":"c1"}}}"#;
        let event = LCEmailStats::decode(body).expect("decodes");
        assert_eq!(event.location_id, None);
        let payload = &event.webhook_payload;
        assert_eq!(payload.id, "ev1");
        assert_eq!(payload.event, Some(EmailEventType::Failed));
        assert_eq!(payload.timestamp, Some(1521472262.908181));
        assert_eq!(payload.severity, Some(Severity::Permanent));
        assert!(payload.tags.is_empty() && payload.campaigns.is_empty());
        let message = payload.message.as_ref().expect("message");
        assert!(message.attachments.is_empty());
        assert_eq!(message.size, None);
        let status = payload.delivery_status.as_ref().expect("status");
        assert_eq!(status.code, Some(550));
        assert_eq!(status.mx_host, None);
    }

    #[test]
    fn new_event_types_and_log_levels_land_in_other() {
        let body = br#"{"webhookPayload":{"id":"ev1","event":"list_member_uploaded","log-level":"debug"}}"#;
        let event = LCEmailStats::decode(body).expect("decodes");
        assert_eq!(
            event.webhook_payload.event,
            Some(EmailEventType::Other("list_member_uploaded".into()))
        );
        assert_eq!(
            event.webhook_payload.log_level,
            Some(LogLevel::Other("debug".into()))
        );
    }

    #[test]
    fn the_mailgun_event_and_its_id_are_required() {
        let err = Event::decode(EventKind::LCEmailStats, br#"{"locationId":"l"}"#)
            .expect_err("no payload");
        assert!(err.message.contains("webhookPayload"), "{err}");
        let err = Event::decode(
            EventKind::LCEmailStats,
            br#"{"webhookPayload":{"event":"delivered"}}"#,
        )
        .expect_err("no id");
        assert_eq!(err.path, "webhookPayload");
    }

    #[test]
    fn kebab_case_names_serialize_as_mailgun_sends_them() {
        let body = br#"{"webhookPayload":{"id":"e","log-level":"info","recipient-domain":"x.io",
            "delivery-status":{"attempt-no":1,"session-seconds":0.087},
            "flags":{"is-test-mode":false},"envelope":{"sending-ip":"127.0.0.1"}}}"#;
        let event = LCEmailStats::decode(body).expect("decodes");
        let json = serde_json::to_value(&event).expect("serializes");
        let payload = &json["webhookPayload"];
        assert_eq!(payload["log-level"], "info");
        assert_eq!(payload["recipient-domain"], "x.io");
        assert_eq!(payload["delivery-status"]["attempt-no"], 1);
        assert_eq!(payload["delivery-status"]["session-seconds"], 0.087);
        assert_eq!(payload["flags"]["is-test-mode"], false);
        assert_eq!(payload["envelope"]["sending-ip"], "127.0.0.1");
    }
}
