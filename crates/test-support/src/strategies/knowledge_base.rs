//! Strategies for the Knowledge Base events.

use ghl_webhook_types::knowledge_base::{
    AssetAction, AssetStatus, AssetType, KnowledgeBase, KnowledgeBaseAsset, KnowledgeBaseCreate,
    KnowledgeBaseDelete, KnowledgeBaseFaqChange, KnowledgeBaseFileChange,
    KnowledgeBaseRichTextChange, KnowledgeBaseTableFileChange, KnowledgeBaseTrainedUrlChange,
    KnowledgeBaseUpdate,
};
use proptest::option::of;
use proptest::prelude::*;

use super::common::{free_text, id, open_value};

/// The body shared by KnowledgeBaseCreate, KnowledgeBaseUpdate and KnowledgeBaseDelete.
pub fn knowledge_base() -> impl Strategy<Value = KnowledgeBase> {
    (
        id(),
        of(id()),
        of(free_text()),
        of(free_text()),
        of(any::<bool>()),
    )
        .prop_map(
            |(id, location_id, name, description, deleted)| KnowledgeBase {
                id,
                location_id,
                name,
                description,
                deleted,
            },
        )
}

/// The body shared by the five asset events.
pub fn knowledge_base_asset() -> impl Strategy<Value = KnowledgeBaseAsset> {
    (
        id(),
        of(id()),
        of(id()),
        of(open_value::<AssetType>(AssetType::KNOWN)),
        of(open_value::<AssetStatus>(AssetStatus::KNOWN)),
        of(open_value::<AssetAction>(AssetAction::KNOWN)),
        of(any::<bool>()),
    )
        .prop_map(
            |(id, location_id, knowledge_base_id, asset_type, status, action, deleted)| {
                KnowledgeBaseAsset {
                    id,
                    location_id,
                    knowledge_base_id,
                    asset_type,
                    status,
                    action,
                    deleted,
                }
            },
        )
}

/// A KnowledgeBaseCreate.
pub fn knowledge_base_create() -> impl Strategy<Value = KnowledgeBaseCreate> {
    knowledge_base().prop_map(KnowledgeBaseCreate)
}

/// A KnowledgeBaseUpdate.
pub fn knowledge_base_update() -> impl Strategy<Value = KnowledgeBaseUpdate> {
    knowledge_base().prop_map(KnowledgeBaseUpdate)
}

/// A KnowledgeBaseDelete.
pub fn knowledge_base_delete() -> impl Strategy<Value = KnowledgeBaseDelete> {
    knowledge_base().prop_map(KnowledgeBaseDelete)
}

/// A KnowledgeBaseFaqChange.
pub fn knowledge_base_faq_change() -> impl Strategy<Value = KnowledgeBaseFaqChange> {
    knowledge_base_asset().prop_map(KnowledgeBaseFaqChange)
}

/// A KnowledgeBaseFileChange.
pub fn knowledge_base_file_change() -> impl Strategy<Value = KnowledgeBaseFileChange> {
    knowledge_base_asset().prop_map(KnowledgeBaseFileChange)
}

/// A KnowledgeBaseRichTextChange.
pub fn knowledge_base_rich_text_change() -> impl Strategy<Value = KnowledgeBaseRichTextChange> {
    knowledge_base_asset().prop_map(KnowledgeBaseRichTextChange)
}

/// A KnowledgeBaseTableFileChange.
pub fn knowledge_base_table_file_change() -> impl Strategy<Value = KnowledgeBaseTableFileChange> {
    knowledge_base_asset().prop_map(KnowledgeBaseTableFileChange)
}

/// A KnowledgeBaseTrainedUrlChange.
pub fn knowledge_base_trained_url_change() -> impl Strategy<Value = KnowledgeBaseTrainedUrlChange> {
    knowledge_base_asset().prop_map(KnowledgeBaseTrainedUrlChange)
}

event_strategies! {
    KnowledgeBaseCreate => knowledge_base_create(),
    KnowledgeBaseUpdate => knowledge_base_update(),
    KnowledgeBaseDelete => knowledge_base_delete(),
    KnowledgeBaseFaqChange => knowledge_base_faq_change(),
    KnowledgeBaseFileChange => knowledge_base_file_change(),
    KnowledgeBaseRichTextChange => knowledge_base_rich_text_change(),
    KnowledgeBaseTableFileChange => knowledge_base_table_file_change(),
    KnowledgeBaseTrainedUrlChange => knowledge_base_trained_url_change(),
}
