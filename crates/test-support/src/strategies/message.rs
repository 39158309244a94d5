//! Strategies for the message events (InboundMessage, OutboundMessage,
//! ProviderOutboundMessage).

use ghl_webhook_types::lenient::OneOrMany;
use ghl_webhook_types::message::{
    CallStatus, InboundMessage, Message, MessageDirection, MessageSource, MessageStatus,
    MessageType, MessageTypeString, OutboundMessage, ProviderMessageType, ProviderOutboundMessage,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::common::{email, file_url, free_text, id, open_value, phone, timestamp};

/// A phone number, an e-mail address, or `Name <address>`.
fn address() -> impl Strategy<Value = String> {
    prop_oneof![
        phone(),
        email(),
        ("[A-Za-z ]{1,16}", email()).prop_map(|(name, addr)| format!("{name} <{addr}>")),
    ]
}

/// A string-or-list field (`to`, `cc`, `emailTo`): 0 to 2 addresses.
fn addresses() -> impl Strategy<Value = OneOrMany> {
    vec(address(), 0..3).prop_map(OneOrMany)
}

fn attachments() -> impl Strategy<Value = Vec<String>> {
    vec(file_url(), 0..3)
}

/// The fields InboundMessage and OutboundMessage share, except the e-mail ones.
#[derive(Debug, Clone)]
struct Common {
    conversation_id: String,
    message_id: Option<String>,
    location_id: Option<String>,
    contact_id: Option<String>,
    user_id: Option<String>,
    message_type: Option<MessageType>,
    message_type_id: Option<u32>,
    message_type_string: Option<MessageTypeString>,
    direction: Option<MessageDirection>,
    status: Option<MessageStatus>,
    content_type: Option<String>,
    body: Option<String>,
    attachments: Vec<String>,
    date_added: Option<String>,
    conversation_provider_id: Option<String>,
    chat_widget_id: Option<String>,
    from: Option<String>,
    to: Option<OneOrMany>,
    call_duration: Option<u64>,
    call_status: Option<CallStatus>,
}

/// The e-mail fields InboundMessage and OutboundMessage share.
#[derive(Debug, Clone)]
struct EmailFields {
    email_message_id: Option<String>,
    thread_id: Option<String>,
    provider: Option<String>,
    subject: Option<String>,
    cc: Option<OneOrMany>,
    bcc: Option<OneOrMany>,
    cc_list: Vec<String>,
    bcc_list: Vec<String>,
}

fn common() -> impl Strategy<Value = Common> {
    (
        (id(), of(id()), of(id()), of(id()), of(id())),
        (
            of(open_value::<MessageType>(MessageType::KNOWN)),
            of(0u32..40),
            of(open_value::<MessageTypeString>(MessageTypeString::KNOWN)),
            of(open_value::<MessageDirection>(MessageDirection::KNOWN)),
            of(open_value::<MessageStatus>(MessageStatus::KNOWN)),
        ),
        (
            of("text/(plain|html)"),
            of(free_text()),
            attachments(),
            of(timestamp()),
        ),
        (of(id()), of(id()), of(address()), of(addresses())),
        (
            of(0u64..100_000),
            of(open_value::<CallStatus>(CallStatus::KNOWN)),
        ),
    )
        .prop_map(
            |(
                (conversation_id, message_id, location_id, contact_id, user_id),
                (message_type, message_type_id, message_type_string, direction, status),
                (content_type, body, attachments, date_added),
                (conversation_provider_id, chat_widget_id, from, to),
                (call_duration, call_status),
            )| Common {
                conversation_id,
                message_id,
                location_id,
                contact_id,
                user_id,
                message_type,
                message_type_id,
                message_type_string,
                direction,
                status,
                content_type,
                body,
                attachments,
                date_added,
                conversation_provider_id,
                chat_widget_id,
                from,
                to,
                call_duration,
                call_status,
            },
        )
}

fn email_fields() -> impl Strategy<Value = EmailFields> {
    (
        of(id()),
        of(id()),
        of("[A-Za-z ]{1,16}"),
        of(free_text()),
        of(addresses()),
        of(addresses()),
        vec(email(), 0..3),
        vec(email(), 0..3),
    )
        .prop_map(
            |(email_message_id, thread_id, provider, subject, cc, bcc, cc_list, bcc_list)| {
                EmailFields {
                    email_message_id,
                    thread_id,
                    provider,
                    subject,
                    cc,
                    bcc,
                    cc_list,
                    bcc_list,
                }
            },
        )
}

/// The Message body: every channel's fields independently present or absent; the three
/// outbound-only fields (`source`, `plainText`, `mentions`) only when `outbound`.
pub fn message(outbound: bool) -> impl Strategy<Value = Message> {
    let extras = if outbound {
        (
            of(open_value::<MessageSource>(MessageSource::KNOWN)),
            of(free_text()),
            vec(id(), 0..3),
        )
            .boxed()
    } else {
        Just((None, None, Vec::new())).boxed()
    };
    (common(), email_fields(), extras).prop_map(|(c, e, (source, plain_text, mentions))| Message {
        conversation_id: c.conversation_id,
        message_id: c.message_id,
        location_id: c.location_id,
        contact_id: c.contact_id,
        user_id: c.user_id,
        message_type: c.message_type,
        message_type_id: c.message_type_id,
        message_type_string: c.message_type_string,
        direction: c.direction,
        status: c.status,
        source,
        content_type: c.content_type,
        body: c.body,
        plain_text,
        attachments: c.attachments,
        mentions,
        date_added: c.date_added,
        conversation_provider_id: c.conversation_provider_id,
        chat_widget_id: c.chat_widget_id,
        from: c.from,
        to: c.to,
        call_duration: c.call_duration,
        call_status: c.call_status,
        email_message_id: e.email_message_id,
        thread_id: e.thread_id,
        provider: e.provider,
        subject: e.subject,
        cc: e.cc,
        bcc: e.bcc,
        cc_list: e.cc_list,
        bcc_list: e.bcc_list,
    })
}

/// An InboundMessage, with channel-specific fields (call, e-mail) independently present or
/// absent.
pub fn inbound_message() -> impl Strategy<Value = InboundMessage> {
    message(false).prop_map(InboundMessage)
}

/// An OutboundMessage, including internal comments with mentions and e-mails.
pub fn outbound_message() -> impl Strategy<Value = OutboundMessage> {
    message(true).prop_map(OutboundMessage)
}

/// A ProviderOutboundMessage, its `type` a documented channel (SMS, Email) or an unknown one.
pub fn provider_outbound_message() -> impl Strategy<Value = ProviderOutboundMessage> {
    (
        (
            id(),
            of(open_value::<ProviderMessageType>(
                ProviderMessageType::KNOWN,
            )),
            of(id()),
            of(id()),
            of(id()),
            of(id()),
        ),
        (of(free_text()), of(phone()), attachments()),
        (
            of(addresses()),
            of(address()),
            of(free_text()),
            of(free_text()),
        ),
    )
        .prop_map(
            |(
                (message_id, message_type, contact_id, location_id, email_message_id, user_id),
                (message, phone, attachments),
                (email_to, email_from, subject, html),
            )| ProviderOutboundMessage {
                message_id,
                message_type,
                contact_id,
                location_id,
                email_message_id,
                user_id,
                message,
                phone,
                attachments,
                email_to,
                email_from,
                subject,
                html,
            },
        )
}

event_strategies! {
    InboundMessage => inbound_message(),
    OutboundMessage => outbound_message(),
    ProviderOutboundMessage => provider_outbound_message(),
}
