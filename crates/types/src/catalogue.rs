//! The catalogue: the one table that ties each event kind to its name, its `type` values and
//! its Rust type. Everything generated per kind (the [`EventKind`] and [`Event`] variants, the
//! [`WebhookEvent`] impls, [`visit_event_types`], and outside this crate the proptest strategy
//! table and the fixture list of the tests) is expanded from this one table by
//! [`with_catalogue!`](crate::with_catalogue).
//!
//! A line reads `Kind => module::Type, [aliases], by;`:
//! - `aliases`: the `type` values other than the event's own name that mean this kind
//!   (`INSTALL` for AppInstall). A `type` equal to the event name always means the kind.
//! - `by`: `type` when real payloads carry a `type` naming the event; `route` when they carry
//!   none, or one that means something else (ProviderOutboundMessage's channel, Price's price
//!   type), so deliveries of that kind can only be identified by the route they arrive on.
//!
//! # Adding an event
//! 1. The struct in its family module (`src/<family>.rs`; a new family is also a `pub mod` in
//!    `lib.rs` and in test-support's `strategies/mod.rs`), deriving `Debug, Clone, PartialEq,
//!    Serialize, Deserialize`.
//! 2. Its line in the table below. That alone gives the kind, the `Event` variant, the
//!    `WebhookEvent` impl, the name and alias lookups and the routing rule.
//! 3. What the compiler then asks for, because it is expanded from the table:
//!    - an `EventStrategy` impl in test-support's `strategies/<family>.rs` (a missing one is a
//!      compile error of test-support with its `strategies` feature, on by default);
//!    - the fixture `fixtures/<Kind>.json` (a missing one is a compile error of this
//!      crate, [`fixtures::example`](crate::fixtures::example) ships it; the CLI sends it).
//! 4. What the tests then ask for:
//!    - the fixture's insta snapshot `tests/snapshots/fixtures__<Kind>.snap` (`cargo insta
//!      review` after the first run of `cargo test -p ghl-webhook-types`);
//!    - its row in the README's "Supported events" table, and the count in that heading
//!      (`cargo xtask tidy` compares the table with the catalogue).

use bytes::Bytes;
use serde::Serialize;

use crate::event::{DecodeError, WebhookEvent, decode};
use crate::*;

/// Expands `$callback! { $crate; Kind => module::Type, [aliases], by; ... }` with every line of
/// the catalogue, in catalogue order: the one table, for code that must be written once per
/// event kind (here the enums and impls; in test-support the strategy table; in the tests the
/// fixture list).
///
/// `$crate` comes first so that the callback can name the types as `$types::module::Type`
/// from any crate. The grammar of a line is the one documented on the catalogue module; a
/// callback matches it as
/// `$( $kind:ident => $module:ident :: $ty:ident, [$($alias:literal),*], $by:ident; )+`.
/// Not a stable API: the grammar changes with the catalogue.
#[doc(hidden)]
#[macro_export]
macro_rules! with_catalogue {
    ($callback:ident) => {
        $callback! {
            $crate;
            AssociationCreate => association::AssociationCreate, [], route;
            AssociationDelete => association::AssociationDelete, [], route;
            AssociationUpdate => association::AssociationUpdate, [], route;
            AppInstall => app::AppInstall, ["INSTALL"], type;
            AppPaymentStatus => app::AppPaymentStatus, ["APP_PAYMENT_STATUS"], type;
            AppUninstall => app::AppUninstall, ["UNINSTALL"], type;
            AppUpdate => app::AppUpdate, ["UPDATE"], type;
            CampaignStatusUpdate => campaign::CampaignStatusUpdate, [], type;
            ExternalAuthConnected => app::ExternalAuthConnected, ["EXTERNAL_AUTH_CONNECTED"], type;
            LCEmailStats => email_stats::LCEmailStats, [], type;
            LocationCreate => location::LocationCreate, [], type;
            LocationUpdate => location::LocationUpdate, [], type;
            PlanChange => app::PlanChange, ["PLAN_CHANGE"], type;
            SaaSPlanCreate => app::SaaSPlanCreate, ["SaasPlanCreate"], type;
            UserCreate => user::UserCreate, [], type;
            UserDelete => user::UserDelete, [], type;
            UserUpdate => user::UserUpdate, [], type;
            ContactCreate => contact::ContactCreate, [], type;
            ContactDelete => contact::ContactDelete, [], type;
            ContactDndUpdate => contact::ContactDndUpdate, [], type;
            ContactTagUpdate => contact::ContactTagUpdate, [], type;
            ContactUpdate => contact::ContactUpdate, [], type;
            ConversationUnreadWebhook => conversation::ConversationUnreadWebhook, ["ConversationUnreadUpdate"], type;
            ConversationUpdate => conversation::ConversationUpdate, [], type;
            InboundMessage => message::InboundMessage, [], type;
            NoteCreate => note::NoteCreate, [], type;
            NoteDelete => note::NoteDelete, [], type;
            NoteUpdate => note::NoteUpdate, [], type;
            OutboundMessage => message::OutboundMessage, [], type;
            ProviderOutboundMessage => message::ProviderOutboundMessage, [], route;
            TaskComplete => task::TaskComplete, [], type;
            TaskCreate => task::TaskCreate, [], type;
            TaskDelete => task::TaskDelete, [], type;
            InvoiceCreate => invoice::InvoiceCreate, [], route;
            InvoiceDelete => invoice::InvoiceDelete, [], route;
            InvoicePaid => invoice::InvoicePaid, [], route;
            InvoicePartiallyPaid => invoice::InvoicePartiallyPaid, [], route;
            InvoiceSent => invoice::InvoiceSent, [], route;
            InvoiceUpdate => invoice::InvoiceUpdate, [], route;
            InvoiceVoid => invoice::InvoiceVoid, [], route;
            OpportunityAssignedToUpdate => opportunity::OpportunityAssignedToUpdate, [], type;
            OpportunityCreate => opportunity::OpportunityCreate, [], type;
            OpportunityDelete => opportunity::OpportunityDelete, [], type;
            OpportunityMonetaryValueUpdate => opportunity::OpportunityMonetaryValueUpdate, [], type;
            OpportunityStageUpdate => opportunity::OpportunityStageUpdate, [], type;
            OpportunityStatusUpdate => opportunity::OpportunityStatusUpdate, [], type;
            OpportunityUpdate => opportunity::OpportunityUpdate, [], type;
            OrderCreate => order::OrderCreate, [], type;
            OrderStatusUpdate => order::OrderStatusUpdate, [], type;
            PriceCreate => price::PriceCreate, [], route;
            PriceDelete => price::PriceDelete, [], route;
            PriceUpdate => price::PriceUpdate, [], route;
            ProductCreate => product::ProductCreate, [], route;
            ProductDelete => product::ProductDelete, [], route;
            ProductUpdate => product::ProductUpdate, [], route;
            AppointmentCreate => appointment::AppointmentCreate, [], type;
            AppointmentDelete => appointment::AppointmentDelete, [], type;
            AppointmentUpdate => appointment::AppointmentUpdate, [], type;
            KnowledgeBaseCreate => knowledge_base::KnowledgeBaseCreate, [], type;
            KnowledgeBaseDelete => knowledge_base::KnowledgeBaseDelete, [], type;
            KnowledgeBaseFaqChange => knowledge_base::KnowledgeBaseFaqChange, [], type;
            KnowledgeBaseFileChange => knowledge_base::KnowledgeBaseFileChange, [], type;
            KnowledgeBaseRichTextChange => knowledge_base::KnowledgeBaseRichTextChange, [], type;
            KnowledgeBaseTableFileChange => knowledge_base::KnowledgeBaseTableFileChange, [], type;
            KnowledgeBaseTrainedUrlChange => knowledge_base::KnowledgeBaseTrainedUrlChange, [], type;
            KnowledgeBaseUpdate => knowledge_base::KnowledgeBaseUpdate, [], type;
            ObjectSchemaCreate => object_schema::ObjectSchemaCreate, [], route;
            ObjectSchemaUpdate => object_schema::ObjectSchemaUpdate, [], route;
            RecordCreate => record::RecordCreate, [], route;
            RecordDelete => record::RecordDelete, [], route;
            RecordUpdate => record::RecordUpdate, [], route;
            RelationCreate => relation::RelationCreate, [], route;
            RelationDelete => relation::RelationDelete, [], route;
            SupportTicketCreate => support_ticket::SupportTicketCreate, [], type;
            SupportTicketDelete => support_ticket::SupportTicketDelete, [], type;
            SupportTicketUpdate => support_ticket::SupportTicketUpdate, [], type;
            VoiceAiCallEnd => voice_ai::VoiceAiCallEnd, [], route;
        }
    };
}

macro_rules! catalogue {
    (@route type) => { false };
    (@route route) => { true };
    (@how type) => { "`type`" };
    (@sent route $kind:ident []) => { None };
    (@sent type $kind:ident []) => { Some(stringify!($kind)) };
    (@sent type $kind:ident [$first:literal $(, $rest:literal)*]) => { Some($first) };
    (@how route) => { "route binding" };
    ($types:tt; $( $kind:ident => $module:ident :: $ty:ident, [$($alias:literal),*], $by:ident; )+) => {
        /// Every documented HighLevel webhook event.
        ///
        /// `as_str` is the event's name in HighLevel's docs (the page name), which is also the
        /// path segment of a route bound to the kind.
        ///
        /// | kind | `type` values | identified by |
        /// |---|---|---|
        #[doc = concat!($(
            "| `", stringify!($kind), "` | `", stringify!($kind), "`", $(", `", $alias, "`",)* " | ",
            catalogue!(@how $by), " |\n",
        )+)]
        ///
        /// A kind identified by route binding needs the router mounted on a URL bound to it
        /// (HighLevel lets an app deliver each event to a URL of its choosing); its `type`, if
        /// any, is not trusted. A `type` equal to the event name is honoured for every kind.
        ///
        /// Non-exhaustive: HighLevel adds events, and the SDK adds them in minor releases.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[non_exhaustive]
        pub enum EventKind {
            $(
                #[doc = concat!("[`", stringify!($ty), "`](", stringify!($module), "::", stringify!($ty), ")")]
                $kind,
            )+
        }

        impl EventKind {
            /// Every kind, in catalogue order.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$kind),+];

            /// The number of kinds.
            pub const COUNT: usize = Self::ALL.len();

            /// The event's documented name, e.g. `"AssociationDelete"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(EventKind::$kind => stringify!($kind),)+
                }
            }

            /// The `type` values that identify this kind: its name, then HighLevel's aliases.
            pub const fn type_values(self) -> &'static [&'static str] {
                match self {
                    $(EventKind::$kind => &[stringify!($kind) $(, $alias)*],)+
                }
            }

            /// The `type` value HighLevel puts in deliveries of this kind (`INSTALL` for
            /// AppInstall), or `None` when they carry no `type` naming the event.
            pub const fn sent_type(self) -> Option<&'static str> {
                match self {
                    $(EventKind::$kind => catalogue!(@sent $by $kind [$($alias),*]),)+
                }
            }

            /// Whether real deliveries of this kind lack a `type` naming it, so that they can
            /// only be identified by a route binding.
            pub const fn needs_route_binding(self) -> bool {
                match self {
                    $(EventKind::$kind => catalogue!(@route $by),)+
                }
            }

            /// A dense index in `0..COUNT`, for tables indexed by kind.
            pub const fn index(self) -> usize {
                self as usize
            }

            /// The kind whose documented name is `name`, e.g. from a route's last path segment.
            pub fn from_name(name: &str) -> Option<EventKind> {
                match name {
                    $(stringify!($kind) => Some(EventKind::$kind),)+
                    _ => None,
                }
            }

            /// The kind a payload's `type` value names, through HighLevel's alias table
            /// (`INSTALL` → AppInstall, ...). Values that are not event names (a channel such as
            /// `SMS`, a price type such as `one_time`) give `None`.
            ///
            /// ```
            /// use ghl_webhook_types::EventKind;
            ///
            /// assert_eq!(EventKind::from_type_field("INSTALL"), Some(EventKind::AppInstall));
            /// assert_eq!(EventKind::from_type_field("ContactCreate"), Some(EventKind::ContactCreate));
            /// assert_eq!(EventKind::from_type_field("SMS"), None);
            /// ```
            pub fn from_type_field(value: &str) -> Option<EventKind> {
                match value {
                    $(stringify!($kind) $(| $alias)* => Some(EventKind::$kind),)+
                    _ => None,
                }
            }
        }

        /// A decoded delivery: one variant per event kind, or `Unknown`.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(tag = "kind", content = "event")]
        #[allow(clippy::large_enum_variant)]
        #[non_exhaustive]
        pub enum Event {
            $(
                #[doc = concat!("A `", stringify!($kind), "` event.")]
                $kind($module::$ty),
            )+
            /// A delivery whose kind could not be identified. Not an error: HighLevel adds
            /// events without notice, and these are acknowledged and handed over raw.
            Unknown(UnknownEvent),
        }

        impl Event {
            /// The kind, or `None` for `Unknown`.
            pub fn kind(&self) -> Option<EventKind> {
                match self {
                    $(Event::$kind(_) => Some(EventKind::$kind),)+
                    Event::Unknown(_) => None,
                }
            }

            /// Decodes a body as the given kind, straight from the bytes into its struct.
            pub fn decode(kind: EventKind, body: &[u8]) -> Result<Event, DecodeError> {
                match kind {
                    $(EventKind::$kind => decode::<$module::$ty>(kind, body).map(Event::$kind),)+
                }
            }
        }

        /// Calls `visitor.visit::<T>()` once for every event type of the catalogue, in catalogue
        /// order: the way to do something generic per event type (register a handler for
        /// each, build a table, test every kind).
        pub fn visit_event_types<V: VisitEventTypes>(visitor: &mut V) {
            $( visitor.visit::<$module::$ty>(); )+
        }

        $(
            impl WebhookEvent for $module::$ty {
                const KIND: EventKind = EventKind::$kind;
                fn into_event(self) -> Event {
                    Event::$kind(self)
                }
            }

            impl From<$module::$ty> for Event {
                fn from(event: $module::$ty) -> Event {
                    Event::$kind(event)
                }
            }
        )+
    };
}

crate::with_catalogue!(catalogue);

/// A delivery whose kind could not be identified: what `on_unknown` handlers receive, and
/// [`Event::Unknown`]. Not an error: HighLevel adds events without notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct UnknownEvent {
    /// The `type` field, when there was a string one.
    pub type_field: Option<String>,
    /// The exact body bytes.
    #[serde(serialize_with = "raw_json")]
    pub raw: Bytes,
}

impl UnknownEvent {
    /// An unknown event of this `type` field and body.
    ///
    /// ```
    /// use ghl_webhook_types::{Event, UnknownEvent};
    ///
    /// let unknown = UnknownEvent::new(Some("BrandNewEvent".to_owned()), r#"{"type":"BrandNewEvent"}"#);
    /// assert_eq!(Event::Unknown(unknown).kind(), None);
    /// ```
    pub fn new(type_field: Option<String>, raw: impl Into<Bytes>) -> Self {
        Self {
            type_field,
            raw: raw.into(),
        }
    }
}

/// Serializes raw body bytes as the JSON they hold, or as a string when they are not JSON.
fn raw_json<S: serde::Serializer>(raw: &Bytes, serializer: S) -> Result<S::Ok, S::Error> {
    match serde_json::from_slice::<&serde_json::value::RawValue>(raw) {
        Ok(value) => value.serialize(serializer),
        Err(_) => String::from_utf8_lossy(raw).serialize(serializer),
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something done once per event type; see [`visit_event_types`].
pub trait VisitEventTypes {
    /// Called with each event type.
    fn visit<T: WebhookEvent>(&mut self);
}

/// A string that is not the name of any documented event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a documented HighLevel event name (names are case-sensitive, e.g. `ContactCreate`)"
)]
#[non_exhaustive]
pub struct UnknownEventName(pub String);

impl std::str::FromStr for EventKind {
    type Err = UnknownEventName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventKind::from_name(s).ok_or_else(|| UnknownEventName(s.to_owned()))
    }
}

impl<'de> serde::Deserialize<'de> for EventKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        EventKind::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(UnknownEventName(name.into_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_from_name() {
        for &kind in EventKind::ALL {
            assert_eq!(EventKind::from_name(kind.as_str()), Some(kind));
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
            assert_eq!(EventKind::ALL[kind.index()], kind);
        }
        assert!("associationdelete".parse::<EventKind>().is_err());
    }

    #[test]
    fn every_type_value_maps_back_to_its_own_kind_only() {
        for &kind in EventKind::ALL {
            for value in kind.type_values() {
                assert_eq!(EventKind::from_type_field(value), Some(kind), "{value}");
            }
        }
    }

    #[test]
    fn association_kinds_need_a_route_binding_but_honour_their_name_as_type() {
        for kind in [
            EventKind::AssociationCreate,
            EventKind::AssociationDelete,
            EventKind::AssociationUpdate,
        ] {
            assert!(kind.needs_route_binding());
            assert_eq!(EventKind::from_type_field(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn sent_type_is_an_identifying_type_value() {
        for &kind in EventKind::ALL {
            match kind.sent_type() {
                Some(value) => assert_eq!(EventKind::from_type_field(value), Some(kind)),
                None => assert!(kind.needs_route_binding(), "{kind}"),
            }
        }
    }

    #[test]
    fn values_that_are_not_event_names_identify_nothing() {
        for value in [
            "",
            "SMS",
            "Email",
            "one_time",
            "associationdelete",
            "AssociationDelete ",
        ] {
            assert_eq!(EventKind::from_type_field(value), None, "{value:?}");
        }
    }
}

#[cfg(test)]
mod visit_tests {
    use super::*;

    struct Kinds(Vec<EventKind>);
    impl VisitEventTypes for Kinds {
        fn visit<T: WebhookEvent>(&mut self) {
            self.0.push(T::KIND);
        }
    }

    #[test]
    fn visiting_walks_every_event_type_once_in_catalogue_order() {
        let mut kinds = Kinds(Vec::new());
        visit_event_types(&mut kinds);
        assert_eq!(kinds.0, EventKind::ALL);
    }
}
