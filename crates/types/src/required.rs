//! The fields without which an event cannot be decoded: the identifier of its subject.
//!
//! Everything else in a payload may be `null`, absent, or of a shape this SDK does not know
//! (see the crate docs on drift); these fields are what a handler needs to act at all, so a
//! delivery without them is a [`DecodeError`](crate::DecodeError) naming the field's path.

use crate::EventKind;

/// Defines [`EventKind::required_fields`] and its documented table from one list of rows,
/// `[fields] => Kind | Kind;`. The match has no catch-all arm: a kind added to the catalogue
/// without a row here is a compile error.
macro_rules! required_fields {
    ($( [$($field:literal),+] => $($kind:ident)|+ ; )+) => {
        impl EventKind {
            /// The JSON paths of the fields a payload of this kind must carry, non-`null`: the
            /// identifier of the event's subject (and, where the subject is a nested object,
            /// that object). Without one of them, decoding fails with a
            /// [`DecodeError`](crate::DecodeError) whose `path` is the field's
            /// (`appointment.id` when it is `null`) or, when it is missing, its parent's (`.`
            /// for the top level, with ``missing field `id` `` in `message`). Every other field
            /// of every kind may be `null` or absent.
            ///
            /// | required fields | kinds |
            /// |---|---|
            #[doc = concat!($(
                "| ", $("`", $field, "` ",)+ "| ", $(stringify!($kind), " ",)+ "|\n",
            )+)]
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
                    $( $(Self::$kind)|+ => &[$($field),+], )+
                }
            }
        }
    };
}

required_fields! {
    ["id"] =>
        AssociationCreate
        | AssociationDelete
        | AssociationUpdate
        | CampaignStatusUpdate
        | LocationCreate
        | LocationUpdate
        | UserCreate
        | UserDelete
        | UserUpdate
        | ContactCreate
        | ContactDelete
        | ContactDndUpdate
        | ContactTagUpdate
        | ContactUpdate
        | ConversationUnreadWebhook
        | NoteCreate
        | NoteDelete
        | NoteUpdate
        | TaskComplete
        | TaskCreate
        | TaskDelete
        | OpportunityAssignedToUpdate
        | OpportunityCreate
        | OpportunityDelete
        | OpportunityMonetaryValueUpdate
        | OpportunityStageUpdate
        | OpportunityStatusUpdate
        | OpportunityUpdate
        | KnowledgeBaseCreate
        | KnowledgeBaseDelete
        | KnowledgeBaseFaqChange
        | KnowledgeBaseFileChange
        | KnowledgeBaseRichTextChange
        | KnowledgeBaseTableFileChange
        | KnowledgeBaseTrainedUrlChange
        | KnowledgeBaseUpdate
        | RecordCreate
        | RecordDelete
        | RecordUpdate
        | RelationCreate
        | RelationDelete
        | VoiceAiCallEnd;
    ["appId"] =>
        AppInstall
        | AppPaymentStatus
        | AppUninstall
        | AppUpdate
        | ExternalAuthConnected
        | PlanChange;
    ["webhookPayload", "webhookPayload.id"] =>
        LCEmailStats;
    ["planId"] =>
        SaaSPlanCreate;
    ["newConversationId"] =>
        ConversationUpdate;
    ["conversationId"] =>
        InboundMessage
        | OutboundMessage;
    ["messageId"] =>
        ProviderOutboundMessage;
    ["_id"] =>
        InvoiceCreate
        | InvoiceDelete
        | InvoicePaid
        | InvoicePartiallyPaid
        | InvoiceSent
        | InvoiceUpdate
        | InvoiceVoid
        | OrderCreate
        | OrderStatusUpdate
        | PriceCreate
        | PriceDelete
        | PriceUpdate
        | ProductCreate
        | ProductDelete
        | ProductUpdate;
    ["appointment", "appointment.id"] =>
        AppointmentCreate
        | AppointmentDelete
        | AppointmentUpdate;
    ["key"] =>
        ObjectSchemaCreate
        | ObjectSchemaUpdate;
    ["ticketId"] =>
        SupportTicketCreate
        | SupportTicketDelete
        | SupportTicketUpdate;
}
