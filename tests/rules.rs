//! Every documented rule on a request is checked before sending: each bad input below used
//! to reach Lumin. Each test counts every request the server receives, and nothing may
//! arrive; the rules come from `openapi.yaml` (see the `rules` module).

use std::sync::Arc;

use httpmock::{Mock, MockServer};
use lumin::Error;
use lumin::clock::FixedClock;
use lumin::files::Upload;
use lumin::limits::LimitError;
use lumin::rules::RuleError;
use lumin::types;
use serde_json::{Value, json};

const NOW_MS: i64 = 1_768_751_225_657;
const DUE_MS: i64 = 1_927_510_980_694;

fn client(server: &MockServer) -> lumin::Client {
    lumin::ClientBuilder::new()
        .base_url(server.base_url())
        .api_key("test-key")
        .clock(Arc::new(FixedClock::at_unix_millis(NOW_MS)))
        .build()
        .unwrap()
}

/// A server that answers anything, so that a request that got through would show.
async fn server() -> MockServer {
    MockServer::start_async().await
}

async fn count_all(server: &MockServer) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await
}

fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap()
}

fn signer(name: &str, group: Option<u32>) -> Value {
    let mut signer = json!({"email_address": format!("{name}@example.com"), "name": name});
    if let Some(group) = group {
        signer["group"] = json!(group);
    }
    signer
}

fn send_body(extra: Value) -> types::SignatureRequestDto {
    let mut body = json!({
        "title": "NDA",
        "expires_at": DUE_MS,
        "signers": [signer("ann", Some(1))],
    });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    from_json(body)
}

fn rule(error: Error) -> RuleError {
    match error {
        Error::Rule(rule) => rule,
        other => panic!("expected Error::Rule, got {other:?}"),
    }
}

fn missing(allowed: &[&str]) -> RuleError {
    RuleError::MissingInput {
        allowed: allowed.iter().map(|f| (*f).to_owned()).collect(),
    }
}

fn required_when(required: &[&str], when: &str, value: &str) -> RuleError {
    RuleError::RequiredWhen {
        required: required.iter().map(|f| (*f).to_owned()).collect(),
        when: when.to_owned(),
        value: value.to_owned(),
    }
}

const DOCUMENT_INPUTS: &[&str] = &["file", "files", "file_url", "file_urls"];

#[tokio::test]
async fn a_json_signature_request_without_any_document_is_not_sent() {
    let server = server().await;
    let any = count_all(&server).await;
    let error = client(&server)
        .send_signature_request()
        .body(send_body(json!({})))
        .await
        .unwrap_err();
    assert_eq!(rule(error), missing(DOCUMENT_INPUTS));
    // An empty `file_urls` is no document either.
    let error = client(&server)
        .send_signature_request()
        .body(send_body(json!({"file_urls": []})))
        .await
        .unwrap_err();
    assert_eq!(rule(error), missing(DOCUMENT_INPUTS));
    assert_eq!(any.calls_async().await, 0, "nothing may reach the server");
}

#[tokio::test]
async fn signing_in_order_needs_a_group_for_every_signer() {
    let server = server().await;
    let any = count_all(&server).await;
    let body = || {
        send_body(json!({
            "file_url": "https://example.com/a.pdf",
            "signing_type": "ORDER",
            "signers": [signer("ann", Some(1)), signer("bob", None)],
        }))
    };
    let error = client(&server)
        .send_signature_request()
        .body(body())
        .await
        .unwrap_err();
    let expected = required_when(&["signers[1].group"], "signing_type", "ORDER");
    assert_eq!(rule(error), expected);
    assert_eq!(
        expected.to_string(),
        "`signers[1].group` is required when `signing_type` is \"ORDER\""
    );
    // The multipart path applies the same rule from the same facts.
    let mut upload = body();
    upload.file_url = None;
    let error = client(&server)
        .send_signature_request_with_uploads()
        .body(upload)
        .file(Upload::pdf("a.pdf", &b"%PDF"[..]))
        .await
        .unwrap_err();
    assert_eq!(rule(error), expected);
    assert_eq!(any.calls_async().await, 0, "nothing may reach the server");
}

#[tokio::test]
async fn verification_claims_must_include_given_and_family_name() {
    let server = server().await;
    let any = count_all(&server).await;
    let mut verified = signer("bob", Some(2));
    verified["verification"] = json!({
        "method": "vc",
        "payload": {"doc_type": "photo_id", "claims": ["given_name", "document_number"]}
    });
    let error = client(&server)
        .send_signature_request()
        .body(send_body(json!({
            "file_url": "https://example.com/a.pdf",
            "signers": [signer("ann", Some(1)), verified.clone()],
        })))
        .await
        .unwrap_err();
    let expected = RuleError::MissingValues {
        field: "signers[1].verification.payload.claims".into(),
        required: vec!["given_name".into(), "family_name".into()],
        missing: vec!["family_name".into()],
    };
    assert_eq!(rule(error), expected);
    // Sending from a template: the same verification schema, the same rule.
    let error = client(&server)
        .send_signature_request_from_template()
        .body(from_json::<types::SignatureRequestFromTemplateDto>(json!({
            "template_id": "sign_1",
            "title": "NDA",
            "expires_at": DUE_MS,
            "signers": [verified],
        })))
        .await
        .unwrap_err();
    assert_eq!(
        rule(error),
        RuleError::MissingValues {
            field: "signers[0].verification.payload.claims".into(),
            required: vec!["given_name".into(), "family_name".into()],
            missing: vec!["family_name".into()],
        }
    );
    assert_eq!(any.calls_async().await, 0, "nothing may reach the server");
}

#[tokio::test]
async fn merge_needs_document_ids_or_file_urls() {
    let server = server().await;
    let any = count_all(&server).await;
    let error = client(&server)
        .merge_documents()
        .body(types::MergeDocumentsRequest {
            document_ids: None,
            file_urls: None,
            document_name: None,
        })
        .await
        .unwrap_err();
    assert_eq!(rule(error), missing(&["document_ids", "file_urls"]));
    assert_eq!(any.calls_async().await, 0, "nothing may reach the server");
}

#[tokio::test]
async fn compress_needs_a_document_id_or_a_file_url() {
    let server = server().await;
    let any = count_all(&server).await;
    let error = client(&server)
        .compress_document()
        .body(types::CompressDocumentRequest {
            compression_level: types::CompressDocumentRequestCompressionLevel::Standard,
            document_id: None,
            file_url: None,
            document_name: None,
            options: Default::default(),
        })
        .await
        .unwrap_err();
    assert_eq!(rule(error), missing(&["document_id", "file_url"]));
    assert_eq!(any.calls_async().await, 0, "nothing may reach the server");
}

fn upload_body(
    location: Value,
    document_data: Value,
    method: &str,
) -> types::DocumentCreateRequest {
    from_json(json!({
        "method": method,
        "document_name": "Patient Form",
        "location": location,
        "document_data": document_data,
    }))
}

#[tokio::test]
async fn an_upload_to_a_space_needs_its_space_id() {
    let server = server().await;
    let any = count_all(&server).await;
    let expected = required_when(&["location.space_id"], "location.type", "space");
    let error = client(&server)
        .upload_document()
        .body(upload_body(
            json!({"type": "space"}),
            json!({"file_url": "https://example.com/a.pdf"}),
            "file-upload",
        ))
        .await
        .unwrap_err();
    assert_eq!(rule(error), expected);
    // The multipart upload: the same rule from the same facts.
    let error = client(&server)
        .upload_document_file()
        .document_name("Patient Form")
        .location(from_json(json!({"type": "space", "folder_id": "f1"})))
        .file(Upload::pdf("a.pdf", &b"%PDF"[..]))
        .await
        .unwrap_err();
    assert_eq!(rule(error), expected);
    assert_eq!(any.calls_async().await, 0, "nothing may reach the server");
}

#[tokio::test]
async fn each_upload_method_needs_its_own_document_data() {
    let server = server().await;
    let any = count_all(&server).await;
    // `file-upload` carrying only a template id.
    let error = client(&server)
        .upload_document()
        .body(upload_body(
            json!({"type": "workspace"}),
            json!({"template_id": "pdf_1"}),
            "file-upload",
        ))
        .await
        .unwrap_err();
    let expected = required_when(
        &["document_data.file_url", "document_data.file"],
        "method",
        "file-upload",
    );
    assert_eq!(
        expected.to_string(),
        "one of [\"document_data.file_url\", \"document_data.file\"] is required when `method` is \"file-upload\""
    );
    assert_eq!(rule(error), expected);
    // `template` without a template id.
    let error = client(&server)
        .upload_document()
        .body(upload_body(
            json!({"type": "workspace"}),
            json!({"file_url": "https://example.com/a.pdf"}),
            "template",
        ))
        .await
        .unwrap_err();
    assert_eq!(
        rule(error),
        required_when(&["document_data.template_id"], "method", "template")
    );
    assert_eq!(any.calls_async().await, 0, "nothing may reach the server");
}

#[tokio::test]
async fn an_empty_signers_list_is_not_sent() {
    let server = server().await;
    let any = count_all(&server).await;
    let expected = RuleError::TooFewItems {
        field: "signers".into(),
        min: 1,
        actual: 0,
    };
    let error = client(&server)
        .send_signature_request()
        .body(send_body(
            json!({"file_url": "https://example.com/a.pdf", "signers": []}),
        ))
        .await
        .unwrap_err();
    assert_eq!(rule(error), expected);
    let error = client(&server)
        .send_signature_request_with_uploads()
        .body(send_body(json!({"signers": []})))
        .file(Upload::pdf("a.pdf", &b"%PDF"[..]))
        .await
        .unwrap_err();
    assert_eq!(rule(error), expected);
    let error = client(&server)
        .send_signature_request_from_template()
        .body(from_json::<types::SignatureRequestFromTemplateDto>(json!({
            "template_id": "sign_1", "title": "NDA", "expires_at": DUE_MS, "signers": [],
        })))
        .await
        .unwrap_err();
    assert_eq!(rule(error), expected);
    assert_eq!(any.calls_async().await, 0, "nothing may reach the server");
}

fn invalid_input(error: Error) -> (&'static str, String) {
    match error {
        Error::InvalidInput { field, source } => (field, source.to_string()),
        other => panic!("expected Error::InvalidInput, got {other:?}"),
    }
}

#[tokio::test]
async fn an_empty_path_id_is_not_sent() {
    let server = server().await;
    let any = count_all(&server).await;
    let client = client(&server);
    let generated = [
        client
            .get_signature_request()
            .signature_request_id("")
            .await
            .unwrap_err(),
        client
            .cancel_signature_request()
            .signature_request_id(String::new())
            .await
            .unwrap_err(),
    ];
    for error in generated {
        let (field, _) = invalid_input(error);
        assert_eq!(field, "signature_request_id");
    }
    let error = client
        .get_template_details()
        .template_id("")
        .await
        .unwrap_err();
    assert_eq!(invalid_input(error).0, "template_id");
    // The handwritten PDF builders take the same `PathId`.
    let error = client
        .get_signature_request_pdf()
        .signature_request_id("")
        .await
        .unwrap_err();
    assert_eq!(invalid_input(error).0, "signature_request_id");
    let error = client
        .get_agreement_pdf()
        .agreement_id("")
        .await
        .unwrap_err();
    assert_eq!(invalid_input(error).0, "agreement_id");
    let error = client
        .generate_document_pdf()
        .template_id("")
        .await
        .unwrap_err();
    assert_eq!(invalid_input(error).0, "template_id");
    assert_eq!(any.calls_async().await, 0, "nothing may reach the server");
}

#[tokio::test]
async fn page_and_limit_keep_their_typed_error_and_value() {
    let server = server().await;
    let any = count_all(&server).await;
    let client = client(&server);
    let error = client
        .list_templates()
        .page(1u64)
        .limit(20u64)
        .await
        .unwrap_err();
    match &error {
        Error::InvalidInput { field, source } => {
            assert_eq!(*field, "limit");
            assert_eq!(
                source.downcast_ref::<LimitError>(),
                Some(&LimitError::PageLimit(20))
            );
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    let error = client
        .get_workspace_members()
        .page(0u64)
        .limit(10u64)
        .await
        .unwrap_err();
    match &error {
        Error::InvalidInput { field, source } => {
            assert_eq!(*field, "page");
            assert_eq!(
                source.downcast_ref::<LimitError>(),
                Some(&LimitError::PageBelowOne(0))
            );
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    assert_eq!(any.calls_async().await, 0, "nothing may reach the server");
}

#[tokio::test]
async fn reminder_emails_say_at_least_one_and_never_print_an_internal_bound() {
    let server = server().await;
    let any = count_all(&server).await;
    let error = client(&server)
        .send_reminder_emails()
        .signature_request_id("sr_1")
        .body(types::SignatureRequestRemindRequest::builder().emails(Vec::<String>::new()))
        .await
        .unwrap_err();
    // Every message in the chain, without the `usize::MAX` that stands for "unbounded".
    let mut chain = vec![error.to_string()];
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        chain.push(cause.to_string());
        source = cause.source();
    }
    let text = chain.join(" / ");
    assert!(text.contains("expected at least 1 item, got 0"), "{text}");
    assert!(!text.contains(&usize::MAX.to_string()), "{text}");
    assert_eq!(any.calls_async().await, 0, "nothing may reach the server");
}

#[tokio::test]
async fn bodies_that_keep_the_rules_are_sent() {
    let server = server().await;
    let sent = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(201)
                .header("content-type", "application/json")
                .body(r#"{"signature_request":{"signature_request_id":"sr_1","created_at":"1768751225657","status":"WAITING_FOR_PROCESSING"}}"#);
        })
        .await;
    let mut verified = signer("bob", Some(2));
    verified["verification"] = json!({
        "method": "vc", "payload": {"claims": ["family_name", "given_name"]}
    });
    client(&server)
        .send_signature_request()
        .body(send_body(json!({
            "file_urls": ["https://example.com/a.pdf"],
            "signing_type": "ORDER",
            "signers": [signer("ann", Some(1)), verified],
        })))
        .await
        .unwrap();
    assert_eq!(sent.calls_async().await, 1);
}
