//! JSON Schemas of the handwritten model types (feature `schemars`), with their documented
//! bounds: what `schemars::schema_for!` shows for a generated model that uses them.
//!
//! Every generated model in [`crate::types`] derives `schemars::JsonSchema` (0.8) when the
//! feature is on; the types here are written by hand, so their schemas are too.

use schemars::JsonSchema;
use schemars::r#gen::SchemaGenerator;
use schemars::schema::{
    ArrayValidation, InstanceType, Metadata, NumberValidation, ObjectValidation, Schema,
    SchemaObject, SingleOrVec, StringValidation,
};
use serde_json::json;

use crate::expiry::{DueDate, SigningSessionExpiry};
use crate::limits::{BoundedVec, CollectionRecord, Collections, Page, PageLimit};
use crate::time::{Millis, Rfc3339, Seconds, Timestamp};
use crate::wire::{Count, SignedUrl, SignerGroup};

/// A schema of `types` with a description.
fn described(types: &[InstanceType], description: &str) -> SchemaObject {
    SchemaObject {
        instance_type: Some(match types {
            [one] => SingleOrVec::Single(Box::new(*one)),
            many => SingleOrVec::Vec(many.to_vec()),
        }),
        metadata: Some(Box::new(Metadata {
            description: Some(description.to_owned()),
            ..Metadata::default()
        })),
        ..SchemaObject::default()
    }
}

/// A whole number sent as a JSON integer or a string of digits.
fn integer_or_digits(description: &str, minimum: Option<f64>) -> Schema {
    let mut schema = described(&[InstanceType::Integer, InstanceType::String], description);
    schema.number = Some(Box::new(NumberValidation {
        minimum,
        ..NumberValidation::default()
    }));
    schema.string = Some(Box::new(StringValidation {
        pattern: Some("^[0-9]+$".to_owned()),
        ..StringValidation::default()
    }));
    schema.into()
}

/// Implements `JsonSchema` inline (never as a `$ref`): these are small value types.
macro_rules! inline_schema {
    ($ty:ty, $name:literal, |$generator:ident| $schema:expr) => {
        impl JsonSchema for $ty {
            fn is_referenceable() -> bool {
                false
            }
            fn schema_name() -> String {
                $name.to_owned()
            }
            fn json_schema($generator: &mut SchemaGenerator) -> Schema {
                $schema
            }
        }
    };
}

inline_schema!(Timestamp<Millis>, "UnixMillis", |_g| integer_or_digits(
    "Milliseconds since the Unix epoch (an integer, or a string of digits).",
    None
));
inline_schema!(Timestamp<Seconds>, "UnixSeconds", |_g| integer_or_digits(
    "Seconds since the Unix epoch (an integer, or a string of digits).",
    None
));
inline_schema!(Timestamp<Rfc3339>, "DateTime", |_g| {
    let mut schema = described(&[InstanceType::String], "An RFC 3339 date-time.");
    schema.format = Some("date-time".to_owned());
    schema.into()
});
inline_schema!(DueDate, "DueDate", |_g| {
    let mut schema = described(
        &[InstanceType::Integer],
        "When the signature request expires: milliseconds since the Unix epoch, in the future.",
    );
    schema.number = Some(Box::new(NumberValidation {
        minimum: Some(0.0),
        ..NumberValidation::default()
    }));
    schema.into()
});
inline_schema!(SigningSessionExpiry, "SigningSessionExpiry", |_g| {
    let mut schema = described(
        &[InstanceType::Integer],
        "How long a signing session's URL stays valid, in milliseconds: 5 minutes to 1 hour.",
    );
    schema.number = Some(Box::new(NumberValidation {
        minimum: Some(f64::from(SigningSessionExpiry::MIN.as_millis())),
        maximum: Some(f64::from(SigningSessionExpiry::MAX.as_millis())),
        ..NumberValidation::default()
    }));
    if let Some(metadata) = schema.metadata.as_mut() {
        metadata.default = Some(json!(SigningSessionExpiry::DEFAULT.as_millis()));
    }
    schema.into()
});
inline_schema!(Page, "Page", |_g| {
    let mut schema = described(&[InstanceType::Integer], "A page number, from 1.");
    schema.number = Some(Box::new(NumberValidation {
        minimum: Some(1.0),
        ..NumberValidation::default()
    }));
    if let Some(metadata) = schema.metadata.as_mut() {
        metadata.default = Some(json!(1));
    }
    schema.into()
});
inline_schema!(PageLimit, "PageLimit", |_g| {
    let mut schema = described(&[InstanceType::Integer], "Records per page: 10, 25 or 50.");
    schema.enum_values = Some(vec![json!(10), json!(25), json!(50)]);
    if let Some(metadata) = schema.metadata.as_mut() {
        metadata.default = Some(json!(PageLimit::default().get()));
    }
    schema.into()
});
inline_schema!(Count, "Count", |_g| integer_or_digits(
    "A record count (an integer, or a string of digits).",
    Some(0.0)
));
inline_schema!(SignerGroup, "SignerGroup", |_g| integer_or_digits(
    "A signer's signing-order group, from 1 (an integer, or a string of digits).",
    Some(1.0)
));
inline_schema!(SignedUrl, "SignedUrl", |_g| {
    let mut schema = described(
        &[InstanceType::String],
        "A URL that grants access by itself (its query carries the signature).",
    );
    schema.format = Some("uri".to_owned());
    schema.into()
});
inline_schema!(Collections, "Collections", |generator| {
    let mut schema = described(
        &[InstanceType::Object],
        "Rows of row-loop collections by name: at most 50 collections of at most 100 records.",
    );
    let mut records = described(&[InstanceType::Array], "The records of one collection.");
    records.array = Some(Box::new(ArrayValidation {
        items: Some(SingleOrVec::Single(Box::new(
            generator.subschema_for::<CollectionRecord>(),
        ))),
        max_items: Some(u32::try_from(Collections::MAX_RECORDS).unwrap_or(u32::MAX)),
        ..ArrayValidation::default()
    }));
    schema.object = Some(Box::new(ObjectValidation {
        max_properties: Some(u32::try_from(Collections::MAX_COLLECTIONS).unwrap_or(u32::MAX)),
        additional_properties: Some(Box::new(records.into())),
        ..ObjectValidation::default()
    }));
    schema.into()
});

impl<T: JsonSchema, const MIN: usize, const MAX: usize> JsonSchema for BoundedVec<T, MIN, MAX> {
    fn is_referenceable() -> bool {
        false
    }

    fn schema_name() -> String {
        format!("BoundedVec_{}_{MIN}_{MAX}", T::schema_name())
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let description = if MAX == usize::MAX {
            format!("At least {MIN} items.")
        } else {
            format!("{MIN} to {MAX} items.")
        };
        let mut schema = described(&[InstanceType::Array], &description);
        schema.array = Some(Box::new(ArrayValidation {
            items: Some(SingleOrVec::Single(Box::new(
                generator.subschema_for::<T>(),
            ))),
            min_items: Some(u32::try_from(MIN).unwrap_or(u32::MAX)),
            max_items: (MAX != usize::MAX).then(|| u32::try_from(MAX).unwrap_or(u32::MAX)),
            ..ArrayValidation::default()
        }));
        schema.into()
    }
}
