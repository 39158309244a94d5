//! Campaign events: a contact's status in a (legacy) campaign changed.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::open_enum;

open_enum! {
    /// The status of a contact in a campaign.
    ///
    /// The doc gives no list of values; `paused` is the one its example shows. Every other
    /// value is kept in `Other`.
    pub enum CampaignStatus {
        /// The campaign is paused for the contact.
        Paused => "paused",
    }
}

/// A campaign status was updated. Identified by `type` `CampaignStatusUpdate`.
///
/// `id` identifies the subject and is required; every other field may be absent or `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignStatusUpdate {
    /// Identifier of the campaign status record.
    pub id: String,
    /// The location (sub-account).
    pub location_id: Option<String>,
    /// The contact whose campaign status changed.
    pub contact_id: Option<String>,
    /// The new status (`paused`, ...).
    pub status: Option<CampaignStatus>,
    /// The campaign (template) concerned.
    pub template_id: Option<String>,
    /// Documented as a string (the doc example holds placeholder text); kept verbatim.
    pub replied: Option<String>,
    /// When the contact was added to the campaign (ISO-8601).
    pub date_added: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WebhookEvent;

    #[test]
    fn unknown_nested_fields_and_null_optionals_still_decode() {
        let body = br#"{"type":"CampaignStatusUpdate","id":"2hxvXh8Fjc69SvujEWMD",
            "locationId":null,"contactId":null,"status":"finished","replied":null,
            "campaign":{"name":"Nurture","steps":[{"id":1}]}}"#;
        let event = CampaignStatusUpdate::decode(body).expect("decodes");
        assert_eq!(event.id, "2hxvXh8Fjc69SvujEWMD");
        assert_eq!(event.contact_id, None);
        assert_eq!(event.status, Some(CampaignStatus::Other("finished".into())));
        assert_eq!(event.replied, None);
    }

    #[test]
    fn the_documented_status_is_a_named_variant() {
        let event =
            CampaignStatusUpdate::decode(br#"{"id":"a","status":"paused"}"#).expect("decodes");
        assert_eq!(event.status, Some(CampaignStatus::Paused));
    }
}
