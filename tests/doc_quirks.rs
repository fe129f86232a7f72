//! One test for each place where the Lumin documentation disagrees with itself. Every
//! documented form must decode (and requests must be sent in the form the examples use);
//! each test names the disagreement it pins down.
//!
//! The payloads are decoded with `serde_json`, as the generated client does
//! (`tests/operations.rs` decodes the same examples through the client).

use lumin::expiry::Expiring;
use lumin::time::{Millis, Rfc3339, Seconds, Timestamp};
use lumin::types;
use lumin::wire::{Count, SignerGroup};
use serde_json::json;

fn decode<T: serde::de::DeserializeOwned>(body: &str) -> T {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{body} does not decode: {e}"))
}

/// Signature request timestamps: the schema declares `created_at`, `updated_at` and
/// `expires_at` as strings; the Update and Send Reminder Emails examples send them as JSON
/// numbers (milliseconds), while the Send Signature Request response (Quickstart) sends
/// `created_at` as a string of digits, `"1768751225657"`. Both forms are the same instant.
#[test]
fn signature_request_timestamps_are_numbers_in_some_examples_and_digit_strings_in_others() {
    // Update Signature Request example: numbers.
    let updated: types::SignatureRequestUpdateResponse = decode(
        r#"{"signature_request":{"signature_request_id":"1234567890","title":"Title Here","created_at":1756887739247,"expires_at":1927510980000,"status":"WAITING_FOR_OTHERS"}}"#,
    );
    let updated = updated.signature_request.unwrap();
    assert_eq!(updated.created_at.unwrap().unix_millis(), 1_756_887_739_247);
    assert_eq!(updated.expires_at.unwrap().unix_millis(), 1_927_510_980_000);

    // Send Reminder Emails example: numbers.
    let reminded: types::SignatureRequestRemindResponse = decode(
        r#"{"signature_request":{"signature_request_id":"696d007913f3b8...","title":"Signature request","created_at":1768751225657,"expires_at":1927510980694,"status":"WAITING_FOR_OTHERS","signers":[],"updated_at":1768751357064,"details_url":"https://sign.luminpdf.com/auth?mode=view-contract&token=8647b08b...","signing_type":"ORDER"},"reminders":[]}"#,
    );
    let sr = &reminded.signature_request;
    assert_eq!(sr.created_at.unix_millis(), 1_768_751_225_657);
    assert_eq!(sr.expires_at.unix_millis(), 1_927_510_980_694);
    assert_eq!(sr.updated_at.unwrap().unix_millis(), 1_768_751_357_064);

    // Send Signature Request response: a string of digits.
    let sent: types::SignatureRequestCreateResponse = decode(
        r#"{"signature_request":{"signature_request_id":"696d007913f3b8...","created_at":"1768751225657"}}"#,
    );
    assert_eq!(
        sent.signature_request.created_at.unix_millis(),
        1_768_751_225_657
    );
    // The same instant as the number in the reminder example.
    assert_eq!(sent.signature_request.created_at, sr.created_at);

    // A signature request whose timestamps come as the declared strings decodes to the
    // same value as the numeric example.
    let as_strings: types::SignatureRequestRemindResponse = decode(
        r#"{"signature_request":{"signature_request_id":"696d007913f3b8...","title":"Signature request","created_at":"1768751225657","expires_at":"1927510980694","status":"WAITING_FOR_OTHERS","signers":[],"updated_at":"1768751357064","details_url":"https://sign.luminpdf.com/auth?mode=view-contract&token=8647b08b...","signing_type":"ORDER"},"reminders":[]}"#,
    );
    assert_eq!(as_strings, reminded);
}

/// `total_count`: an integer in the List Templates example (`3`), a string in the Get
/// Workspace Members schema and example (`"123"`).
#[test]
fn total_count_is_an_integer_for_templates_and_a_string_for_members() {
    let templates: types::TemplateListResponse =
        decode(r#"{"page":1,"limit":25,"total_count":3,"data":[]}"#);
    assert_eq!(templates.total_count, Some(Count(3)));

    let members: types::WorkspaceMembersResponse =
        decode(r#"{"page":1,"limit":25,"total_count":"123","data":[]}"#);
    assert_eq!(members.total_count, Some(Count(123)));
    assert_eq!(members.total_count.unwrap().get(), 123);

    // Either list accepts the other form too.
    let templates: types::TemplateListResponse = decode(r#"{"total_count":"3"}"#);
    assert_eq!(templates.total_count, Some(Count(3)));
    let members: types::WorkspaceMembersResponse = decode(r#"{"total_count":123}"#);
    assert_eq!(members.total_count, Some(Count(123)));
}

/// Signer `group`: the request schema declares it a string, every request example sends
/// an integer (`"group": 1`), and the signature request responses declare a number. The
/// client sends an integer and reads both.
#[test]
fn signer_group_is_declared_a_string_but_sent_as_an_integer() {
    let group = SignerGroup::new(1).unwrap();
    let signer = types::Signer {
        email_address: "john.doe@example.com".into(),
        name: "John Doe".into(),
        group: Some(group),
        verification: None,
    };
    assert_eq!(
        serde_json::to_value(&signer).unwrap(),
        json!({ "email_address": "john.doe@example.com", "name": "John Doe", "group": 1 })
    );
    let with_role = types::SignerWithRole {
        email_address: "john.doe@example.com".into(),
        name: "John Doe".into(),
        group: Some(SignerGroup::new(2).unwrap()),
        signer_role: Some("Tenant".into()),
        verification: None,
    };
    assert_eq!(
        serde_json::to_value(&with_role).unwrap(),
        json!({ "email_address": "john.doe@example.com", "name": "John Doe", "group": 2, "signer_role": "Tenant" })
    );

    // Responses: the number of the examples and the string of the declaration.
    let as_number: types::SignatureRequestSigner = decode(
        r#"{"name":"John Doe","email_address":"john@example.com","status":"WAITING_FOR_OTHERS","is_approved":true,"group":1}"#,
    );
    let as_string: types::SignatureRequestSigner = decode(
        r#"{"name":"John Doe","email_address":"john@example.com","status":"WAITING_FOR_OTHERS","is_approved":true,"group":"1"}"#,
    );
    assert_eq!(as_number.group, Some(group));
    assert_eq!(as_string, as_number);
    assert_eq!(as_number.group.unwrap().get(), 1);

    // A request body read back (as a mock server would) accepts the declared string too.
    let declared: types::Signer =
        decode(r#"{"email_address":"john.doe@example.com","name":"John Doe","group":"1"}"#);
    assert_eq!(declared, signer);
}

/// Template `variables`: declared an object; the Get Template Details examples send a list
/// of `{name, value}` pairs, or an empty list. All three decode.
#[test]
fn template_variables_are_a_list_or_an_object() {
    let empty_list: types::TemplateDetail =
        decode(r#"{"template_id":"sign_123456","variables":[]}"#);
    assert_eq!(
        empty_list.variables,
        Some(types::TemplateVariables::Array(vec![]))
    );

    let pairs: types::TemplateDetail = decode(
        r#"{"template_id":"ag_456789","variables":[{"name":"Company.Name","value":"ACME Corp"},{"name":"Document.Name","value":"NDA Document"}]}"#,
    );
    assert_eq!(
        pairs.variables,
        Some(types::TemplateVariables::Array(vec![
            types::TemplateVariable {
                name: Some("Company.Name".into()),
                value: Some("ACME Corp".into()),
            },
            types::TemplateVariable {
                name: Some("Document.Name".into()),
                value: Some("NDA Document".into()),
            },
        ]))
    );

    let object: types::TemplateDetail = decode(r#"{"template_id":"sign_123456","variables":{}}"#);
    assert_eq!(
        object.variables,
        Some(types::TemplateVariables::Object(serde_json::Map::new()))
    );
}

/// `expires_at` of a temporary URL: the file endpoints (Get Signature Request File,
/// Download File as File URL, Get Agreement File) and Generate Document give it in
/// seconds; Merge Documents and Compress Document in milliseconds, as does the signing
/// session. The unit comes from each field's documentation, and every one decodes to
/// the same instant type.
#[test]
fn expires_at_is_seconds_for_file_urls_and_milliseconds_for_pdf_operations() {
    const SECONDS: i64 = 1_766_726_700;
    const MILLIS: i64 = 1_927_510_980_694;

    // Seconds.
    let file: types::SignedFileUrlSeconds = decode(
        r#"{"signed_url":"https://files.luminpdf.com/download/nda-acmecorp-abc123.pdf?expires=20...","expires_at":1766726700}"#,
    );
    assert_eq!(file.expires_at.unix_millis(), SECONDS * 1000);
    let file_url: types::FileUrlResponse = decode(
        r#"{"file_url":"https://files.luminpdf.com/download/nda-acmecorp-abc123.pdf","expires_at":1766726700}"#,
    );
    assert_eq!(file_url.expires_at.unix_millis(), SECONDS * 1000);
    let generated: types::DocumentGenerateResponse = decode(
        r#"{"document_name":"NDA_AcmeCorp","signed_url":"https://files.luminpdf.com/download/nda-acmecorp-abc123.pdf?expires=2025-08-24T10:45:00Z","expires_at":1766726700}"#,
    );
    assert_eq!(generated.expires_at.unix_millis(), SECONDS * 1000);
    assert_eq!(generated.expires_at.unix_seconds(), SECONDS);

    // Milliseconds.
    let merged: types::PdfOperationResponse = decode(
        r#"{"document_name":"merged_contract","signed_url":"https://files.luminpdf.com/download/merged.pdf","expires_at":1927510980694}"#,
    );
    assert_eq!(merged.expires_at.unix_millis(), MILLIS);
    let compressed: types::PdfOperationResponse = decode(
        r#"{"document_name":"compressed_contract","signed_url":"https://files.luminpdf.com/download/compressed.pdf","expires_at":1927510980694}"#,
    );
    assert_eq!(compressed.expires_at.unix_millis(), MILLIS);
    let session: types::SigningSessionResponse = decode(
        r#"{"sign_url":"https://sign.luminpdf.com/embed?session=8647b08b...","signer_email":"signer1@example.com","expires_at":1927510980694,"status":"NEED_TO_SIGN"}"#,
    );
    assert_eq!(session.expires_at.unix_millis(), MILLIS);

    // Through `Expiring`, every response answers in one unit.
    let now = Timestamp::<Millis>::from_unix_millis(1_766_726_000_000);
    assert_eq!(
        file.remaining(now),
        std::time::Duration::from_secs(700),
        "700 s after now, not 700 ms nor 1000 times later"
    );
    assert_eq!(
        Expiring::expires_at(&merged),
        Timestamp::<Millis>::from_unix_millis(MILLIS)
    );
    assert_eq!(
        Expiring::expires_at(&session),
        Timestamp::<Millis>::from_unix_millis(MILLIS)
    );

    // The encodings round-trip in their own unit.
    assert_eq!(
        serde_json::to_value(file.expires_at).unwrap(),
        json!(SECONDS)
    );
    assert_eq!(
        serde_json::to_value(merged.expires_at).unwrap(),
        json!(MILLIS)
    );
}

/// Get Agreement File: the docs' text gives `expires_at` "(in seconds)", but the old
/// spec's example is `1766726700000`, milliseconds (it is the Get Signature Request File
/// example, 1766726700 s = 2025-12-26T05:25:00Z, times 1000). Read as seconds it would
/// lie in the year 57,900 and never expire. The rule: a value of a seconds field whose
/// magnitude is above 10^11 (`MILLIS_THRESHOLD`) can only be milliseconds and is read as
/// such. Both documented forms decode to the same instant.
#[test]
fn agreement_file_expires_at_in_seconds_or_milliseconds_is_the_same_instant() {
    const SECONDS: i64 = 1_766_726_700;
    let documented: types::SignedFileUrlSeconds = decode(
        r#"{"signed_url":"https://files.luminpdf.com/download/agreement-abc123.pdf","expires_at":1766726700}"#,
    );
    let example: types::SignedFileUrlSeconds = decode(
        r#"{"signed_url":"https://files.luminpdf.com/download/agreement-abc123.pdf?expires=2025-08-24T10:45:00Z","expires_at":1766726700000}"#,
    );
    assert_eq!(documented.expires_at.unix_seconds(), SECONDS);
    assert_eq!(example.expires_at, documented.expires_at);
    assert_eq!(example.expires_at.to_string(), "2025-12-26T05:25:00Z");
    // As a digit string too.
    let text: Timestamp<Seconds> = decode(r#""1766726700000""#);
    assert_eq!(text, documented.expires_at);
    // It is sent back in the documented unit.
    assert_eq!(
        serde_json::to_value(example.expires_at).unwrap(),
        json!(SECONDS)
    );

    // The threshold: 10^11 itself is seconds (year 5138); one more can only be milliseconds.
    assert_eq!(lumin::time::MILLIS_THRESHOLD, 100_000_000_000);
    let at: Timestamp<Seconds> = decode("100000000000");
    assert_eq!(at.unix_millis(), 100_000_000_000_000);
    let above: Timestamp<Seconds> = decode("100000000001");
    assert_eq!(above.unix_millis(), 100_000_000_001);
    // Fields documented in milliseconds are never reinterpreted.
    let millis: Timestamp<Millis> = decode("1766726700");
    assert_eq!(millis.unix_millis(), 1_766_726_700);
}

/// Space `created_at`: an ISO-8601 string (`"2026-04-09T06:38:59.381Z"` in the Create
/// Space example), where every other timestamp of the API is an integer in milliseconds.
/// Both are accepted (a number as milliseconds), and text is sent.
#[test]
fn space_created_at_is_iso_8601_text_or_an_epoch_number() {
    let created: types::SpaceCreateResponse = decode(
        r#"{"space":{"id":"6614e1a3f0c2b9a7d8e4c3b2","name":"Legal","created_at":"2026-04-09T06:38:59.381Z"}}"#,
    );
    let created_at = created.space.created_at.unwrap();
    assert_eq!(created_at.unix_millis(), 1_775_716_739_381);
    assert_eq!(
        created_at,
        Timestamp::<Rfc3339>::from_unix_millis(1_775_716_739_381)
    );
    assert_eq!(
        serde_json::to_value(created_at).unwrap(),
        json!("2026-04-09T06:38:59.381Z")
    );
    for number in ["1775716739381", r#""1775716739381""#] {
        let listed: types::SpaceListResponse = decode(&format!(
            r#"{{"data":[{{"id":"6614e1a3f0c2b9a7d8e4c3b2","name":"Legal","created_at":{number}}}]}}"#
        ));
        assert_eq!(listed.data[0].created_at, Some(created_at), "{number}");
    }
    // Text that is not a date is still refused.
    assert!(
        serde_json::from_str::<types::SpaceCreateResponse>(
            r#"{"space":{"id":"6614e1a3f0c2b9a7d8e4c3b2","name":"Legal","created_at":"yesterday"}}"#
        )
        .is_err()
    );
}
