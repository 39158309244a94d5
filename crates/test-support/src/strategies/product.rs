//! Strategies for the Product events.

use ghl_webhook_types::product::{
    MediaType, Product, ProductCreate, ProductDelete, ProductMedia, ProductType, ProductUpdate,
    ProductVariant, VariantOption,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::common::{file_url, free_text, id, open_value, short_id, timestamp};

fn variant_option() -> impl Strategy<Value = VariantOption> {
    (of(short_id()), of(free_text())).prop_map(|(id, name)| VariantOption { id, name })
}

fn product_variant() -> impl Strategy<Value = ProductVariant> {
    (of(short_id()), of(free_text()), vec(variant_option(), 0..3))
        .prop_map(|(id, name, options)| ProductVariant { id, name, options })
}

fn product_media() -> impl Strategy<Value = ProductMedia> {
    (
        of(short_id()),
        of(free_text()),
        of(file_url()),
        of(open_value::<MediaType>(MediaType::KNOWN)),
        of(any::<bool>()),
    )
        .prop_map(|(id, title, url, media_type, is_featured)| ProductMedia {
            id,
            title,
            url,
            media_type,
            is_featured,
        })
}

/// The shared Product body.
pub fn product() -> impl Strategy<Value = Product> {
    (
        (
            id(),
            of(free_text()),
            vec(product_variant(), 0..3),
            vec(product_media(), 0..3),
            of(id()),
            of(free_text()),
            of(open_value::<ProductType>(ProductType::KNOWN)),
        ),
        (
            of(any::<bool>()),
            of(id()),
            of(timestamp()),
            of(timestamp()),
            of("[A-Za-z ]{1,22}"),
            of(file_url()),
        ),
    )
        .prop_map(
            |(
                (id, description, variants, medias, location_id, name, product_type),
                (available_in_store, user_id, created_at, updated_at, statement_descriptor, image),
            )| Product {
                id,
                description,
                variants,
                medias,
                location_id,
                name,
                product_type,
                available_in_store,
                user_id,
                created_at,
                updated_at,
                statement_descriptor,
                image,
            },
        )
}

/// A ProductCreate.
pub fn product_create() -> impl Strategy<Value = ProductCreate> {
    product().prop_map(ProductCreate)
}

/// A ProductDelete.
pub fn product_delete() -> impl Strategy<Value = ProductDelete> {
    product().prop_map(ProductDelete)
}

/// A ProductUpdate.
pub fn product_update() -> impl Strategy<Value = ProductUpdate> {
    product().prop_map(ProductUpdate)
}

event_strategies! {
    ProductCreate => product_create(),
    ProductDelete => product_delete(),
    ProductUpdate => product_update(),
}
