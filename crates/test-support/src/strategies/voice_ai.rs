//! Strategies for the VoiceAiCallEnd event.
//!
//! Each executed action gets an `actionType` and `actionParameters` in the matching documented
//! shape (one of the 8), or (one time in nine) an undocumented `actionType` with a mix of
//! fields.

use ghl_webhook_types::voice_ai::{
    ActionParameters, ActionType, CustomActionApiDetails, CustomActionHeader,
    CustomActionParameter, ExecutedCallAction, HttpMethod, TransferToType, Translation,
    VoiceAiCallEnd,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::common::{free_text, hundredths, id, json_object, open_value, phone, timestamp, url};

/// Parameters with no field set, for filling in the fields of one shape.
fn empty_parameters() -> ActionParameters {
    ActionParameters {
        trigger_prompt: None,
        trigger_message: None,
        transfer_to_type: None,
        transfer_to_value: None,
        hear_whisper_message: None,
        contact_field_id: None,
        description: None,
        examples: Vec::new(),
        overwrite_existing_value: None,
        workflow_id: None,
        message_body: None,
        calendar_id: None,
        days_of_offering_dates: None,
        slots_per_day: None,
        hours_between_slots: None,
        api_details: None,
        selected_paths: Vec::new(),
        knowledge_base_id: None,
        parameters: Vec::new(),
    }
}

/// A call transcript translation.
pub fn translation() -> impl Strategy<Value = Translation> {
    (of(free_text()), of("[a-z]{2}")).prop_map(|(transcript, language)| Translation {
        transcript,
        language,
    })
}

/// A custom action header.
pub fn custom_action_header() -> impl Strategy<Value = CustomActionHeader> {
    (of("[a-z-]{1,12}"), of(free_text())).prop_map(|(key, value)| CustomActionHeader { key, value })
}

/// A custom action / knowledge base parameter.
pub fn custom_action_parameter() -> impl Strategy<Value = CustomActionParameter> {
    (
        of("[a-zA-Z]{1,12}"),
        of(free_text()),
        of("(string|number|boolean)"),
        of(free_text()),
    )
        .prop_map(
            |(name, description, parameter_type, example)| CustomActionParameter {
                name,
                description,
                parameter_type,
                example,
            },
        )
}

/// A custom action's HTTP call.
pub fn custom_action_api_details() -> impl Strategy<Value = CustomActionApiDetails> {
    (
        of(url()),
        of(open_value::<HttpMethod>(HttpMethod::KNOWN)),
        of(any::<bool>()),
        of(free_text()),
        vec(custom_action_header(), 0..3),
        vec(custom_action_parameter(), 0..3),
    )
        .prop_map(
            |(url, method, authentication_required, authentication_value, headers, parameters)| {
                CustomActionApiDetails {
                    url,
                    method,
                    authentication_required,
                    authentication_value,
                    headers,
                    parameters,
                }
            },
        )
}

/// `actionParameters` in one of the 8 documented shapes, with its matching `actionType`.
pub fn typed_action_parameters() -> impl Strategy<Value = (ActionType, ActionParameters)> {
    let prompts = || (of(free_text()), of(free_text()));
    let extraction = |action_type: ActionType| {
        (
            of(id()),
            of(free_text()),
            vec(free_text(), 0..3),
            of(any::<bool>()),
        )
            .prop_map(
                move |(contact_field_id, description, examples, overwrite_existing_value)| {
                    (
                        action_type.clone(),
                        ActionParameters {
                            contact_field_id,
                            description,
                            examples,
                            overwrite_existing_value,
                            ..empty_parameters()
                        },
                    )
                },
            )
    };
    prop_oneof![
        (
            prompts(),
            of(open_value::<TransferToType>(TransferToType::KNOWN)),
            of(phone()),
            of(any::<bool>()),
        )
            .prop_map(
                |((trigger_prompt, trigger_message), to_type, to_value, whisper)| {
                    (
                        ActionType::CallTransfer,
                        ActionParameters {
                            trigger_prompt,
                            trigger_message,
                            transfer_to_type: to_type,
                            transfer_to_value: to_value,
                            hear_whisper_message: whisper,
                            ..empty_parameters()
                        },
                    )
                }
            ),
        extraction(ActionType::DataExtraction),
        extraction(ActionType::InCallDataExtraction),
        (prompts(), of(id())).prop_map(|((trigger_prompt, trigger_message), workflow_id)| {
            (
                ActionType::WorkflowTrigger,
                ActionParameters {
                    trigger_prompt,
                    trigger_message,
                    workflow_id,
                    ..empty_parameters()
                },
            )
        }),
        (prompts(), of(free_text())).prop_map(|((trigger_prompt, trigger_message), body)| {
            (
                ActionType::Sms,
                ActionParameters {
                    trigger_prompt,
                    trigger_message,
                    message_body: body,
                    ..empty_parameters()
                },
            )
        }),
        (
            of(id()),
            of(hundredths(0..100_000)),
            of(hundredths(0..100_000)),
            of(hundredths(0..100_000))
        )
            .prop_map(|(calendar_id, days, slots, hours)| {
                (
                    ActionType::AppointmentBooking,
                    ActionParameters {
                        calendar_id,
                        days_of_offering_dates: days,
                        slots_per_day: slots,
                        hours_between_slots: hours,
                        ..empty_parameters()
                    },
                )
            }),
        (
            prompts(),
            of(custom_action_api_details()),
            vec("[a-z]{1,8}(\\.[a-z]{1,8}){0,2}", 0..3),
        )
            .prop_map(
                |((trigger_prompt, trigger_message), api_details, selected_paths)| {
                    (
                        ActionType::CustomAction,
                        ActionParameters {
                            trigger_prompt,
                            trigger_message,
                            api_details,
                            selected_paths,
                            ..empty_parameters()
                        },
                    )
                }
            ),
        (prompts(), of(id()), vec(custom_action_parameter(), 0..3)).prop_map(
            |((trigger_prompt, trigger_message), knowledge_base_id, parameters)| {
                (
                    ActionType::KnowledgeBase,
                    ActionParameters {
                        trigger_prompt,
                        trigger_message,
                        knowledge_base_id,
                        parameters,
                        ..empty_parameters()
                    },
                )
            }
        ),
        // An undocumented action type, with a mix of fields.
        ("X_[A-Z_]{1,12}", prompts(), of(id())).prop_map(
            |(action_type, (trigger_prompt, trigger_message), workflow_id)| {
                (
                    ActionType::from(action_type),
                    ActionParameters {
                        trigger_prompt,
                        trigger_message,
                        workflow_id,
                        ..empty_parameters()
                    },
                )
            }
        ),
    ]
}

/// One executed action; `actionType` absent or `actionParameters` absent now and then.
pub fn executed_call_action() -> impl Strategy<Value = ExecutedCallAction> {
    (
        of(id()),
        typed_action_parameters(),
        (any::<bool>(), any::<bool>()),
        of(free_text()),
        of(free_text()),
        (of(timestamp()), of(timestamp())),
    )
        .prop_map(
            |(
                id,
                (action_type, parameters),
                (keep_type, keep_parameters),
                action_name,
                description,
                (executed_at, trigger_received_at),
            )| ExecutedCallAction {
                id,
                action_type: keep_type.then_some(action_type),
                action_name,
                description,
                action_parameters: keep_parameters.then_some(parameters),
                executed_at,
                trigger_received_at,
            },
        )
}

/// A VoiceAiCallEnd.
pub fn voice_ai_call_end() -> impl Strategy<Value = VoiceAiCallEnd> {
    (
        id(),
        (of(id()), of(id()), of(id())),
        of(phone()),
        of(timestamp()),
        of(hundredths(0..100_000)),
        (of(free_text()), of(free_text()), of(translation())),
        of(json_object()),
        of(id()),
        of(any::<bool>()),
        vec(executed_call_action(), 0..3),
    )
        .prop_map(
            |(
                id,
                (location_id, agent_id, contact_id),
                from_number,
                created_at,
                duration,
                (summary, transcript, translation),
                extracted_data,
                message_id,
                trial_call,
                executed_call_actions,
            )| VoiceAiCallEnd {
                id,
                location_id,
                agent_id,
                contact_id,
                from_number,
                created_at,
                duration,
                summary,
                transcript,
                translation,
                extracted_data,
                message_id,
                trial_call,
                executed_call_actions,
            },
        )
}

event_strategies! {
    VoiceAiCallEnd => voice_ai_call_end(),
}
