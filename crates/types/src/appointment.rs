//! Appointment events: a calendar appointment was booked, changed or deleted.
//!
//! The three events share one documented shape ([`AppointmentPayload`]: the location and the
//! [`Appointment`] itself) and carry `"type": "<EventName>"`. HighLevel's doc examples for
//! AppointmentDelete and AppointmentUpdate say `"type": "AppointmentCreate"` (a copy-paste bug of
//! the docs); `type` is not part of these structs, so a body decodes the same whichever `type`
//! it carries, and the kind comes from identification (route binding or `type`).

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::open_enum;
use crate::shape::same_shape;

open_enum! {
    /// Status of an appointment, as HighLevel's calendars use it.
    pub enum AppointmentStatus {
        /// Booked, not confirmed yet.
        New => "new",
        /// Confirmed.
        Confirmed => "confirmed",
        /// Cancelled.
        Cancelled => "cancelled",
        /// The contact showed up.
        Showed => "showed",
        /// The contact did not show up.
        NoShow => "noshow",
        /// Marked invalid.
        Invalid => "invalid",
    }
}

open_enum! {
    /// Where the appointment was booked from. Only `booking_widget` is documented; every other
    /// source stays verbatim in `Other`.
    pub enum AppointmentSource {
        /// Booked through a calendar booking widget.
        BookingWidget => "booking_widget",
    }
}

/// The appointment an Appointment event is about.
///
/// `id` identifies it and is required; every other field may be absent or `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Appointment {
    /// Unique identifier of the appointment.
    pub id: String,
    /// Where the meeting happens: a street address or a meeting URL.
    pub address: Option<String>,
    /// Title of the appointment.
    pub title: Option<String>,
    /// The calendar the appointment is booked on.
    pub calendar_id: Option<String>,
    /// The contact the appointment is with.
    pub contact_id: Option<String>,
    /// The calendar group.
    pub group_id: Option<String>,
    /// Status (`new`, `confirmed`, `cancelled`, `showed`, `noshow`, `invalid`, ...).
    pub appointment_status: Option<AppointmentStatus>,
    /// The user the appointment is assigned to.
    pub assigned_user_id: Option<String>,
    /// Ids of the users taking part. Documented only as `array`; the example holds user ids.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub users: Vec<String>,
    /// Free-text notes.
    pub notes: Option<String>,
    /// Where it was booked from (`booking_widget`, ...).
    pub source: Option<AppointmentSource>,
    /// Start, ISO-8601 with offset as sent (e.g. `2023-09-25T16:00:00+05:30`).
    pub start_time: Option<String>,
    /// End, ISO-8601 with offset as sent.
    pub end_time: Option<String>,
    /// When the appointment was created, ISO-8601 as sent.
    pub date_added: Option<String>,
    /// When the appointment was last changed, ISO-8601 as sent.
    pub date_updated: Option<String>,
}

/// The body shared by the three Appointment events.
///
/// The subject is the nested [`Appointment`], so `appointment` (with its `id`) is required.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentPayload {
    /// The location (sub-account) of the calendar.
    pub location_id: Option<String>,
    /// The appointment.
    pub appointment: Appointment,
}

same_shape! {
    AppointmentPayload =>
    /// An appointment was booked. Identified by `type` `AppointmentCreate`.
    AppointmentCreate,
    /// An appointment was deleted. Identified by `type` `AppointmentDelete` (the doc example
    /// wrongly shows `AppointmentCreate`).
    AppointmentDelete,
    /// An appointment was changed (rescheduled, status change, ...). Identified by `type`
    /// `AppointmentUpdate` (the doc example wrongly shows `AppointmentCreate`).
    AppointmentUpdate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_null_optionals_still_decode() {
        let body = br#"{"type":"AppointmentUpdate","locationId":null,"brandNew":[1],
            "appointment":{"id":"a1","title":null,"users":null,"appointmentStatus":null,
            "meetingLocationType":"zoom","extra":{"x":1}}}"#;
        let event: AppointmentUpdate = serde_json::from_slice(body).expect("decodes");
        assert_eq!(event.appointment.id, "a1");
        assert_eq!(event.location_id, None);
        assert_eq!(event.appointment.title, None);
        assert!(event.appointment.users.is_empty());
        assert_eq!(event.appointment.appointment_status, None);
    }

    #[test]
    fn unknown_status_and_source_are_kept_in_other() {
        let body = br#"{"appointment":{"id":"a1","appointmentStatus":"rescheduled","source":"third_party"}}"#;
        let event: AppointmentCreate = serde_json::from_slice(body).expect("decodes");
        assert_eq!(
            event.appointment.appointment_status,
            Some(AppointmentStatus::Other("rescheduled".into()))
        );
        assert_eq!(
            event.appointment.source,
            Some(AppointmentSource::Other("third_party".into()))
        );
        let back = serde_json::to_value(&event).expect("encodes");
        assert_eq!(back["appointment"]["appointmentStatus"], "rescheduled");
        let known: AppointmentCreate =
            serde_json::from_slice(br#"{"appointment":{"id":"a","appointmentStatus":"noshow"}}"#)
                .expect("decodes");
        assert_eq!(
            known.appointment.appointment_status,
            Some(AppointmentStatus::NoShow)
        );
    }

    #[test]
    fn the_doc_bug_type_does_not_change_how_a_delete_decodes() {
        let buggy = br#"{"type":"AppointmentCreate","appointment":{"id":"a1"}}"#;
        let fixed = br#"{"type":"AppointmentDelete","appointment":{"id":"a1"}}"#;
        let a: AppointmentDelete = serde_json::from_slice(buggy).expect("decodes");
        let b: AppointmentDelete = serde_json::from_slice(fixed).expect("decodes");
        assert_eq!(a, b);
    }

    #[test]
    fn the_appointment_and_its_id_are_required() {
        assert!(serde_json::from_slice::<AppointmentCreate>(br#"{"locationId":"l"}"#).is_err());
        assert!(
            serde_json::from_slice::<AppointmentCreate>(br#"{"appointment":{"title":"t"}}"#)
                .is_err()
        );
    }
}
