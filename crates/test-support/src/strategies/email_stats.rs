//! Strategies for the LC Email events.

use ghl_webhook_types::email_stats::{
    DeliveryStatus, EmailEvent, EmailEventType, EmailFlags, EmailHeaders, EmailMessage,
    LCEmailStats, LogLevel, SendingEnvelope, Severity,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::common::{
    domain, email, free_text, hundredths, id, ip_address, json_value, open_value, url,
};

/// Mailgun's flags.
pub fn email_flags() -> impl Strategy<Value = EmailFlags> {
    (
        of(any::<bool>()),
        of(any::<bool>()),
        of(any::<bool>()),
        of(any::<bool>()),
        of(any::<bool>()),
    )
        .prop_map(
            |(is_authenticated, is_routed, is_big, is_system_test, is_test_mode)| EmailFlags {
                is_authenticated,
                is_routed,
                is_big,
                is_system_test,
                is_test_mode,
            },
        )
}

/// Message headers.
pub fn email_headers() -> impl Strategy<Value = EmailHeaders> {
    (
        of("<[a-zA-Z0-9.]{1,20}@[a-z]{1,12}\\.com>"),
        of(free_text()),
        of(email()),
        of(free_text()),
    )
        .prop_map(|(message_id, from, to, subject)| EmailHeaders {
            message_id,
            from,
            to,
            subject,
        })
}

/// The message of an event.
pub fn email_message() -> impl Strategy<Value = EmailMessage> {
    (
        vec(json_value(), 0..3),
        of(email_headers()),
        of(any::<i64>()),
    )
        .prop_map(|(attachments, headers, size)| EmailMessage {
            attachments,
            headers,
            size,
        })
}

/// The outcome of a delivery attempt.
pub fn delivery_status() -> impl Strategy<Value = DeliveryStatus> {
    (
        of(0i64..10),
        of(200i64..600),
        of(free_text()),
        of(free_text()),
        of(hundredths(0..1_000_000)),
        of("[245]\\.[0-9]\\.[0-9]"),
        of("[a-z]{1,10}\\.[a-z]{1,10}\\.com"),
        of(any::<bool>()),
        of(hundredths(0..1_000_000)),
    )
        .prop_map(
            |(
                attempt_no,
                code,
                message,
                description,
                session_seconds,
                enhanced_code,
                mx_host,
                utf8,
                i_first_delivery_attempt_seconds,
            )| DeliveryStatus {
                attempt_no,
                code,
                message,
                description,
                session_seconds,
                enhanced_code,
                mx_host,
                utf8,
                i_first_delivery_attempt_seconds,
            },
        )
}

/// The SMTP envelope.
pub fn sending_envelope() -> impl Strategy<Value = SendingEnvelope> {
    (
        of(email()),
        of(email()),
        of("(smtp|http)"),
        of(ip_address()),
        of("[0-9a-f]{24}"),
        of(free_text()),
    )
        .prop_map(
            |(sender, targets, transport, sending_ip, i_ip_pool_id, i_ip_pool_name)| {
                SendingEnvelope {
                    sender,
                    targets,
                    transport,
                    sending_ip,
                    i_ip_pool_id,
                    i_ip_pool_name,
                }
            },
        )
}

/// One Mailgun event, with documented and unknown event types, log levels and severities.
pub fn email_event() -> impl Strategy<Value = EmailEvent> {
    (
        (
            id(),
            of(open_value::<EmailEventType>(EmailEventType::KNOWN)),
            of(hundredths(0..400_000_000_000)),
        ),
        (of(email_flags()), of(email_message())),
        of(open_value::<LogLevel>(LogLevel::KNOWN)),
        (of(email()), of(domain()), of("(Gmail|Yahoo|Other)")),
        (
            vec("[a-z]{3}_[a-zA-Z0-9]{1,20}", 0..3),
            vec(json_value(), 0..3),
        ),
        (of(delivery_status()), of(sending_envelope())),
        (
            of(open_value::<Severity>(Severity::KNOWN)),
            of(free_text()),
            of(url()),
            of(ip_address()),
            of(json_value()),
        ),
    )
        .prop_map(
            |(
                (id, event, timestamp),
                (flags, message),
                log_level,
                (recipient, recipient_domain, recipient_provider),
                (tags, campaigns),
                (delivery_status, envelope),
                (severity, reason, url, ip, user_variables),
            )| EmailEvent {
                id,
                event,
                timestamp,
                flags,
                message,
                log_level,
                recipient,
                recipient_domain,
                tags,
                recipient_provider,
                campaigns,
                delivery_status,
                envelope,
                severity,
                reason,
                url,
                ip,
                user_variables,
            },
        )
}

/// An LCEmailStats.
pub fn lc_email_stats() -> impl Strategy<Value = LCEmailStats> {
    (of(id()), of(id()), email_event()).prop_map(|(location_id, company_id, webhook_payload)| {
        LCEmailStats {
            location_id,
            company_id,
            webhook_payload,
        }
    })
}

event_strategies! {
    LCEmailStats => lc_email_stats(),
}
