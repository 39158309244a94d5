//! The VoiceAiCallEnd event: a Voice AI agent's call ended, with its transcript, summary,
//! extracted data and the actions the agent executed during the call.
//!
//! The event carries no `type`: identify it by route binding.
//!
//! # `actionParameters`
//!
//! Each entry of `executedCallActions` has `actionParameters` in one of 8 documented shapes,
//! chosen by its `actionType` (call transfer, data extraction, in-call data extraction,
//! workflow trigger, SMS, appointment booking, custom action, knowledge base). The shapes carry
//! no tag of their own and overlap (the two data extraction shapes are identical; most share
//! `triggerPrompt`/`triggerMessage`), and no field name means two different things across them.
//! So they are modelled as **one struct, [`ActionParameters`], holding the union of all their
//! fields, every one optional**, rather than as an untagged enum:
//! - every documented shape decodes with every documented field kept, whatever `actionType`
//!   says (a mismatched or new `actionType` loses nothing);
//! - there is no ordering trap of untagged enums (a shape silently decoding as an earlier
//!   variant that happens to fit);
//! - a decoded value serializes back to exactly the fields it came with: `None` fields and
//!   empty lists are not written, so a round trip gives an equal value.
//!
//! Read `actionType` on the [`ExecutedCallAction`] to know which fields to expect.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::open_enum;

open_enum! {
    /// The kind of action a Voice AI agent executed.
    pub enum ActionType {
        /// Transferred the call.
        CallTransfer => "CALL_TRANSFER",
        /// Extracted data into a contact field after the call.
        DataExtraction => "DATA_EXTRACTION",
        /// Extracted data into a contact field during the call.
        InCallDataExtraction => "IN_CALL_DATA_EXTRACTION",
        /// Triggered a workflow.
        WorkflowTrigger => "WORKFLOW_TRIGGER",
        /// Sent an SMS.
        Sms => "SMS",
        /// Booked an appointment.
        AppointmentBooking => "APPOINTMENT_BOOKING",
        /// Called a custom HTTP API.
        CustomAction => "CUSTOM_ACTION",
        /// Looked up a knowledge base.
        KnowledgeBase => "KNOWLEDGE_BASE",
    }
}

open_enum! {
    /// Where a call transfer goes. Only `number` is documented.
    pub enum TransferToType {
        /// A phone number (in `transferToValue`).
        Number => "number",
    }
}

open_enum! {
    /// HTTP method of a custom action's API call.
    pub enum HttpMethod {
        /// `POST`.
        Post => "POST",
        /// `GET`.
        Get => "GET",
    }
}

/// A translation of the call transcript.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Translation {
    /// The translated transcript.
    pub transcript: Option<String>,
    /// Language of the translation, e.g. `es`.
    pub language: Option<String>,
}

/// A header sent by a custom action.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomActionHeader {
    /// Header name.
    pub key: Option<String>,
    /// Header value.
    pub value: Option<String>,
}

/// A parameter of a custom action or knowledge base action, filled by the agent.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomActionParameter {
    /// Parameter name, e.g. `orderId`.
    pub name: Option<String>,
    /// What the parameter is, for the agent.
    pub description: Option<String>,
    /// The parameter's data type as configured (e.g. `string`): free text, not the event.
    #[serde(rename = "type")]
    pub parameter_type: Option<String>,
    /// An example value.
    pub example: Option<String>,
}

/// The HTTP call a custom action makes.
///
/// Empty lists are not serialized, so a decoded value serializes back to the fields it came
/// with.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomActionApiDetails {
    /// The URL called.
    pub url: Option<String>,
    /// `GET` or `POST`.
    pub method: Option<HttpMethod>,
    /// Whether the call sends an authentication value.
    pub authentication_required: Option<bool>,
    /// The authentication value (e.g. a bearer token) as configured in HighLevel.
    pub authentication_value: Option<String>,
    /// Headers sent.
    #[serde(
        default,
        deserialize_with = "crate::lenient::null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub headers: Vec<CustomActionHeader>,
    /// Parameters sent.
    #[serde(
        default,
        deserialize_with = "crate::lenient::null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub parameters: Vec<CustomActionParameter>,
}

/// The parameters of an executed action: the union of the 8 documented shapes, every field
/// optional (see the [module docs](self) for why).
///
/// Which fields each `actionType` documents (required ones in bold in the docs are still
/// optional here):
///
/// | `actionType` | fields |
/// |---|---|
/// | `CALL_TRANSFER` | `trigger_prompt`, `transfer_to_type`, `transfer_to_value`, `trigger_message`, `hear_whisper_message` |
/// | `DATA_EXTRACTION`, `IN_CALL_DATA_EXTRACTION` | `contact_field_id`, `description`, `examples`, `overwrite_existing_value` |
/// | `WORKFLOW_TRIGGER` | `trigger_prompt`, `trigger_message`, `workflow_id` |
/// | `SMS` | `trigger_prompt`, `trigger_message`, `message_body` |
/// | `APPOINTMENT_BOOKING` | `calendar_id`, `days_of_offering_dates`, `slots_per_day`, `hours_between_slots` |
/// | `CUSTOM_ACTION` | `trigger_prompt`, `trigger_message`, `api_details`, `selected_paths` |
/// | `KNOWLEDGE_BASE` | `trigger_prompt`, `trigger_message`, `knowledge_base_id`, `parameters` |
///
/// Empty lists are not serialized, so a decoded value serializes back to the fields it came
/// with.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionParameters {
    /// What the caller says that triggers the action (most shapes).
    pub trigger_prompt: Option<String>,
    /// What the agent says when the action runs (most shapes).
    pub trigger_message: Option<String>,
    /// Call transfer: where to (`number`, ...).
    pub transfer_to_type: Option<TransferToType>,
    /// Call transfer: the destination, e.g. a phone number.
    pub transfer_to_value: Option<String>,
    /// Call transfer: whether a whisper message is played to the receiver.
    pub hear_whisper_message: Option<bool>,
    /// Data extraction: the contact field written.
    pub contact_field_id: Option<String>,
    /// Data extraction: what to extract.
    pub description: Option<String>,
    /// Data extraction: example values.
    #[serde(
        default,
        deserialize_with = "crate::lenient::null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub examples: Vec<String>,
    /// Data extraction: whether an existing value is overwritten.
    pub overwrite_existing_value: Option<bool>,
    /// Workflow trigger: the workflow started.
    pub workflow_id: Option<String>,
    /// SMS: the message sent.
    pub message_body: Option<String>,
    /// Appointment booking: the calendar booked on.
    pub calendar_id: Option<String>,
    /// Appointment booking: how many days of dates are offered (a JSON number).
    pub days_of_offering_dates: Option<f64>,
    /// Appointment booking: slots offered per day (a JSON number).
    pub slots_per_day: Option<f64>,
    /// Appointment booking: hours between offered slots (a JSON number).
    pub hours_between_slots: Option<f64>,
    /// Custom action: the HTTP call made.
    pub api_details: Option<CustomActionApiDetails>,
    /// Custom action: the response paths kept, e.g. `data.orderId`.
    #[serde(
        default,
        deserialize_with = "crate::lenient::null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub selected_paths: Vec<String>,
    /// Knowledge base: the knowledge base consulted.
    pub knowledge_base_id: Option<String>,
    /// Knowledge base: the parameters filled by the agent.
    #[serde(
        default,
        deserialize_with = "crate::lenient::null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub parameters: Vec<CustomActionParameter>,
}

/// One action the agent executed during the call.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutedCallAction {
    /// Id of the action execution (`_id` on the wire).
    #[serde(rename = "_id")]
    pub id: Option<String>,
    /// The kind of action; says which [`ActionParameters`] fields to expect.
    pub action_type: Option<ActionType>,
    /// Name of the action as configured, e.g. `Transfer to Sales`.
    pub action_name: Option<String>,
    /// Description of the action.
    pub description: Option<String>,
    /// The action's parameters.
    pub action_parameters: Option<ActionParameters>,
    /// When the action ran, ISO-8601 as sent.
    pub executed_at: Option<String>,
    /// When the trigger was heard, ISO-8601 as sent.
    pub trigger_received_at: Option<String>,
}

/// A Voice AI call ended. Identified by route binding (no `type`).
///
/// `id` identifies the call and is required; every other field may be absent or `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoiceAiCallEnd {
    /// Unique identifier of the call.
    pub id: String,
    /// The location (sub-account).
    pub location_id: Option<String>,
    /// The Voice AI agent that took the call.
    pub agent_id: Option<String>,
    /// The contact on the call.
    pub contact_id: Option<String>,
    /// The caller's number.
    pub from_number: Option<String>,
    /// When the call started, ISO-8601 as sent.
    pub created_at: Option<String>,
    /// Call length (seconds in the doc example). A JSON number.
    pub duration: Option<f64>,
    /// AI summary of the call.
    pub summary: Option<String>,
    /// The call transcript.
    pub transcript: Option<String>,
    /// A translation of the transcript.
    pub translation: Option<Translation>,
    /// Data the agent extracted; keys depend on the agent's configuration, so it is kept as
    /// free-form JSON.
    pub extracted_data: Option<serde_json::Value>,
    /// The conversation message recording the call.
    pub message_id: Option<String>,
    /// Whether this was a trial (test) call.
    pub trial_call: Option<bool>,
    /// The actions the agent executed, in order.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub executed_call_actions: Vec<ExecutedCallAction>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// The 8 documented `actionParameters` shapes, every documented field present.
    fn shapes() -> Vec<(&'static str, Value)> {
        vec![
            (
                "CALL_TRANSFER",
                json!({"triggerPrompt":"When caller asks for pricing","transferToType":"number",
                       "transferToValue":"+12345678901","triggerMessage":"Connecting you now",
                       "hearWhisperMessage":true}),
            ),
            (
                "DATA_EXTRACTION",
                json!({"contactFieldId":"cf_budget","description":"The caller's budget",
                       "examples":["$500","about 1k"],"overwriteExistingValue":false}),
            ),
            (
                "IN_CALL_DATA_EXTRACTION",
                json!({"contactFieldId":"email","description":"The caller's e-mail",
                       "examples":["a@b.io"],"overwriteExistingValue":true}),
            ),
            (
                "WORKFLOW_TRIGGER",
                json!({"triggerPrompt":"When caller wants a callback",
                       "triggerMessage":"I'll arrange that","workflowId":"wf_123"}),
            ),
            (
                "SMS",
                json!({"triggerPrompt":"When caller asks for the address",
                       "triggerMessage":"Texting it now","messageBody":"12 Main St"}),
            ),
            (
                "APPOINTMENT_BOOKING",
                json!({"calendarId":"cal_1","daysOfOfferingDates":7,"slotsPerDay":3,
                       "hoursBetweenSlots":1.5}),
            ),
            (
                "CUSTOM_ACTION",
                json!({"triggerPrompt":"When caller provides order number",
                       "triggerMessage":"Let me check that",
                       "apiDetails":{"url":"https://api.example.com/orders","method":"GET",
                           "authenticationRequired":true,"authenticationValue":"Bearer x",
                           "headers":[{"key":"x-tenant","value":"acme"}],
                           "parameters":[{"name":"orderId","description":"Order ID",
                               "type":"string","example":"ORD-123"}]},
                       "selectedPaths":["data.orderId","status"]}),
            ),
            (
                "KNOWLEDGE_BASE",
                json!({"triggerPrompt":"When caller asks about returns",
                       "triggerMessage":"One moment","knowledgeBaseId":"kb_1",
                       "parameters":[{"name":"topic","description":"Topic","type":"string",
                           "example":"returns"}]}),
            ),
        ]
    }

    /// JSON equality with numbers compared by value (`7` and `7.0` are the same number).
    fn same_json(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
            }
            _ => a == b,
        }
    }

    #[test]
    fn each_of_the_eight_action_parameter_shapes_decodes_without_loss() {
        let shapes = shapes();
        assert_eq!(shapes.len(), 8);
        assert_eq!(ActionType::KNOWN.len(), 8);
        for (action_type, params) in shapes {
            let action = json!({"_id":"x1","actionType":action_type,"actionName":"n",
                                "actionParameters":params.clone()});
            let decoded: ExecutedCallAction =
                serde_json::from_value(action).unwrap_or_else(|e| panic!("{action_type}: {e}"));
            assert!(
                !matches!(decoded.action_type, Some(ActionType::Other(_))),
                "{action_type}"
            );
            let back = serde_json::to_value(decoded.action_parameters.as_ref().expect("params"))
                .expect("encodes");
            assert!(
                same_json(&back, &params),
                "{action_type} lost data:\n{back}\nvs\n{params}"
            );
            let again: ExecutedCallAction =
                serde_json::from_value(serde_json::to_value(&decoded).expect("encodes"))
                    .expect("re-decodes");
            assert_eq!(again, decoded, "{action_type} round trip");
        }
    }

    #[test]
    fn shapes_decode_field_by_field() {
        let all: Vec<ActionParameters> = shapes()
            .into_iter()
            .map(|(_, v)| serde_json::from_value(v).expect("decodes"))
            .collect();
        assert_eq!(all[0].transfer_to_type, Some(TransferToType::Number));
        assert_eq!(all[0].hear_whisper_message, Some(true));
        assert_eq!(
            all[1].examples,
            vec!["$500".to_owned(), "about 1k".to_owned()]
        );
        assert_eq!(all[2].overwrite_existing_value, Some(true));
        assert_eq!(all[3].workflow_id.as_deref(), Some("wf_123"));
        assert_eq!(all[4].message_body.as_deref(), Some("12 Main St"));
        assert_eq!(all[5].days_of_offering_dates, Some(7.0));
        assert_eq!(all[5].hours_between_slots, Some(1.5));
        let api = all[6].api_details.as_ref().expect("apiDetails");
        assert_eq!(api.method, Some(HttpMethod::Get));
        assert_eq!(api.headers[0].value.as_deref(), Some("acme"));
        assert_eq!(api.parameters[0].parameter_type.as_deref(), Some("string"));
        assert_eq!(all[6].selected_paths.len(), 2);
        assert_eq!(all[7].knowledge_base_id.as_deref(), Some("kb_1"));
        assert_eq!(all[7].parameters[0].name.as_deref(), Some("topic"));
    }

    #[test]
    fn unknown_action_types_and_shapes_are_kept() {
        let body = br#"{"id":"c1","executedCallActions":[{"actionType":"SEND_EMAIL",
            "actionParameters":{"triggerPrompt":"p","emailTo":"a@b.io"}},
            {"actionType":"CALL_TRANSFER","actionParameters":{"transferToType":"agent"}}]}"#;
        let call: VoiceAiCallEnd = serde_json::from_slice(body).expect("decodes");
        let actions = &call.executed_call_actions;
        assert_eq!(
            actions[0].action_type,
            Some(ActionType::Other("SEND_EMAIL".into()))
        );
        let params = actions[0].action_parameters.as_ref().expect("params");
        assert_eq!(params.trigger_prompt.as_deref(), Some("p"));
        let params = actions[1].action_parameters.as_ref().expect("params");
        assert_eq!(
            params.transfer_to_type,
            Some(TransferToType::Other("agent".into()))
        );
    }

    #[test]
    fn unknown_fields_and_null_optionals_still_decode() {
        let body = br#"{"id":"c1","duration":null,"translation":null,"extractedData":null,
            "executedCallActions":null,"sentiment":{"score":0.4},"trialCall":null}"#;
        let call: VoiceAiCallEnd = serde_json::from_slice(body).expect("decodes");
        assert_eq!(call.id, "c1");
        assert_eq!(call.duration, None);
        assert_eq!(call.extracted_data, None);
        assert!(call.executed_call_actions.is_empty());

        let body = br#"{"id":"c2","executedCallActions":[{"_id":null,"actionType":null,
            "actionParameters":{"examples":null,"apiDetails":{"headers":null,"method":null}},
            "newField":1}]}"#;
        let call: VoiceAiCallEnd = serde_json::from_slice(body).expect("decodes");
        let params = call.executed_call_actions[0]
            .action_parameters
            .as_ref()
            .expect("params");
        assert!(params.examples.is_empty());
        assert!(params.api_details.as_ref().expect("api").headers.is_empty());
    }

    #[test]
    fn the_id_is_required() {
        assert!(serde_json::from_slice::<VoiceAiCallEnd>(br#"{"agentId":"a"}"#).is_err());
    }
}
