//! Knowledge Base events (Conversation AI knowledge bases): a knowledge base was created,
//! updated or deleted, or one of its assets (FAQ, file, rich text, table file, trained URL)
//! changed.
//!
//! All eight events carry `"type": "<EventName>"`. Create/Update/Delete share
//! [`KnowledgeBase`]; the five asset events share [`KnowledgeBaseAsset`], whose `action` says
//! whether the asset was created, updated or deleted.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::open_enum;
use crate::shape::same_shape;

/// The body shared by KnowledgeBaseCreate, KnowledgeBaseUpdate and KnowledgeBaseDelete.
///
/// `id` identifies the knowledge base and is required; every other field may be absent or
/// `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnowledgeBase {
    /// Unique identifier of the knowledge base.
    pub id: String,
    /// The location (sub-account) it belongs to.
    pub location_id: Option<String>,
    /// Name of the knowledge base.
    pub name: Option<String>,
    /// Description of the knowledge base.
    pub description: Option<String>,
    /// Whether the knowledge base is deleted (`true` on KnowledgeBaseDelete).
    pub deleted: Option<bool>,
}

same_shape! {
    KnowledgeBase =>
    /// A knowledge base was created. Identified by `type` `KnowledgeBaseCreate`.
    KnowledgeBaseCreate,
    /// A knowledge base's name or description was updated. Identified by `type`
    /// `KnowledgeBaseUpdate`.
    KnowledgeBaseUpdate,
    /// A knowledge base was deleted. Identified by `type` `KnowledgeBaseDelete`.
    KnowledgeBaseDelete,
}

open_enum! {
    /// The kind of knowledge base asset. Each asset event documents one fixed value.
    pub enum AssetType {
        /// A question/answer pair (KnowledgeBaseFaqChange).
        Faq => "faq",
        /// An uploaded document (KnowledgeBaseFileChange).
        File => "file",
        /// A rich text page (KnowledgeBaseRichTextChange).
        RichText => "rich_text",
        /// An uploaded table/spreadsheet (KnowledgeBaseTableFileChange).
        TableFile => "table_file",
        /// A crawled web page (KnowledgeBaseTrainedUrlChange).
        TrainedUrl => "trained_url",
    }
}

open_enum! {
    /// What happened to the asset.
    pub enum AssetAction {
        /// The asset was created.
        Created => "created",
        /// The asset was updated.
        Updated => "updated",
        /// The asset was deleted (`deleted` is then `true`).
        Deleted => "deleted",
    }
}

open_enum! {
    /// Processing state of an asset. The docs say it "varies by asset type" and list only
    /// examples, so this set is expected to grow.
    pub enum AssetStatus {
        /// Live (FAQ, rich text).
        Active => "active",
        /// Uploaded, not trained yet (files, table files).
        Uploaded => "uploaded",
        /// Trained (files, trained URLs).
        Trained => "trained",
        /// Processing or crawling failed.
        Failed => "failed",
        /// Crawling was aborted (trained URLs).
        Aborted => "aborted",
    }
}

/// The body shared by the five knowledge base asset events.
///
/// `id` identifies the asset and is required; every other field may be absent or `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnowledgeBaseAsset {
    /// Unique identifier of the asset.
    pub id: String,
    /// The location (sub-account) it belongs to.
    pub location_id: Option<String>,
    /// The knowledge base holding the asset.
    pub knowledge_base_id: Option<String>,
    /// The kind of asset (`faq`, `file`, `rich_text`, `table_file`, `trained_url`, ...).
    pub asset_type: Option<AssetType>,
    /// Processing state (`active`, `uploaded`, `trained`, `failed`, `aborted`, ...).
    pub status: Option<AssetStatus>,
    /// What happened (`created`, `updated`, `deleted`, ...).
    pub action: Option<AssetAction>,
    /// Whether the asset is deleted.
    pub deleted: Option<bool>,
}

same_shape! {
    KnowledgeBaseAsset =>
    /// An FAQ asset was created, updated or deleted (see `action`). Identified by `type`
    /// `KnowledgeBaseFaqChange`.
    KnowledgeBaseFaqChange,
    /// A file asset was created, updated or deleted (see `action`). Identified by `type`
    /// `KnowledgeBaseFileChange`.
    KnowledgeBaseFileChange,
    /// A rich text asset was created, updated or deleted (see `action`). Identified by `type`
    /// `KnowledgeBaseRichTextChange`.
    KnowledgeBaseRichTextChange,
    /// A table file asset was created, updated or deleted (see `action`). Identified by `type`
    /// `KnowledgeBaseTableFileChange`.
    KnowledgeBaseTableFileChange,
    /// A trained URL asset was created, updated or deleted (see `action`). Identified by
    /// `type` `KnowledgeBaseTrainedUrlChange`.
    KnowledgeBaseTrainedUrlChange,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_null_optionals_still_decode() {
        let body = br#"{"type":"KnowledgeBaseUpdate","id":"kb1","name":null,"deleted":null,
            "locationId":null,"newThing":{"a":[1]}}"#;
        let kb: KnowledgeBaseUpdate = serde_json::from_slice(body).expect("decodes");
        assert_eq!(kb.id, "kb1");
        assert_eq!(kb.name, None);
        assert_eq!(kb.deleted, None);

        let body = br#"{"type":"KnowledgeBaseFileChange","id":"f1","knowledgeBaseId":null,
            "assetType":null,"status":null,"action":null,"size":123}"#;
        let asset: KnowledgeBaseFileChange = serde_json::from_slice(body).expect("decodes");
        assert_eq!(asset.id, "f1");
        assert_eq!(asset.asset_type, None);
    }

    #[test]
    fn unknown_asset_types_statuses_and_actions_are_kept_in_other() {
        let body = br#"{"id":"a","assetType":"video","status":"processing","action":"restored"}"#;
        let asset: KnowledgeBaseFileChange = serde_json::from_slice(body).expect("decodes");
        assert_eq!(asset.asset_type, Some(AssetType::Other("video".into())));
        assert_eq!(asset.status, Some(AssetStatus::Other("processing".into())));
        assert_eq!(asset.action, Some(AssetAction::Other("restored".into())));
        let back = serde_json::to_value(&asset).expect("encodes");
        assert_eq!(back["assetType"], "video");
        assert_eq!(back["status"], "processing");
    }

    #[test]
    fn documented_asset_values_decode_to_their_variants() {
        let body = br#"{"id":"a","assetType":"trained_url","status":"aborted","action":"deleted","deleted":true}"#;
        let asset: KnowledgeBaseTrainedUrlChange = serde_json::from_slice(body).expect("decodes");
        assert_eq!(asset.asset_type, Some(AssetType::TrainedUrl));
        assert_eq!(asset.status, Some(AssetStatus::Aborted));
        assert_eq!(asset.action, Some(AssetAction::Deleted));
        assert_eq!(asset.deleted, Some(true));
    }

    #[test]
    fn the_id_is_required() {
        assert!(serde_json::from_slice::<KnowledgeBaseCreate>(br#"{"name":"n"}"#).is_err());
        assert!(
            serde_json::from_slice::<KnowledgeBaseFaqChange>(br#"{"knowledgeBaseId":"k"}"#)
                .is_err()
        );
    }
}
