//! JSON Schemas of the models (feature `schemars`): generated models derive them, and the
//! handwritten types they use carry their documented bounds.

use lumin::types;
use serde_json::Value;

fn schema<T: schemars::JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap()
}

#[test]
fn a_signing_session_request_shows_the_expiry_bounds_and_default() {
    let schema = schema::<types::SigningSessionRequest>();
    let expiry = &schema["properties"]["expiry"];
    // Optional: an integer, or null.
    assert_eq!(
        expiry["type"],
        serde_json::json!(["integer", "null"]),
        "{schema:#}"
    );
    assert_eq!(expiry["minimum"], 300000.0, "{schema:#}");
    assert_eq!(expiry["maximum"], 3600000.0, "{schema:#}");
    assert_eq!(expiry["default"], 900000, "{schema:#}");
    assert_eq!(schema["properties"]["signer_email"]["type"], "string");
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["signer_email"]);
}

#[test]
fn handwritten_types_keep_their_limits() {
    let text = serde_json::to_string(&schema::<types::MergeDocumentsRequest>()).unwrap();
    assert!(
        text.contains(r#""maxItems":20"#) && text.contains(r#""minItems":2"#),
        "{text}"
    );
    let list = schema::<types::TemplateListResponse>();
    let text = list.to_string();
    assert!(text.contains(r#""pattern":"^[0-9]+$""#), "{text}");
    let page = schema::<lumin::limits::PageLimit>();
    assert_eq!(page["enum"], serde_json::json!([10, 25, 50]));
    assert_eq!(page["default"], 25);
}

#[test]
fn the_error_envelope_and_a_signature_request_have_schemas() {
    let error = schema::<lumin::error::ApiErrorBody>();
    assert!(error["properties"]["error_code"].is_object(), "{error:#}");
    let dto = schema::<types::SignatureRequestDto>();
    let due = &dto["properties"]["expires_at"];
    assert_eq!(due["type"], "integer", "{dto:#}");
    assert!(
        due["description"]
            .as_str()
            .unwrap_or_default()
            .contains("in the future"),
        "{dto:#}"
    );
}
