//! `lumin::mock` (feature `httpmock`) as a downstream user meets it: typed `When`/`Then`
//! helpers generated from the same spec, for one operation of each family. The client
//! points at `server.base_url()` itself, since the helpers match paths from the root.

use httpmock::MockServer;
use lumin::error::ApiErrorBody;
use lumin::mock::MockServerExt as _;
use lumin::retry::RetryPolicy;
use lumin::types;
use serde_json::json;

fn client(server: &MockServer) -> lumin::Client {
    lumin::ClientBuilder::new()
        .base_url(server.base_url())
        .api_key("test-key")
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("the fixture is a valid model")
}

#[tokio::test]
async fn signature_requests() {
    let server = MockServer::start_async().await;
    let expected: types::SignatureRequestResponse = from_json(json!({"signature_request": {
        "signature_request_id": "sr_1", "title": "NDA", "created_at": "1768751225657",
        "expires_at": "1927510980694", "details_url": "https://sign.luminpdf.com/v?token=t",
        "status": "NEED_TO_SIGN", "signing_type": "SAME_TIME",
        "signers": [{"name": "Sam", "email_address": "sam@example.com", "status": "NEED_TO_SIGN"}]
    }}));
    let mock = server.get_signature_request(|when, then| {
        // Path ids are `PathId`s: never empty.
        when.signature_request_id(&types::PathId::try_from("sr_1").unwrap());
        then.ok(&expected);
    });
    let got = client(&server)
        .get_signature_request()
        .signature_request_id("sr_1")
        .await
        .unwrap();
    mock.assert();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn templates() {
    let server = MockServer::start_async().await;
    let expected: types::TemplateListResponse = from_json(json!({
        "page": 1, "limit": 10, "total_count": 1,
        "data": [{"template_id": "sign_1", "type": "pdf", "name": "NDA",
                  "created_at": 1748456885430_i64, "updated_at": 1748456885430_i64}]
    }));
    let mock = server.list_templates(|_when, then| {
        then.ok(&expected);
    });
    let got = client(&server).list_templates().await.unwrap();
    mock.assert();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn documents() {
    let server = MockServer::start_async().await;
    let request: types::MergeDocumentsRequest = from_json(json!({
        "document_ids": ["doc_1", "doc_2"], "document_name": "merged"
    }));
    let expected: types::PdfOperationResponse = from_json(json!({
        "document_name": "merged", "signed_url": "https://files.luminpdf.com/m.pdf?sig=s",
        "expires_at": 1927510980694_i64
    }));
    let mock = server.merge_documents(|when, then| {
        when.body(&request);
        then.success(200, &expected);
    });
    let got = client(&server)
        .merge_documents()
        .body(request.clone())
        .await
        .unwrap();
    mock.assert();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn workspaces_and_a_typed_error() {
    let server = MockServer::start_async().await;
    let error = ApiErrorBody {
        error_code: "forbidden".to_owned(),
        error_message: "Not a member".to_owned(),
    };
    let mock = server.get_workspace_information(|_when, then| {
        then.client_error(403, &error);
    });
    let err = client(&server)
        .get_workspace_information()
        .await
        .unwrap_err();
    mock.assert();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert_eq!(err.error_code(), Some("forbidden"));
}

#[tokio::test]
async fn agreements() {
    let server = MockServer::start_async().await;
    let request: types::AgreementCreateRequest = from_json(json!({
        "method": "template", "agreement_name": "NDA",
        "agreement_data": {"template_id": "ag_1"}
    }));
    let expected: types::AgreementSummary = from_json(json!({
        "id": "ag_doc_1", "name": "NDA", "created_at": 1768751225657_i64
    }));
    let mock = server.create_agreement(|when, then| {
        when.body(&request);
        then.created(&expected);
    });
    let got = client(&server)
        .create_agreement()
        .body(request.clone())
        .await
        .unwrap();
    mock.assert();
    assert_eq!(got, expected);
}
