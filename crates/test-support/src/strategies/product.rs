//! Strategies for the Product events.

use ghl_webhook_types::product::{
    MediaType, Product, ProductCreate, ProductDelete, ProductMedia, ProductType, ProductUpdate,
    ProductVariant, VariantOption,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::common::{free_text, id, open_value};

fn timestamp() -> impl Strategy<Value = String> {
    "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T[01][0-9]:[0-5][0-9]:[0-5][0-9]\\.[0-9]{3}Z"
}

fn url() -> impl Strategy<Value = String> {
    "https://storage\\.example\\.com/[a-zA-Z0-9]{1,12}/[a-z0-9-]{1,16}\\.(png|jpg|mp4)"
}

fn variant_option() -> impl Strategy<Value = VariantOption> {
    (of("[a-z0-9]{11}"), of(free_text())).prop_map(|(id, name)| VariantOption { id, name })
}

fn product_variant() -> impl Strategy<Value = ProductVariant> {
    (
        of("[a-z0-9]{11}"),
        of(free_text()),
        vec(variant_option(), 0..3),
    )
        .prop_map(|(id, name, options)| ProductVariant { id, name, options })
}

fn product_media() -> impl Strategy<Value = ProductMedia> {
    (
        of("[a-z0-9]{11}"),
        of(free_text()),
        of(url()),
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
            of(url()),
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
