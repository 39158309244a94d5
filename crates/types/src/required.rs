//! The fields without which an event cannot be decoded: the identifier of its subject.
//!
//! Everything else in a payload may be `null`, absent, or of a shape this SDK does not know
//! (see the crate docs on drift); these fields are what a handler needs to act at all, so a
//! delivery without them is a [`DecodeError`](crate::DecodeError) naming the field's path.

use crate::EventKind;

impl EventKind {
    /// The JSON paths of the fields a payload of this kind must carry, non-`null`: the
    /// identifier of the event's subject (and, where the subject is a nested object, that
    /// object). Without one of them, decoding fails with a [`DecodeError`](crate::DecodeError)
    /// whose `path` is the field's (`appointment.id` when it is `null`) or, when it is
    /// missing, its parent's (`.` for the top level, with ``missing field `id` `` in
    /// `message`). Every other field of every kind may be `null` or absent.
    ///
    /// ```
    /// use ghl_webhook_types::EventKind;
    ///
    /// assert_eq!(EventKind::ContactCreate.required_fields(), ["id"]);
    /// assert_eq!(
    ///     EventKind::AppointmentCreate.required_fields(),
    ///     ["appointment", "appointment.id"]
    /// );
    /// ```
    pub const fn required_fields(self) -> &'static [&'static str] {
        match self {
            Self::AssociationCreate
            | Self::AssociationDelete
            | Self::AssociationUpdate
            | Self::CampaignStatusUpdate
            | Self::LocationCreate
            | Self::LocationUpdate
            | Self::UserCreate
            | Self::UserDelete
            | Self::UserUpdate
            | Self::ContactCreate
            | Self::ContactDelete
            | Self::ContactDndUpdate
            | Self::ContactTagUpdate
            | Self::ContactUpdate
            | Self::ConversationUnreadWebhook
            | Self::NoteCreate
            | Self::NoteDelete
            | Self::NoteUpdate
            | Self::TaskComplete
            | Self::TaskCreate
            | Self::TaskDelete
            | Self::OpportunityAssignedToUpdate
            | Self::OpportunityCreate
            | Self::OpportunityDelete
            | Self::OpportunityMonetaryValueUpdate
            | Self::OpportunityStageUpdate
            | Self::OpportunityStatusUpdate
            | Self::OpportunityUpdate
            | Self::KnowledgeBaseCreate
            | Self::KnowledgeBaseDelete
            | Self::KnowledgeBaseFaqChange
            | Self::KnowledgeBaseFileChange
            | Self::KnowledgeBaseRichTextChange
            | Self::KnowledgeBaseTableFileChange
            | Self::KnowledgeBaseTrainedUrlChange
            | Self::KnowledgeBaseUpdate
            | Self::RecordCreate
            | Self::RecordDelete
            | Self::RecordUpdate
            | Self::RelationCreate
            | Self::RelationDelete
            | Self::VoiceAiCallEnd => &["id"],
            Self::AppInstall
            | Self::AppPaymentStatus
            | Self::AppUninstall
            | Self::AppUpdate
            | Self::ExternalAuthConnected
            | Self::PlanChange => &["appId"],
            Self::LCEmailStats => &["webhookPayload", "webhookPayload.id"],
            Self::SaaSPlanCreate => &["planId"],
            Self::ConversationUpdate => &["newConversationId"],
            Self::InboundMessage | Self::OutboundMessage => &["conversationId"],
            Self::ProviderOutboundMessage => &["messageId"],
            Self::InvoiceCreate
            | Self::InvoiceDelete
            | Self::InvoicePaid
            | Self::InvoicePartiallyPaid
            | Self::InvoiceSent
            | Self::InvoiceUpdate
            | Self::InvoiceVoid
            | Self::OrderCreate
            | Self::OrderStatusUpdate
            | Self::PriceCreate
            | Self::PriceDelete
            | Self::PriceUpdate
            | Self::ProductCreate
            | Self::ProductDelete
            | Self::ProductUpdate => &["_id"],
            Self::AppointmentCreate | Self::AppointmentDelete | Self::AppointmentUpdate => {
                &["appointment", "appointment.id"]
            }
            Self::ObjectSchemaCreate | Self::ObjectSchemaUpdate => &["key"],
            Self::SupportTicketCreate | Self::SupportTicketDelete | Self::SupportTicketUpdate => {
                &["ticketId"]
            }
        }
    }
}
