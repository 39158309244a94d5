//! Strategies for the Appointment events.

use ghl_webhook_types::appointment::{
    Appointment, AppointmentCreate, AppointmentDelete, AppointmentPayload, AppointmentSource,
    AppointmentStatus, AppointmentUpdate,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::common::{free_text, id, open_value, timestamp_with_offset};

/// The appointment itself.
pub fn appointment() -> impl Strategy<Value = Appointment> {
    (
        id(),
        (of(free_text()), of(free_text())),
        (of(id()), of(id()), of(id())),
        of(open_value::<AppointmentStatus>(AppointmentStatus::KNOWN)),
        of(id()),
        vec(id(), 0..3),
        of(free_text()),
        of(open_value::<AppointmentSource>(AppointmentSource::KNOWN)),
        (of(timestamp_with_offset()), of(timestamp_with_offset())),
        (of(timestamp_with_offset()), of(timestamp_with_offset())),
    )
        .prop_map(
            |(
                id,
                (address, title),
                (calendar_id, contact_id, group_id),
                appointment_status,
                assigned_user_id,
                users,
                notes,
                source,
                (start_time, end_time),
                (date_added, date_updated),
            )| Appointment {
                id,
                address,
                title,
                calendar_id,
                contact_id,
                group_id,
                appointment_status,
                assigned_user_id,
                users,
                notes,
                source,
                start_time,
                end_time,
                date_added,
                date_updated,
            },
        )
}

/// The shared Appointment body.
pub fn appointment_payload() -> impl Strategy<Value = AppointmentPayload> {
    (of(id()), appointment()).prop_map(|(location_id, appointment)| AppointmentPayload {
        location_id,
        appointment,
    })
}

/// An AppointmentCreate.
pub fn appointment_create() -> impl Strategy<Value = AppointmentCreate> {
    appointment_payload().prop_map(AppointmentCreate)
}

/// An AppointmentDelete.
pub fn appointment_delete() -> impl Strategy<Value = AppointmentDelete> {
    appointment_payload().prop_map(AppointmentDelete)
}

/// An AppointmentUpdate.
pub fn appointment_update() -> impl Strategy<Value = AppointmentUpdate> {
    appointment_payload().prop_map(AppointmentUpdate)
}

event_strategies! {
    AppointmentCreate => appointment_create(),
    AppointmentDelete => appointment_delete(),
    AppointmentUpdate => appointment_update(),
}
