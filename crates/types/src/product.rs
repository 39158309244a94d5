//! Product events: a product of the location's store was created, updated or deleted.
//!
//! The three events carry no `type` and one documented shape (their schemas are identical):
//! identify them by route binding. All three share [`Product`], identified by `_id`
//! ([`Product::id`]). Prices are separate events (see [`crate::price`]).

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::open_enum;
use crate::shape::same_shape;

open_enum! {
    /// What kind of product it is.
    pub enum ProductType {
        /// A digital product.
        Digital => "DIGITAL",
        /// A physical product.
        Physical => "PHYSICAL",
        /// A service.
        Service => "SERVICE",
        /// A physical product with a digital part.
        PhysicalDigital => "PHYSICAL/DIGITAL",
    }
}

open_enum! {
    /// What a product media is.
    pub enum MediaType {
        /// An image.
        Image => "image",
        /// A video.
        Video => "video",
    }
}

/// The body shared by the three Product events.
///
/// `_id` identifies the subject and is required; every other field may be absent or `null`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    /// Unique identifier of the product (`_id` on the wire).
    #[serde(rename = "_id")]
    pub id: String,
    /// Description shown to buyers.
    pub description: Option<String>,
    /// Variant dimensions (size, colour, ...) and their options.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub variants: Vec<ProductVariant>,
    /// Images and videos of the product.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub medias: Vec<ProductMedia>,
    /// The location (sub-account) the product belongs to.
    pub location_id: Option<String>,
    /// Product name.
    pub name: Option<String>,
    /// Kind of product (`PHYSICAL`, `DIGITAL`, ...; open set).
    pub product_type: Option<ProductType>,
    /// Whether the product is listed in the store.
    pub available_in_store: Option<bool>,
    /// The user who made the change.
    pub user_id: Option<String>,
    /// Creation time (ISO-8601).
    pub created_at: Option<String>,
    /// Last update time (ISO-8601).
    pub updated_at: Option<String>,
    /// Text on the buyer's card statement.
    pub statement_descriptor: Option<String>,
    /// URL of the main image.
    pub image: Option<String>,
}

/// A variant dimension of a product, e.g. "Size".
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductVariant {
    /// Identifier of the dimension.
    pub id: Option<String>,
    /// Name of the dimension.
    pub name: Option<String>,
    /// Values of the dimension.
    #[serde(default, deserialize_with = "crate::lenient::null_as_empty")]
    pub options: Vec<VariantOption>,
}

/// A value of a variant dimension, e.g. "XL". Prices refer to it by id
/// (`variantOptionIds`).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariantOption {
    /// Identifier of the option.
    pub id: Option<String>,
    /// Name of the option.
    pub name: Option<String>,
}

/// An image or video of a product.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductMedia {
    /// Identifier of the media.
    pub id: Option<String>,
    /// Title (often the file name).
    pub title: Option<String>,
    /// URL of the file.
    pub url: Option<String>,
    /// Image or video (open set). `type` on the wire: the media type, not an event name.
    #[serde(rename = "type")]
    pub media_type: Option<MediaType>,
    /// Whether this is the featured media.
    pub is_featured: Option<bool>,
}

same_shape! {
    Product =>
    /// A product was created. Identified by route binding (no `type`).
    ProductCreate,
    /// A product was deleted. Identified by route binding (no `type`).
    ProductDelete,
    /// A product was updated. Identified by route binding (no `type`).
    ProductUpdate,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventKind, WebhookEvent};

    #[test]
    fn product_kinds_need_a_route_binding() {
        for kind in [
            EventKind::ProductCreate,
            EventKind::ProductDelete,
            EventKind::ProductUpdate,
        ] {
            assert!(kind.needs_route_binding(), "{kind}");
            assert_eq!(kind.sent_type(), None);
        }
    }

    #[test]
    fn product_and_media_types_are_open_sets() {
        let body = br#"{"_id":"p1","productType":"PHYSICAL/DIGITAL",
            "medias":[{"type":"image"},{"type":"3d_model"}]}"#;
        let event = ProductUpdate::decode(body).expect("decodes");
        assert_eq!(event.product_type, Some(ProductType::PhysicalDigital));
        assert_eq!(event.medias[0].media_type, Some(MediaType::Image));
        assert_eq!(
            event.medias[1].media_type,
            Some(MediaType::Other("3d_model".into()))
        );
        let new = ProductCreate::decode(br#"{"_id":"p1","productType":"SUBSCRIPTION_BOX"}"#)
            .expect("decodes");
        assert_eq!(
            new.product_type,
            Some(ProductType::Other("SUBSCRIPTION_BOX".into()))
        );
    }

    #[test]
    fn unknown_nested_fields_and_null_optionals_still_decode() {
        let body = br#"{"_id":"p1","description":null,"variants":[{"id":"v1","options":null,
            "position":2}],"medias":null,"productType":null,"availableInStore":null,
            "seo":{"title":"x"},"taxes":[]}"#;
        let event = ProductDelete::decode(body).expect("decodes");
        assert_eq!(event.id, "p1");
        assert_eq!(event.description, None);
        assert_eq!(event.variants.len(), 1);
        assert!(event.variants[0].options.is_empty());
        assert!(event.medias.is_empty());
        assert_eq!(event.product_type, None);
    }

    #[test]
    fn the_product_id_is_required() {
        let err = ProductCreate::decode(br#"{"id":"p1"}"#).expect_err("no _id");
        assert!(err.message.contains("_id"), "{err}");
    }
}
