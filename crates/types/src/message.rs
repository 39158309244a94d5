//! Message events: a contact sent a message (InboundMessage), a user sent one
//! (OutboundMessage), or HighLevel asks a Conversation Provider to deliver one
//! (ProviderOutboundMessage).
//!
//! InboundMessage and OutboundMessage share one body, [`Message`], covering every channel: the docs give
//! one shape for SMS/Call/Voicemail/chat messages and an extended one for e-mail (`subject`,
//! `emailMessageId`, `threadId`, `cc`/`bcc`, `ccList`/`bccList`, ...), and the channel is only
//! known from `messageType`, so the channel-specific fields are all optional.
//!
//! ProviderOutboundMessage carries no `type` naming the event: its `type` is the channel
//! (`SMS`, `Email`), modelled as [`ProviderOutboundMessage::message_type`]. It is sent to a
//! Conversation Provider's delivery URL, so it is identified by route binding.
//!
//! Address fields drift: an e-mail `to` is a list in one doc version and a string in the
//! next, and ProviderOutboundMessage's `emailTo` is documented as a string but shown as a
//! list. Those are [`OneOrMany`], which reads both and always writes a list. Messages of custom
//! conversation providers have been reported with `from`/`to` sent as objects (`{}`); those
//! are read as absent rather than failing the delivery.

use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::lenient::OneOrMany;
use crate::open_enum;
use crate::shape::same_shape;

open_enum! {
    /// The channel of a message (`messageType` in InboundMessage/OutboundMessage).
    ///
    /// The wire values are not uniform (`CALL`, `VoiceMail`, `Email`, `InternalComment`): these
    /// are the ones shown by the webhook docs, plus the channel names of the Conversations
    /// API for the other channels.
    pub enum MessageType {
        /// SMS.
        Sms => "SMS",
        /// A phone call (answered or not).
        Call => "CALL",
        /// A voicemail (e.g. dropped by a workflow).
        Voicemail => "VoiceMail",
        /// E-mail: the e-mail fields are set.
        Email => "Email",
        /// Google Business messages.
        Gmb => "GMB",
        /// Facebook Messenger.
        Fb => "FB",
        /// Instagram direct messages.
        Ig => "IG",
        /// WhatsApp.
        WhatsApp => "WhatsApp",
        /// Live chat widget.
        LiveChat => "Live_Chat",
        /// Web chat.
        WebChat => "WebChat",
        /// A custom conversation provider.
        Custom => "Custom",
        /// An internal comment, visible to users only (OutboundMessage).
        InternalComment => "InternalComment",
    }
}

open_enum! {
    /// The Conversations API name of a message's type (`messageTypeString`, e.g. `TYPE_SMS`).
    pub enum MessageTypeString {
        /// A call.
        Call => "TYPE_CALL",
        /// An SMS.
        Sms => "TYPE_SMS",
        /// An e-mail.
        Email => "TYPE_EMAIL",
        /// A voicemail (shown by the webhook docs, not listed by the Conversations API).
        Voicemail => "TYPE_VOICEMAIL",
        /// Web chat.
        Webchat => "TYPE_WEBCHAT",
        /// Facebook Messenger.
        Facebook => "TYPE_FACEBOOK",
        /// Instagram.
        Instagram => "TYPE_INSTAGRAM",
        /// Google Business messages.
        Gmb => "TYPE_GMB",
        /// WhatsApp.
        WhatsApp => "TYPE_WHATSAPP",
        /// Live chat.
        LiveChat => "TYPE_LIVE_CHAT",
        /// A review.
        Review => "TYPE_REVIEW",
        /// A custom SMS.
        CustomSms => "TYPE_CUSTOM_SMS",
        /// A custom e-mail.
        CustomEmail => "TYPE_CUSTOM_EMAIL",
        /// A custom call.
        CustomCall => "TYPE_CUSTOM_CALL",
        /// An SMS through a custom conversation provider.
        CustomProviderSms => "TYPE_CUSTOM_PROVIDER_SMS",
        /// An e-mail through a custom conversation provider.
        CustomProviderEmail => "TYPE_CUSTOM_PROVIDER_EMAIL",
        /// An IVR call.
        IvrCall => "TYPE_IVR_CALL",
        /// A Facebook comment.
        FacebookComment => "TYPE_FACEBOOK_COMMENT",
        /// An Instagram comment.
        InstagramComment => "TYPE_INSTAGRAM_COMMENT",
        /// An internal comment.
        InternalComment => "TYPE_INTERNAL_COMMENT",
        /// A campaign SMS.
        CampaignSms => "TYPE_CAMPAIGN_SMS",
        /// A campaign e-mail.
        CampaignEmail => "TYPE_CAMPAIGN_EMAIL",
        /// A campaign call.
        CampaignCall => "TYPE_CAMPAIGN_CALL",
        /// A campaign voicemail.
        CampaignVoicemail => "TYPE_CAMPAIGN_VOICEMAIL",
    }
}

open_enum! {
    /// Whether a message was received or sent.
    pub enum MessageDirection {
        /// From the contact.
        Inbound => "inbound",
        /// To the contact.
        Outbound => "outbound",
    }
}

open_enum! {
    /// A message's delivery status.
    pub enum MessageStatus {
        /// Not sent yet.
        Pending => "pending",
        /// Scheduled for later.
        Scheduled => "scheduled",
        /// Sent.
        Sent => "sent",
        /// Delivered.
        Delivered => "delivered",
        /// Read.
        Read => "read",
        /// Not delivered.
        Undelivered => "undelivered",
        /// A call was connected.
        Connected => "connected",
        /// Failed.
        Failed => "failed",
        /// An e-mail was opened.
        Opened => "opened",
        /// A call ended (answered, or reached voicemail on an outbound call).
        Completed => "completed",
        /// An inbound call went to voicemail.
        Voicemail => "voicemail",
    }
}

open_enum! {
    /// How a call ended (`callStatus`).
    pub enum CallStatus {
        /// Not finished.
        Pending => "pending",
        /// Answered by a person.
        Completed => "completed",
        /// Answered.
        Answered => "answered",
        /// Busy.
        Busy => "busy",
        /// Not answered.
        NoAnswer => "no-answer",
        /// Failed.
        Failed => "failed",
        /// Canceled.
        Canceled => "canceled",
        /// Reached voicemail.
        Voicemail => "voicemail",
    }
}

open_enum! {
    /// What sent an outbound message (`source`).
    pub enum MessageSource {
        /// A user in the app.
        App => "app",
        /// The API.
        Api => "api",
        /// A workflow.
        Workflow => "workflow",
        /// A bulk action.
        BulkActions => "bulk_actions",
        /// A campaign.
        Campaign => "campaign",
    }
}

open_enum! {
    /// The channel a Conversation Provider is asked to deliver on (ProviderOutboundMessage's
    /// `type`; documented as `Email/SMS`).
    pub enum ProviderMessageType {
        /// SMS: `phone` and `message` are set.
        Sms => "SMS",
        /// E-mail: `emailTo`, `emailFrom`, `subject` and `html` are set.
        Email => "Email",
    }
}

/// A field that is a string, a list, `null` or absent in the docs, but that custom
/// conversation providers have been reported to send as an object (`from: {}`): an object
/// reads as `None` instead of failing the delivery. Any other value is decoded as `T`, with
/// `T`'s error.
fn object_as_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Object(_) | serde_json::Value::Null => Ok(None),
        other => T::deserialize(other).map(Some).map_err(D::Error::custom),
    }
}

/// The body shared by InboundMessage and OutboundMessage: every channel in one struct.
///
/// The two documented shapes are the same but for three fields OutboundMessage adds
/// (`source`, `plainText`, `mentions`), which are optional here and simply absent on inbound
/// messages. No field is always present except `conversationId` (the SMS example has no
/// `messageId`, e-mails carry `emailMessageId` instead), so `conversation_id` is the required
/// identifier; every other field may be absent or `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The conversation the message belongs to.
    pub conversation_id: String,
    /// The message's id.
    pub message_id: Option<String>,
    /// The location (sub-account).
    pub location_id: Option<String>,
    /// The contact who sent (inbound) or received (outbound) the message.
    pub contact_id: Option<String>,
    /// The user who sent the message or posted the comment (outbound), or whose number or
    /// inbox received it (inbound).
    pub user_id: Option<String>,
    /// The channel: `SMS`, `CALL`, `VoiceMail`, `Email`, `InternalComment`, ... (open set).
    pub message_type: Option<MessageType>,
    /// The Conversations API's numeric message type, e.g. `2` for SMS.
    pub message_type_id: Option<u32>,
    /// The Conversations API's message type name, e.g. `TYPE_SMS` (open set).
    pub message_type_string: Option<MessageTypeString>,
    /// `inbound` or `outbound` (open set).
    pub direction: Option<MessageDirection>,
    /// Delivery status (open set).
    pub status: Option<MessageStatus>,
    /// What sent the message: `app`, `workflow`, `api`, ... (open set; outbound only).
    pub source: Option<MessageSource>,
    /// MIME type of `body`, e.g. `text/plain`.
    pub content_type: Option<String>,
    /// The text; HTML for e-mails; for internal comments, mentions appear as
    /// `@Name<userId>id</userId>`.
    pub body: Option<String>,
    /// The e-mail body as plain text (e-mails only).
    pub plain_text: Option<String>,
    /// Attachment URLs (call recordings and voicemails too).
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub attachments: Vec<String>,
    /// User ids mentioned in an internal comment (outbound only); empty when none.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub mentions: Vec<String>,
    /// When the message was sent (ISO-8601, as sent).
    pub date_added: Option<String>,
    /// The conversation provider that sent the message.
    pub conversation_provider_id: Option<String>,
    /// The chat widget the message went through.
    pub chat_widget_id: Option<String>,
    /// The sender: a phone number, or `Name <address>` for e-mails. An object reads as `None`.
    #[serde(default, deserialize_with = "object_as_none")]
    pub from: Option<String>,
    /// The recipient(s), sent as a string or a list; always serialized as a list. An object
    /// reads as `None`.
    #[serde(default, deserialize_with = "object_as_none")]
    pub to: Option<OneOrMany>,
    /// Call length in seconds (calls only).
    pub call_duration: Option<u64>,
    /// How the call ended (calls only; open set).
    pub call_status: Option<CallStatus>,
    /// The e-mail's id (e-mails only).
    pub email_message_id: Option<String>,
    /// The e-mail thread's id (e-mails only).
    pub thread_id: Option<String>,
    /// The e-mail provider (e-mails only).
    pub provider: Option<String>,
    /// The e-mail's subject (e-mails only).
    pub subject: Option<String>,
    /// Cc recipients: documented as a string, read as a string or a list.
    pub cc: Option<OneOrMany>,
    /// Bcc recipients: documented as a string, read as a string or a list.
    pub bcc: Option<OneOrMany>,
    /// Cc recipients as a list.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub cc_list: Vec<String>,
    /// Bcc recipients as a list.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub bcc_list: Vec<String>,
}

same_shape! {
    Message =>
    /// A contact sent a message to the location, on any channel. Identified by
    /// `"type": "InboundMessage"`.
    InboundMessage,
    /// A user (or a workflow, campaign, the API, ...) sent a message to a contact, on any
    /// channel, or posted an internal comment. Identified by `"type": "OutboundMessage"`.
    OutboundMessage,
}

/// HighLevel asks a Conversation Provider app to deliver a message (SMS or e-mail) that a
/// user sent. Identified by route binding: it is posted to the provider's delivery URL, and its
/// `type` is the channel, not the event.
///
/// `messageId` identifies the message to deliver (and to report the status of) and is
/// required; every other field may be absent or `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderOutboundMessage {
    /// The message to deliver.
    pub message_id: String,
    /// The channel: `SMS` or `Email` (open set). The wire field is `type`.
    #[serde(rename = "type")]
    pub message_type: Option<ProviderMessageType>,
    /// The contact the message goes to.
    pub contact_id: Option<String>,
    /// The location (sub-account).
    pub location_id: Option<String>,
    /// The e-mail's id (e-mails only).
    pub email_message_id: Option<String>,
    /// The user who sent the message.
    pub user_id: Option<String>,
    /// The text to send (SMS).
    pub message: Option<String>,
    /// The recipient's phone number (SMS).
    pub phone: Option<String>,
    /// Attachment URLs.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub attachments: Vec<String>,
    /// The recipient address(es) (e-mail): documented as a string, shown as a list; read as
    /// either, always serialized as a list.
    pub email_to: Option<OneOrMany>,
    /// The sender address (e-mail).
    pub email_from: Option<String>,
    /// The subject (e-mail).
    pub subject: Option<String>,
    /// The HTML body (e-mail).
    pub html: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, EventKind, WebhookEvent};

    fn strings(values: &[&str]) -> OneOrMany {
        OneOrMany(values.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn inbound_email_to_is_read_as_a_string_or_a_list() {
        let list = InboundMessage::decode(
            br#"{"type":"InboundMessage","conversationId":"cv","messageType":"Email",
                 "emailMessageId":"e1","threadId":"e1","subject":"Order Confirmed",
                 "from":"Internal Notify <sample@email.service>","to":["a@x.io","b@x.io"]}"#,
        )
        .expect("list");
        assert_eq!(list.to, Some(strings(&["a@x.io", "b@x.io"])));
        assert_eq!(list.message_type, Some(MessageType::Email));

        let string = InboundMessage::decode(
            br#"{"type":"InboundMessage","conversationId":"cv","messageType":"Email",
                 "to":"a@x.io","ccList":["cc@x.io"],"bccList":["bcc@x.io"],"cc":"c@x.io"}"#,
        )
        .expect("string");
        assert_eq!(string.to, Some(strings(&["a@x.io"])));
        assert_eq!(
            string.to.as_ref().and_then(OneOrMany::first),
            Some("a@x.io")
        );
        assert_eq!(string.cc_list, vec!["cc@x.io".to_owned()]);
        assert_eq!(string.bcc_list, vec!["bcc@x.io".to_owned()]);
        assert_eq!(string.cc, Some(strings(&["c@x.io"])));

        // Written back as a list, which reads back to the same value.
        let json = serde_json::to_value(&string).expect("serializes");
        assert_eq!(json["to"], serde_json::json!(["a@x.io"]));
        let again: InboundMessage = serde_json::from_value(json).expect("re-decodes");
        assert_eq!(again, string);
    }

    #[test]
    fn provider_email_to_is_read_as_a_string_or_a_list() {
        let documented = ProviderOutboundMessage::decode(
            br#"{"messageId":"m1","type":"Email","emailTo":"a@x.io","emailFrom":"me@y.io",
                 "subject":"Hi","html":"<p>Hi</p>"}"#,
        )
        .expect("string");
        let shown = ProviderOutboundMessage::decode(
            br#"{"messageId":"m1","type":"Email","emailTo":["a@x.io"],"emailFrom":"me@y.io",
                 "subject":"Hi","html":"<p>Hi</p>"}"#,
        )
        .expect("list");
        assert_eq!(documented, shown);
        assert_eq!(documented.email_to, Some(strings(&["a@x.io"])));
        assert_eq!(documented.message_type, Some(ProviderMessageType::Email));
        let many =
            ProviderOutboundMessage::decode(br#"{"messageId":"m1","emailTo":["a@x.io","b@x.io"]}"#)
                .expect("two");
        assert_eq!(many.email_to, Some(strings(&["a@x.io", "b@x.io"])));
    }

    #[test]
    fn provider_channel_type_is_not_an_event_kind() {
        for channel in ["SMS", "Email"] {
            assert_eq!(EventKind::from_type_field(channel), None, "{channel}");
        }
        assert!(EventKind::ProviderOutboundMessage.needs_route_binding());
        assert_eq!(EventKind::ProviderOutboundMessage.sent_type(), None);
        assert_eq!(
            EventKind::ProviderOutboundMessage.type_values(),
            &["ProviderOutboundMessage"]
        );

        // The `type` is kept, as the channel, and written back under `type`.
        let sms = ProviderOutboundMessage::decode(
            br#"{"messageId":"m1","type":"SMS","phone":"+15864603685","message":"hi"}"#,
        )
        .expect("decodes");
        assert_eq!(sms.message_type, Some(ProviderMessageType::Sms));
        let json = serde_json::to_value(&sms).expect("serializes");
        assert_eq!(json["type"], "SMS");
        assert!(json.get("messageType").is_none());
    }

    #[test]
    fn open_sets_keep_unknown_values() {
        let body = br#"{"type":"OutboundMessage","conversationId":"cv","messageType":"TikTok",
            "messageTypeString":"TYPE_TIKTOK","direction":"sideways","status":"teleported",
            "callStatus":"hung-up","source":"robot"}"#;
        let out = OutboundMessage::decode(body).expect("decodes");
        assert_eq!(out.message_type, Some(MessageType::Other("TikTok".into())));
        assert_eq!(
            out.message_type_string,
            Some(MessageTypeString::Other("TYPE_TIKTOK".into()))
        );
        assert_eq!(
            out.direction,
            Some(MessageDirection::Other("sideways".into()))
        );
        assert_eq!(out.status, Some(MessageStatus::Other("teleported".into())));
        assert_eq!(out.call_status, Some(CallStatus::Other("hung-up".into())));
        assert_eq!(out.source, Some(MessageSource::Other("robot".into())));
        let inbound = InboundMessage::decode(body).expect("decodes");
        assert_eq!(
            inbound.status,
            Some(MessageStatus::Other("teleported".into()))
        );

        let provider = ProviderOutboundMessage::decode(br#"{"messageId":"m","type":"WhatsApp"}"#)
            .expect("decodes");
        assert_eq!(
            provider.message_type,
            Some(ProviderMessageType::Other("WhatsApp".into()))
        );
        let json = serde_json::to_value(&provider).expect("serializes");
        assert_eq!(json["type"], "WhatsApp");
    }

    #[test]
    fn every_doc_variant_of_outbound_message_decodes() {
        let call = OutboundMessage::decode(
            br#"{"type":"OutboundMessage","locationId":"l","attachments":["call recording url"],
                 "contactId":"c","conversationId":"cv","dateAdded":"2024-05-08T11:57:42.250Z",
                 "direction":"outbound","messageType":"CALL","userId":"u","messageId":"m",
                 "status":"completed","callDuration":120,"callStatus":"completed",
                 "from":"+15559876543","to":"+15551234567","messageTypeId":1,
                 "messageTypeString":"TYPE_CALL"}"#,
        )
        .expect("call");
        assert_eq!(call.message_type, Some(MessageType::Call));
        assert_eq!(call.call_duration, Some(120));
        assert_eq!(call.call_status, Some(CallStatus::Completed));
        assert_eq!(call.message_type_string, Some(MessageTypeString::Call));

        let voicemail = OutboundMessage::decode(
            br#"{"type":"OutboundMessage","conversationId":"cv","messageType":"VoiceMail",
                 "status":"completed","messageTypeId":10,"messageTypeString":"TYPE_VOICEMAIL"}"#,
        )
        .expect("voicemail");
        assert_eq!(voicemail.message_type, Some(MessageType::Voicemail));
        assert_eq!(
            voicemail.message_type_string,
            Some(MessageTypeString::Voicemail)
        );

        let comment = OutboundMessage::decode(
            br#"{"type":"OutboundMessage","conversationId":"cv","messageType":"InternalComment",
                 "body":"Please follow up @John Doe<userId>Fwo3j0BiINYsh98UU30U</userId>",
                 "source":"app","mentions":["Fwo3j0BiINYsh98UU30U"]}"#,
        )
        .expect("comment");
        assert_eq!(comment.message_type, Some(MessageType::InternalComment));
        assert_eq!(comment.mentions, vec!["Fwo3j0BiINYsh98UU30U".to_owned()]);
        assert_eq!(comment.source, Some(MessageSource::App));

        let no_mentions = OutboundMessage::decode(
            br#"{"conversationId":"cv","messageType":"InternalComment","mentions":[]}"#,
        )
        .expect("no mentions");
        assert!(no_mentions.mentions.is_empty());
    }

    #[test]
    fn inbound_voicemail_and_call_examples_decode() {
        let voicemail = InboundMessage::decode(
            br#"{"type":"InboundMessage","attachments":["voicemail url"],"conversationId":"cv",
                 "direction":"inbound","messageType":"CALL","messageId":"m","status":"voicemail"}"#,
        )
        .expect("voicemail");
        assert_eq!(voicemail.status, Some(MessageStatus::Voicemail));
        assert_eq!(voicemail.attachments, vec!["voicemail url".to_owned()]);
        assert_eq!(voicemail.direction, Some(MessageDirection::Inbound));
    }

    #[test]
    fn from_and_to_sent_as_objects_by_custom_providers_read_as_absent() {
        let custom = InboundMessage::decode(
            br#"{"conversationId":"cv","messageType":"Custom","from":{},"to":{}}"#,
        )
        .expect("decodes");
        assert_eq!(custom.from, None);
        assert_eq!(custom.to, None);
        // Other wrong types are still errors that name the field.
        let err = InboundMessage::decode(br#"{"conversationId":"cv","to":7}"#).expect_err("number");
        assert_eq!(err.path, "to");
    }

    #[test]
    fn unknown_fields_and_null_optionals_still_decode() {
        let body = br#"{"type":"InboundMessage","conversationId":"cv","messageId":null,
            "attachments":null,"from":null,"to":null,"cc":null,"ccList":null,"mentions":null,
            "callDuration":null,"status":null,"meta":{"email":{"messageIds":["a"]}},"x":1}"#;
        for kind in [EventKind::InboundMessage, EventKind::OutboundMessage] {
            let event = Event::decode(kind, body).expect("decodes");
            assert_eq!(event.kind(), Some(kind));
        }
        let inbound = InboundMessage::decode(body).expect("decodes");
        assert_eq!(inbound.conversation_id, "cv");
        assert_eq!(
            (&inbound.from, &inbound.to, &inbound.cc),
            (&None, &None, &None)
        );
        assert!(inbound.attachments.is_empty() && inbound.cc_list.is_empty());

        let provider = ProviderOutboundMessage::decode(
            br#"{"messageId":"m","type":null,"emailTo":null,"attachments":null,"new":{"a":1}}"#,
        )
        .expect("decodes");
        assert_eq!(provider.message_type, None);
        assert_eq!(provider.email_to, None);
    }

    #[test]
    fn the_identifiers_are_required() {
        let err = InboundMessage::decode(br#"{"messageId":"m"}"#).expect_err("no conversation");
        assert!(err.message.contains("conversationId"), "{err}");
        let err = ProviderOutboundMessage::decode(br#"{"type":"SMS"}"#).expect_err("no message");
        assert!(err.message.contains("messageId"), "{err}");
    }
}
