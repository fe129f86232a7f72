//! One test per operation of `lumin::Client`: the exact request on the wire (method, path,
//! query, headers, JSON body) and the fully decoded response, answered with the example
//! payloads of the Lumin documentation as raw JSON text.
//!
//! Where the docs give no example for a response, the payload is made of the documented
//! fields with values taken from the examples of neighbouring operations; each such
//! constant says so.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use httpmock::{HttpMockRequest, MockServer, When};
use lumin::client::DEFAULT_USER_AGENT;
use lumin::clock::FixedClock;
use lumin::expiry::{DueDate, SigningSessionExpiry};
use lumin::limits::{BoundedVec, Collections, Page, PageLimit};
use lumin::time::{Millis, Rfc3339, Seconds, Timestamp};
use lumin::types;
use lumin::wire::{Count, SignerGroup};
use serde_json::json;

const KEY: &str = "test-key";
/// The clock's now: the `created_at` of the documented Send Signature Request example.
const NOW_MS: i64 = 1_768_751_225_657;

fn clock() -> FixedClock {
    FixedClock::at_unix_millis(NOW_MS)
}

fn client(server: &MockServer) -> lumin::Client {
    lumin::ClientBuilder::new()
        .base_url(server.base_url())
        .api_key(KEY)
        .clock(Arc::new(clock()))
        .build()
        .unwrap()
}

fn due(millis: i64) -> DueDate {
    DueDate::at(Timestamp::<Millis>::from_unix_millis(millis), &clock()).unwrap()
}

fn group(n: u32) -> SignerGroup {
    SignerGroup::new(n).unwrap()
}

fn ms(millis: i64) -> Timestamp<Millis> {
    Timestamp::from_unix_millis(millis)
}

fn secs(seconds: i64) -> Timestamp<Seconds> {
    Timestamp::from_unix_seconds(seconds)
}

fn s(value: &str) -> Option<String> {
    Some(value.to_owned())
}

/// Method, exact path and the headers every request carries: the API key, our user agent,
/// no generator `api-version` header and no other credentials. `X-Lumin-API-Version` is
/// documented for List Templates (`/templates`) only, and is not sent elsewhere.
fn request(when: When, method: &str, path: &str) -> When {
    let when = when
        .method(method)
        .path(path)
        .header("x-api-key", KEY)
        .header("user-agent", DEFAULT_USER_AGENT)
        .header_missing("api-version")
        .header_missing("authorization");
    if path == "/templates" {
        when.header("x-lumin-api-version", "1.1")
    } else {
        when.header_missing("x-lumin-api-version")
    }
}

/// A request that expects JSON back and sends no body.
fn json_request_without_body(when: When, method: &str, path: &str) -> When {
    request(when, method, path)
        .header("accept", "application/json")
        .header_missing("content-type")
        .is_true(|req: &HttpMockRequest| req.body_ref().is_empty())
}

/// A request that expects JSON back and sends `body` as JSON.
fn json_request_with_body(when: When, method: &str, path: &str, body: serde_json::Value) -> When {
    request(when, method, path)
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .json_body(body)
}

/// Exactly these query parameters (in any order), and no others.
fn query(when: When, expected: &'static [(&'static str, &'static str)]) -> When {
    when.is_true(move |req: &HttpMockRequest| {
        let mut actual = req.query_params();
        actual.sort();
        let mut expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        expected.sort();
        actual == expected
    })
}

fn no_query(when: When) -> When {
    when.is_true(|req: &HttpMockRequest| req.uri().query().is_none())
}

// ---- Signature requests -------------------------------------------------------------

/// The `signature_request` of the documented Send Reminder Emails example (Get Signature
/// Request has no example of its own; its schema is the same object).
const SIGNATURE_REQUEST: &str = r#"{
  "signature_request_id": "696d007913f3b8...",
  "title": "Signature request",
  "created_at": 1768751225657,
  "expires_at": 1927510980694,
  "status": "WAITING_FOR_OTHERS",
  "signers": [
    {
      "name": "John Doe",
      "email_address": "john@example.com",
      "status": "WAITING_FOR_OTHERS",
      "is_approved": true,
      "group": 1
    },
    {
      "name": "Jane Doe",
      "email_address": "jane@example.com",
      "status": "NEED_TO_SIGN",
      "is_approved": false,
      "group": 2
    }
  ],
  "updated_at": 1768751357064,
  "details_url": "https://sign.luminpdf.com/auth?mode=view-contract&token=8647b08b...",
  "signing_type": "ORDER"
}"#;

fn documented_signature_request() -> types::SignatureRequest {
    types::SignatureRequest {
        signature_request_id: "696d007913f3b8...".into(),
        title: "Signature request".into(),
        created_at: ms(1_768_751_225_657),
        expires_at: ms(1_927_510_980_694),
        updated_at: Some(ms(1_768_751_357_064)),
        status: types::SignatureRequestStatus::WaitingForOthers,
        reason: None,
        details_url: "https://sign.luminpdf.com/auth?mode=view-contract&token=8647b08b...".into(),
        signing_type: types::SigningType::Order,
        signers: vec![
            types::SignatureRequestSigner {
                name: s("John Doe"),
                email_address: s("john@example.com"),
                status: Some(types::SignerStatus::WaitingForOthers),
                is_approved: Some(true),
                group: Some(group(1)),
            },
            types::SignatureRequestSigner {
                name: s("Jane Doe"),
                email_address: s("jane@example.com"),
                status: Some(types::SignerStatus::NeedToSign),
                is_approved: Some(false),
                group: Some(group(2)),
            },
        ],
    }
}

/// A mock answering `GET path` (no query, no body) with the documented signature request.
async fn signature_request_at<'a>(server: &'a MockServer, path: &str) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            no_query(json_request_without_body(when, "GET", path));
            then.status(200)
                .header("content-type", "application/json")
                .body(format!(r#"{{"signature_request":{SIGNATURE_REQUEST}}}"#));
        })
        .await
}

#[tokio::test]
async fn get_signature_request() {
    let server = MockServer::start_async().await;
    let mock = signature_request_at(&server, "/signature_request/696d007913f3b8...").await;
    let resp = client(&server)
        .get_signature_request()
        .signature_request_id("696d007913f3b8...")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.into_inner(),
        types::SignatureRequestResponse {
            signature_request: documented_signature_request(),
        }
    );
}

/// The documented Update Signature Request response example.
const UPDATED: &str = r#"{"signature_request":{"signature_request_id":"1234567890","title":"Title Here","created_at":1756887739247,"expires_at":1927510980000,"status":"WAITING_FOR_OTHERS"}}"#;

#[tokio::test]
async fn update_signature_request() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_with_body(
                when,
                "PATCH",
                "/signature_request/1234567890",
                // The documented request example.
                json!({ "expires_at": 1927510980000_i64 }),
            ));
            then.status(200)
                .header("content-type", "application/json")
                .body(UPDATED);
        })
        .await;
    let resp = client(&server)
        .update_signature_request()
        .signature_request_id("1234567890")
        .body(types::SignatureRequestUpdateRequest {
            expires_at: due(1_927_510_980_000),
        })
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.into_inner(),
        types::SignatureRequestUpdateResponse {
            signature_request: Some(types::UpdatedSignatureRequest {
                signature_request_id: s("1234567890"),
                title: s("Title Here"),
                created_at: Some(ms(1_756_887_739_247)),
                expires_at: Some(ms(1_927_510_980_000)),
                status: Some(types::SignatureRequestStatus::WaitingForOthers),
                updated_at: None,
                details_url: None,
                reason: None,
                signing_type: None,
                signers: vec![],
            }),
        }
    );
}

#[tokio::test]
async fn send_signature_request() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_with_body(
                when,
                "POST",
                "/signature_request/send",
                // The documented SignatureRequestDTO example, plus `custom_email`.
                json!({
                    "file_url": "https://lumin-assets-production.s3.us-east-1.amazonaws.com/api-demo/Direct+Debit+form.pdf",
                    "title": "Financial Year-End Report Authorization",
                    "signers": [
                        { "email_address": "john.doe@example.com", "name": "John Doe", "group": 1 },
                        { "email_address": "jane.doe@example.com", "name": "Jane Doe", "group": 2 }
                    ],
                    "viewers": [ { "email_address": "jane.doe@example.com", "name": "Jane Doe" } ],
                    "expires_at": 1927510980694_i64,
                    "use_text_tags": false,
                    "signing_type": "ORDER",
                    "custom_email": {
                        "sender_email": "finance@example.com",
                        "subject_name": "Please sign the year-end report",
                        "title": "Year-end report"
                    }
                }),
            ));
            // The Quickstart's 201 example: the id and `created_at` as a string of digits.
            then.status(201)
                .header("content-type", "application/json")
                .body(r#"{"signature_request":{"signature_request_id":"696d007913f3b8...","created_at":"1768751225657"}}"#);
        })
        .await;
    let body = types::SignatureRequestDto {
        file_url: s(
            "https://lumin-assets-production.s3.us-east-1.amazonaws.com/api-demo/Direct+Debit+form.pdf",
        ),
        file_urls: vec![],
        title: types::Title::try_from("Financial Year-End Report Authorization").unwrap(),
        signers: vec![
            types::Signer {
                email_address: "john.doe@example.com".into(),
                name: "John Doe".into(),
                group: Some(group(1)),
                verification: None,
            },
            types::Signer {
                email_address: "jane.doe@example.com".into(),
                name: "Jane Doe".into(),
                group: Some(group(2)),
                verification: None,
            },
        ],
        viewers: vec![types::Viewer {
            email_address: "jane.doe@example.com".into(),
            name: "Jane Doe".into(),
        }],
        expires_at: due(1_927_510_980_694),
        use_text_tags: false,
        signing_type: Some(types::SigningType::Order),
        custom_email: Some(types::CustomEmail {
            sender_email: s("finance@example.com"),
            subject_name: s("Please sign the year-end report"),
            title: s("Year-end report"),
        }),
    };
    let resp = client(&server)
        .send_signature_request()
        .body(body)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 201);
    assert_eq!(
        resp.into_inner(),
        types::SignatureRequestCreateResponse {
            signature_request: types::SignatureRequestSummary {
                signature_request_id: "696d007913f3b8...".into(),
                created_at: ms(1_768_751_225_657),
                status: None,
            },
        }
    );
}

#[tokio::test]
async fn send_signature_request_from_template() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_with_body(
                when,
                "POST",
                "/signature_request/send-from-template",
                json!({
                    "template_id": "sign_123456",
                    "title": "Mutual NDA",
                    "signers": [
                        {
                            "email_address": "john@example.com",
                            "name": "John Doe",
                            "group": 1,
                            "signer_role": "Tenant",
                            "verification": {
                                "method": "vc",
                                "payload": {
                                    "doc_type": "driver_license",
                                    "claims": ["given_name", "family_name", "issuing_country"]
                                }
                            }
                        },
                        { "email_address": "jane@example.com", "name": "Jane Doe", "group": 2, "signer_role": "Client" }
                    ],
                    "viewers": [ { "email_address": "legal@example.com", "name": "Legal" } ],
                    "expires_at": 1927510980694_i64,
                    "tags": { "owner.name": "Acme Corp" },
                    "fields": { "hasCompleted": true, "CustomerName": "John Doe" },
                    "variables": { "Company.Name": "ACME Corp", "Document.Name": "NDA Document" },
                    "collections": {
                        "line_items": [
                            { "sku": "A-1", "qty": "2" },
                            { "sku": "B-7", "qty": "1" }
                        ]
                    },
                    "custom_email": { "subject_name": "NDA to sign" }
                }),
            ));
            // 201 with the old spec's required `status`.
            then.status(201)
                .header("content-type", "application/json")
                .body(r#"{"signature_request":{"signature_request_id":"696d007913f3b8...","created_at":"1768751225657","status":"WAITING_FOR_PROCESSING"}}"#);
        })
        .await;
    let collections = Collections::new(BTreeMap::from([(
        "line_items".to_owned(),
        vec![
            BTreeMap::from([
                ("sku".to_owned(), "A-1".to_owned()),
                ("qty".to_owned(), "2".to_owned()),
            ]),
            BTreeMap::from([
                ("sku".to_owned(), "B-7".to_owned()),
                ("qty".to_owned(), "1".to_owned()),
            ]),
        ],
    )]))
    .unwrap();
    let body = types::SignatureRequestFromTemplateDto {
        template_id: "sign_123456".into(),
        title: types::Title::try_from("Mutual NDA").unwrap(),
        signers: vec![
            types::SignerWithRole {
                email_address: "john@example.com".into(),
                name: "John Doe".into(),
                group: Some(group(1)),
                signer_role: s("Tenant"),
                verification: Some(types::Verification {
                    method: types::VerificationMethod::Vc,
                    payload: types::VerificationPayload {
                        doc_type: Some(types::VerificationPayloadDocType::DriverLicense),
                        claims: vec![
                            types::VerificationPayloadClaimsItem::GivenName,
                            types::VerificationPayloadClaimsItem::FamilyName,
                            types::VerificationPayloadClaimsItem::IssuingCountry,
                        ],
                    },
                }),
            },
            types::SignerWithRole {
                email_address: "jane@example.com".into(),
                name: "Jane Doe".into(),
                group: Some(group(2)),
                signer_role: s("Client"),
                verification: None,
            },
        ],
        viewers: vec![types::Viewer {
            email_address: "legal@example.com".into(),
            name: "Legal".into(),
        }],
        expires_at: due(1_927_510_980_694),
        tags: BTreeMap::from([("owner.name".to_owned(), "Acme Corp".to_owned())]),
        fields: Some(types::FieldValues(BTreeMap::from([
            ("hasCompleted".to_owned(), types::FieldValue::Boolean(true)),
            (
                "CustomerName".to_owned(),
                types::FieldValue::String("John Doe".into()),
            ),
        ]))),
        variables: BTreeMap::from([
            ("Company.Name".to_owned(), "ACME Corp".to_owned()),
            ("Document.Name".to_owned(), "NDA Document".to_owned()),
        ]),
        collections: Some(collections),
        custom_email: Some(types::CustomEmail {
            sender_email: None,
            subject_name: s("NDA to sign"),
            title: None,
        }),
    };
    let resp = client(&server)
        .send_signature_request_from_template()
        .body(body)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 201);
    assert_eq!(
        resp.into_inner(),
        types::SignatureRequestCreateResponse {
            signature_request: types::SignatureRequestSummary {
                signature_request_id: "696d007913f3b8...".into(),
                created_at: ms(1_768_751_225_657),
                status: Some(types::SignatureRequestSummaryStatus::WaitingForProcessing),
            },
        }
    );
}

#[tokio::test]
async fn get_signing_link() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_with_body(
                when,
                "POST",
                "/signature_request/696d007913f3b8/signing-link",
                json!({ "signer_email": "signer1@example.com" }),
            ));
            // The documented example (the docs' obfuscated email written out).
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"view_url":"https://sign.luminpdf.com/auth?mode=view-contract&token=8647b08b...","signer_email":"signer1@example.com","status":"NEED_TO_SIGN"}"#);
        })
        .await;
    let resp = client(&server)
        .get_signing_link()
        .signature_request_id("696d007913f3b8")
        .body(types::SigningLinkRequest {
            signer_email: "signer1@example.com".into(),
        })
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.into_inner(),
        types::SigningLinkResponse {
            view_url: "https://sign.luminpdf.com/auth?mode=view-contract&token=8647b08b...".into(),
            signer_email: "signer1@example.com".into(),
            status: types::SigningLinkResponseStatus::NeedToSign,
        }
    );
}

#[tokio::test]
async fn create_signing_session() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_with_body(
                when,
                "POST",
                "/signature_request/696d007913f3b8/signing-session",
                // The documented request example.
                json!({ "signer_email": "signer1@example.com", "expiry": 900000 }),
            ));
            // The documented response example.
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"sign_url":"https://sign.luminpdf.com/embed?session=8647b08b...","signer_email":"signer1@example.com","expires_at":1927510980694,"status":"NEED_TO_SIGN"}"#);
        })
        .await;
    let resp = client(&server)
        .create_signing_session()
        .signature_request_id("696d007913f3b8")
        .body(types::SigningSessionRequest {
            signer_email: "signer1@example.com".into(),
            expiry: Some(
                SigningSessionExpiry::from_duration(Duration::from_secs(15 * 60)).unwrap(),
            ),
        })
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.into_inner(),
        types::SigningSessionResponse {
            sign_url: "https://sign.luminpdf.com/embed?session=8647b08b...".into(),
            signer_email: "signer1@example.com".into(),
            expires_at: ms(1_927_510_980_694),
            status: types::SigningSessionResponseStatus::NeedToSign,
        }
    );
}

#[tokio::test]
async fn send_reminder_emails() {
    let server = MockServer::start_async().await;
    // The documented response example.
    let response = format!(
        r#"{{"signature_request":{SIGNATURE_REQUEST},"reminders":[
          {{"email":"john@example.com","signer_status":"WAITING_FOR_OTHERS","email_status":"BOUNCE"}},
          {{"email":"jane@example.com","signer_status":"NEED_TO_SIGN","email_status":"SENT"}}
        ]}}"#
    );
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_with_body(
                when,
                "POST",
                "/signature_request/remind/696d007913f3b8...",
                // The documented request example.
                json!({ "emails": ["john@example.com", "jane@example.com"] }),
            ));
            then.status(200)
                .header("content-type", "application/json")
                .body(response);
        })
        .await;
    let resp = client(&server)
        .send_reminder_emails()
        .signature_request_id("696d007913f3b8...")
        .body(types::SignatureRequestRemindRequest {
            emails: BoundedVec::new(vec![
                "john@example.com".to_owned(),
                "jane@example.com".to_owned(),
            ])
            .unwrap(),
        })
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.into_inner(),
        types::SignatureRequestRemindResponse {
            signature_request: documented_signature_request(),
            reminders: vec![
                types::ReminderResult {
                    email: "john@example.com".into(),
                    signer_status: types::SignerStatus::WaitingForOthers,
                    email_status: types::ReminderResultEmailStatus::Bounce,
                },
                types::ReminderResult {
                    email: "jane@example.com".into(),
                    signer_status: types::SignerStatus::NeedToSign,
                    email_status: types::ReminderResultEmailStatus::Sent,
                },
            ],
        }
    );
}

#[tokio::test]
async fn cancel_signature_request() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_without_body(
                when,
                "PUT",
                "/signature_request/cancel/696d007913f3b8",
            ));
            // The old spec's response schema: `signature_request_id` and `status: CANCELLED`.
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"signature_request_id":"696d007913f3b8","status":"CANCELLED"}"#);
        })
        .await;
    let resp = client(&server)
        .cancel_signature_request()
        .signature_request_id("696d007913f3b8")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.into_inner(),
        types::SignatureRequestCancelResponse {
            signature_request_id: s("696d007913f3b8"),
            status: Some(types::SignatureRequestCancelResponseStatus::Cancelled),
        }
    );
}

#[tokio::test]
async fn get_signature_request_file() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            query(
                json_request_without_body(when, "GET", "/signature_request/696d007913f3b8/file"),
                &[("type", "coc")],
            );
            // The documented example: `expires_at` in seconds.
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"signed_url":"https://files.luminpdf.com/download/nda-acmecorp-abc123.pdf?expires=20...","expires_at":1766726700}"#);
        })
        .await;
    let resp = client(&server)
        .get_signature_request_file()
        .signature_request_id("696d007913f3b8")
        .type_(types::SignatureRequestFileType::Coc)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    let file = resp.into_inner();
    assert_eq!(
        file,
        types::SignedFileUrlSeconds {
            signed_url: "https://files.luminpdf.com/download/nda-acmecorp-abc123.pdf?expires=20..."
                .into(),
            expires_at: secs(1_766_726_700),
        }
    );
    assert_eq!(file.expires_at.unix_millis(), 1_766_726_700_000);
}

#[tokio::test]
async fn get_signature_request_file_without_type_sends_no_query() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_without_body(
                when,
                "GET",
                "/signature_request/696d007913f3b8/file",
            ));
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"signed_url":"https://files.luminpdf.com/download/nda-acmecorp-abc123.pdf?expires=20...","expires_at":1766726700}"#);
        })
        .await;
    let resp = client(&server)
        .get_signature_request_file()
        .signature_request_id("696d007913f3b8")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.into_inner().expires_at, secs(1_766_726_700));
}

#[tokio::test]
async fn download_file_as_file_url() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_without_body(
                when,
                "GET",
                "/signature_request/files_as_file_url/696d007913f3b8",
            ));
            // No example is documented: `file_url`, and `expires_at` in seconds.
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"file_url":"https://files.luminpdf.com/download/nda-acmecorp-abc123.pdf?expires=20...","expires_at":1766726700}"#);
        })
        .await;
    let resp = client(&server)
        .download_file_as_file_url()
        .signature_request_id("696d007913f3b8")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.into_inner(),
        types::FileUrlResponse {
            file_url: "https://files.luminpdf.com/download/nda-acmecorp-abc123.pdf?expires=20..."
                .into(),
            expires_at: secs(1_766_726_700),
        }
    );
}

#[tokio::test]
async fn download_file() {
    const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n";
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(
                request(when, "GET", "/signature_request/files/696d007913f3b8")
                    .header("accept", "application/pdf")
                    .header_missing("content-type")
                    .is_true(|req: &HttpMockRequest| req.body_ref().is_empty()),
            );
            then.status(200)
                .header("content-type", "application/pdf")
                .body(PDF);
        })
        .await;
    let resp = client(&server)
        .download_file()
        .signature_request_id("696d007913f3b8")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "application/pdf"
    );
    use futures::TryStreamExt as _;
    let bytes = resp
        .into_inner()
        .into_inner()
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await
        .unwrap();
    assert_eq!(bytes, PDF);
}

// ---- Users --------------------------------------------------------------------------

#[tokio::test]
async fn get_user_information() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_without_body(when, "GET", "/user/info"));
            // The Quickstart's example (the docs' obfuscated email written out).
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"user":{"id":"usr_a1b2c3d4","email":"you@example.com","name":"Your Name"}}"#);
        })
        .await;
    let resp = client(&server).get_user_information().send().await.unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.into_inner(),
        types::UserInfoResponse {
            user: types::User {
                id: "usr_a1b2c3d4".into(),
                email: "you@example.com".into(),
                name: "Your Name".into(),
            },
        }
    );
}

// ---- Templates ----------------------------------------------------------------------

/// The documented List Templates example.
const TEMPLATES: &str = r#"{
  "page": 1,
  "limit": 25,
  "total_count": 3,
  "data": [
    { "template_id": "sign_123456", "type": "pdf", "name": "Mutual NDA", "created_at": 1748456885430, "updated_at": 1748456885430 },
    { "template_id": "ag_456789", "type": "lumin", "name": "Lease Agreement", "created_at": 1748456885430, "updated_at": 1748456885430 },
    { "template_id": "pdf_456789", "type": "pdf", "name": "Onboarding Form", "created_at": 1748456885430, "updated_at": 1748456885430 }
  ]
}"#;

#[tokio::test]
async fn list_templates() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            // The documented request: `?page=1&limit=25` with `X-Lumin-API-Version: 1.1`,
            // which the client sets although the caller never passes it.
            query(
                json_request_without_body(when, "GET", "/templates"),
                &[("page", "1"), ("limit", "25")],
            )
            .is_true(|req: &HttpMockRequest| {
                req.headers()
                    .get_all("x-lumin-api-version")
                    .iter()
                    .map(|v| v.as_bytes().to_vec())
                    .collect::<Vec<_>>()
                    == vec![b"1.1".to_vec()]
            });
            then.status(200)
                .header("content-type", "application/json")
                .body(TEMPLATES);
        })
        .await;
    let resp = client(&server)
        .list_templates()
        .page(Page::FIRST)
        .limit(PageLimit::TwentyFive)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    let item = |id: &str, type_, name: &str| types::TemplateListItem {
        template_id: s(id),
        type_: Some(type_),
        name: s(name),
        created_at: Some(ms(1_748_456_885_430)),
        updated_at: Some(ms(1_748_456_885_430)),
    };
    assert_eq!(
        resp.into_inner(),
        types::TemplateListResponse {
            page: Some(1),
            limit: Some(25),
            total_count: Some(Count(3)),
            data: vec![
                item("sign_123456", types::TemplateType::Pdf, "Mutual NDA"),
                item("ag_456789", types::TemplateType::Lumin, "Lease Agreement"),
                item("pdf_456789", types::TemplateType::Pdf, "Onboarding Form"),
            ],
        }
    );
}

/// The documented Get Template Details example, with the newer `collections`.
const TEMPLATE: &str = r#"{
  "template_id": "sign_123456",
  "type": "pdf",
  "name": "Mutual NDA",
  "signing_type": "ORDER",
  "signer_roles": [
    { "name": "Tenant", "group": 1 },
    { "name": "Client", "group": 2 }
  ],
  "tags": [
    { "name": "owner.name", "type": "merge_tag", "is_required": true }
  ],
  "fields": [
    { "name": "hasCompleted", "type": "checkbox", "is_required": true, "assigned_role": "Tenant" }
  ],
  "variables": [
    { "name": "Company.Name", "value": "ACME Corp" },
    { "name": "Document.Name", "value": "NDA Document" }
  ],
  "collections": [],
  "created_at": 1748456885430,
  "updated_at": 1748456885430
}"#;

#[tokio::test]
async fn get_template_details() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_without_body(
                when,
                "GET",
                "/templates/sign_123456",
            ));
            then.status(200)
                .header("content-type", "application/json")
                .body(TEMPLATE);
        })
        .await;
    let resp = client(&server)
        .get_template_details()
        .template_id("sign_123456")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.into_inner(),
        types::TemplateDetail {
            template_id: s("sign_123456"),
            type_: Some(types::TemplateType::Pdf),
            name: s("Mutual NDA"),
            signing_type: Some(types::SigningType::Order),
            signer_roles: vec![
                types::TemplateDetailSignerRolesItem {
                    name: s("Tenant"),
                    group: Some(1),
                },
                types::TemplateDetailSignerRolesItem {
                    name: s("Client"),
                    group: Some(2),
                },
            ],
            tags: vec![types::TemplateDetailTagsItem {
                name: s("owner.name"),
                type_: Some(types::TemplateDetailTagsItemType::MergeTag),
                is_required: Some(true),
            }],
            fields: vec![types::TemplateDetailFieldsItem {
                name: s("hasCompleted"),
                type_: Some(types::TemplateDetailFieldsItemType::Checkbox),
                is_required: Some(true),
                assigned_role: s("Tenant"),
            }],
            variables: Some(types::TemplateVariables::Array(vec![
                types::TemplateVariable {
                    name: s("Company.Name"),
                    value: s("ACME Corp"),
                },
                types::TemplateVariable {
                    name: s("Document.Name"),
                    value: s("NDA Document"),
                },
            ])),
            collections: vec![],
            created_at: Some(ms(1_748_456_885_430)),
            updated_at: Some(ms(1_748_456_885_430)),
        }
    );
}

#[tokio::test]
async fn generate_document_from_template() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_with_body(
                when,
                "POST",
                "/templates/ag_456789/generate-document",
                // The documented request example, plus `collections`.
                json!({
                    "tags": { "Client.Name": "Acme Corp", "Effective.Date": "2025-08-01" },
                    "fields": { "CustomerName": "John Doe", "AgreeToTerms": true },
                    "variables": { "Company.Name": "ACME Corp", "Document.Name": "NDA Document" },
                    "collections": { "parties": [ { "name": "Acme Corp", "role": "Client" } ] },
                    "document_name": "My Contract"
                }),
            ));
            // The documented response example: `expires_at` in seconds.
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"document_name":"NDA_AcmeCorp","signed_url":"https://files.luminpdf.com/download/nda-acmecorp-abc123.pdf?expires=2025-08-24T10:45:00Z","expires_at":1766726700}"#);
        })
        .await;
    let body = types::DocumentGenerateRequest {
        tags: BTreeMap::from([
            ("Client.Name".to_owned(), "Acme Corp".to_owned()),
            ("Effective.Date".to_owned(), "2025-08-01".to_owned()),
        ]),
        fields: Some(types::FieldValues(BTreeMap::from([
            (
                "CustomerName".to_owned(),
                types::FieldValue::String("John Doe".into()),
            ),
            ("AgreeToTerms".to_owned(), types::FieldValue::Boolean(true)),
        ]))),
        variables: BTreeMap::from([
            ("Company.Name".to_owned(), "ACME Corp".to_owned()),
            ("Document.Name".to_owned(), "NDA Document".to_owned()),
        ]),
        collections: Some(
            Collections::new(BTreeMap::from([(
                "parties".to_owned(),
                vec![BTreeMap::from([
                    ("name".to_owned(), "Acme Corp".to_owned()),
                    ("role".to_owned(), "Client".to_owned()),
                ])],
            )]))
            .unwrap(),
        ),
        document_name: s("My Contract"),
    };
    let resp = client(&server)
        .generate_document_from_template()
        .template_id("ag_456789")
        .body(body)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.into_inner(),
        types::DocumentGenerateResponse {
            document_name: "NDA_AcmeCorp".into(),
            signed_url: "https://files.luminpdf.com/download/nda-acmecorp-abc123.pdf?expires=2025-08-24T10:45:00Z".into(),
            expires_at: secs(1_766_726_700),
        }
    );
}

// ---- Documents ----------------------------------------------------------------------

#[tokio::test]
async fn upload_document() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_with_body(
                when,
                "POST",
                "/documents",
                // The documented request example.
                json!({
                    "method": "file-upload",
                    "document_name": "Patient Form",
                    "location": { "type": "workspace", "folder_id": "123456" },
                    "document_data": {
                        "file_url": "https://files.luminpdf.com/download/nda-acmecorp-abc123.pdf"
                    }
                }),
            ));
            // The documented response fields, with the documented example id.
            then.status(201)
                .header("content-type", "application/json")
                .body(r#"{
                  "id": "doc_abc123def456",
                  "name": "Patient Form",
                  "created_at": 1748456885430,
                  "updated_at": 1748456885431,
                  "location": { "type": "workspace", "workspace_id": "655f0a1b2c3d4e5f6a7b8c9d", "folder_id": "123456" },
                  "size": 482133,
                  "mime_type": "application/pdf",
                  "preview_url": "https://app.luminpdf.com/viewer/doc_abc123def456"
                }"#);
        })
        .await;
    let body = types::DocumentCreateRequest {
        method: types::DocumentCreateMethod::FileUpload,
        document_name: types::DocumentName::try_from("Patient Form").unwrap(),
        location: types::DocumentLocation {
            type_: types::DocumentLocationType::Workspace,
            space_id: None,
            folder_id: s("123456"),
        },
        document_data: types::DocumentData {
            file_url: s("https://files.luminpdf.com/download/nda-acmecorp-abc123.pdf"),
            template_id: None,
            fields: None,
        },
    };
    let resp = client(&server)
        .upload_document()
        .body(body)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 201);
    assert_eq!(
        resp.into_inner(),
        types::DocumentSummary {
            id: "doc_abc123def456".into(),
            name: "Patient Form".into(),
            created_at: ms(1_748_456_885_430),
            updated_at: ms(1_748_456_885_431),
            location: Some(types::DocumentSummaryLocation {
                type_: s("workspace"),
                workspace_id: s("655f0a1b2c3d4e5f6a7b8c9d"),
                folder_id: s("123456"),
            }),
            size: Some(482_133),
            mime_type: s("application/pdf"),
            preview_url: s("https://app.luminpdf.com/viewer/doc_abc123def456"),
        }
    );
}

#[tokio::test]
async fn merge_documents() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_with_body(
                when,
                "POST",
                "/documents/merge",
                json!({
                    "document_ids": ["doc_abc123def456", "doc_def456abc123", "doc_0a1b2c3d4e5f"],
                    "document_name": "merged_Patient Form"
                }),
            ));
            // No example is documented: `expires_at` in milliseconds, as the docs say.
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"document_name":"merged_Patient Form","signed_url":"https://files.luminpdf.com/download/merged-abc123.pdf?expires=2031-01-30T03:43:00Z","expires_at":1927510980694}"#);
        })
        .await;
    let body = types::MergeDocumentsRequest {
        document_ids: Some(
            BoundedVec::new(vec![
                "doc_abc123def456".to_owned(),
                "doc_def456abc123".to_owned(),
                "doc_0a1b2c3d4e5f".to_owned(),
            ])
            .unwrap(),
        ),
        file_urls: None,
        document_name: Some(types::DocumentName::try_from("merged_Patient Form").unwrap()),
    };
    let resp = client(&server)
        .merge_documents()
        .body(body)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.into_inner(),
        types::PdfOperationResponse {
            document_name: "merged_Patient Form".into(),
            signed_url:
                "https://files.luminpdf.com/download/merged-abc123.pdf?expires=2031-01-30T03:43:00Z"
                    .into(),
            expires_at: ms(1_927_510_980_694),
        }
    );
}

#[tokio::test]
async fn compress_document() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_with_body(
                when,
                "POST",
                "/documents/compress",
                json!({
                    "compression_level": "maximum",
                    "file_url": "https://files.luminpdf.com/download/nda-acmecorp-abc123.pdf",
                    "document_name": "compressed_NDA",
                    "options": { "grayscale": true }
                }),
            ));
            // No example is documented: `expires_at` in milliseconds, as the docs say.
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"document_name":"compressed_NDA","signed_url":"https://files.luminpdf.com/download/compressed-abc123.pdf?expires=2031-01-30T03:43:00Z","expires_at":1927510980694}"#);
        })
        .await;
    let mut options = serde_json::Map::new();
    options.insert("grayscale".into(), json!(true));
    let body = types::CompressDocumentRequest {
        compression_level: types::CompressDocumentRequestCompressionLevel::Maximum,
        document_id: None,
        file_url: s("https://files.luminpdf.com/download/nda-acmecorp-abc123.pdf"),
        document_name: Some(types::DocumentName::try_from("compressed_NDA").unwrap()),
        options,
    };
    let resp = client(&server)
        .compress_document()
        .body(body)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.into_inner(),
        types::PdfOperationResponse {
            document_name: "compressed_NDA".into(),
            signed_url: "https://files.luminpdf.com/download/compressed-abc123.pdf?expires=2031-01-30T03:43:00Z".into(),
            expires_at: ms(1_927_510_980_694),
        }
    );
}

// ---- Workspaces ---------------------------------------------------------------------

#[tokio::test]
async fn get_workspace_information() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_without_body(when, "GET", "/workspaces/info"));
            // The documented fields; no example is documented.
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"id":"655f0a1b2c3d4e5f6a7b8c9d","name":"Acme Corp","owner":"thula@luminpdf.com","created_at":1748456885430,"user_role":"admin","total_members":3,"total_spaces":2}"#);
        })
        .await;
    let resp = client(&server)
        .get_workspace_information()
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.into_inner(),
        types::WorkspaceInfo {
            id: s("655f0a1b2c3d4e5f6a7b8c9d"),
            name: s("Acme Corp"),
            owner: s("thula@luminpdf.com"),
            created_at: Some(ms(1_748_456_885_430)),
            user_role: Some(types::WorkspaceRole::Admin),
            total_members: Some(3),
            total_spaces: Some(2),
        }
    );
}

/// The documented Get Workspace Members example (`total_count` a string).
const MEMBERS: &str = r#"{
  "page": 1,
  "limit": 25,
  "total_count": "123",
  "data": [
    { "user_id": "655f...", "email": "thula@luminpdf.com", "name": "thula", "role": "owner", "joined_at": 1748456885430, "last_active_at": 1748456885430 },
    { "user_id": "655f...", "email": "thula+1@luminpdf.com", "name": "thula 1", "role": "admin", "joined_at": 1748456885430, "last_active_at": 1748456885430 },
    { "user_id": "655f...", "email": "thula+2@luminpdf.com", "name": "thula 2", "role": "member", "joined_at": 1748456885430, "last_active_at": 1748456885430 }
  ]
}"#;

#[tokio::test]
async fn get_workspace_members() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            // The documented request: `?page=1&limit=25`.
            query(
                json_request_without_body(when, "GET", "/workspaces/members"),
                &[("page", "1"), ("limit", "25")],
            );
            then.status(200)
                .header("content-type", "application/json")
                .body(MEMBERS);
        })
        .await;
    let resp = client(&server)
        .get_workspace_members()
        .page(Page::new(1).unwrap())
        .limit(PageLimit::try_from(25).unwrap())
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    let member = |email: &str, name: &str, role| types::WorkspaceMember {
        user_id: s("655f..."),
        email: s(email),
        name: s(name),
        role: Some(role),
        joined_at: Some(ms(1_748_456_885_430)),
        last_active_at: Some(ms(1_748_456_885_430)),
    };
    assert_eq!(
        resp.into_inner(),
        types::WorkspaceMembersResponse {
            page: Some(1),
            limit: Some(25),
            total_count: Some(Count(123)),
            data: vec![
                member("thula@luminpdf.com", "thula", types::WorkspaceRole::Owner),
                member(
                    "thula+1@luminpdf.com",
                    "thula 1",
                    types::WorkspaceRole::Admin
                ),
                member(
                    "thula+2@luminpdf.com",
                    "thula 2",
                    types::WorkspaceRole::Member
                ),
            ],
        }
    );
}

/// A Space as Create Space documents it (its example `created_at`, ISO-8601).
const SPACE: &str = r#"{
    "id": "6614e1a3f0c2b9a7d8e4c3b2",
    "name": "Legal",
    "created_at": "2026-04-09T06:38:59.381Z",
    "workspace_id": "655f0a1b2c3d4e5f6a7b8c9d",
    "role_of_user": "admin",
    "total_members": 2,
    "owner": { "user_id": "655f...", "name": "thula", "email": "thula@luminpdf.com" }
  }"#;

fn documented_space() -> types::Space {
    types::Space {
        id: "6614e1a3f0c2b9a7d8e4c3b2".into(),
        name: "Legal".into(),
        created_at: Some(Timestamp::<Rfc3339>::from_unix_millis(1_775_716_739_381)),
        workspace_id: s("655f0a1b2c3d4e5f6a7b8c9d"),
        role_of_user: s("admin"),
        total_members: Some(2),
        owner: Some(types::SpaceOwner {
            user_id: s("655f..."),
            name: s("thula"),
            email: s("thula@luminpdf.com"),
        }),
        member_invite_notice: None,
    }
}

#[tokio::test]
async fn list_spaces() {
    let server = MockServer::start_async().await;
    let body = format!(r#"{{"page":2,"limit":10,"total_count":11,"data":[{SPACE}]}}"#);
    let mock = server
        .mock_async(|when, then| {
            // Inferred from the other paginated lists: `page` and `limit` in the query.
            query(
                json_request_without_body(when, "GET", "/workspaces/spaces"),
                &[("page", "2"), ("limit", "10")],
            );
            then.status(200)
                .header("content-type", "application/json")
                .body(body);
        })
        .await;
    let resp = client(&server)
        .list_spaces()
        .page(Page::FIRST.next())
        .limit(PageLimit::Ten)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.into_inner(),
        types::SpaceListResponse {
            page: Some(2),
            limit: Some(10),
            total_count: Some(Count(11)),
            data: vec![documented_space()],
        }
    );
}

#[tokio::test]
async fn create_space() {
    let server = MockServer::start_async().await;
    // Create Space's documented fields and example `created_at`, with the notice about
    // skipped members.
    let response = r#"{"space":{
      "id": "6614e1a3f0c2b9a7d8e4c3b2",
      "name": "Legal",
      "created_at": "2026-04-09T06:38:59.381Z",
      "workspace_id": "655f0a1b2c3d4e5f6a7b8c9d",
      "role_of_user": "admin",
      "total_members": 2,
      "owner": { "user_id": "655f...", "name": "thula", "email": "thula@luminpdf.com" },
      "member_invite_notice": "1 member was not added: not a Workspace member"
    }}"#;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_with_body(
                when,
                "POST",
                "/workspaces/spaces",
                json!({
                    "name": "Legal",
                    "members": [
                        { "user_id": "655f0a1b2c3d4e5f6a7b8c9e", "role": "member" },
                        { "user_id": "655f0a1b2c3d4e5f6a7b8c9f", "role": "member" }
                    ]
                }),
            ));
            then.status(200)
                .header("content-type", "application/json")
                .body(response);
        })
        .await;
    let resp = client(&server)
        .create_space()
        .body(types::SpaceCreateRequest {
            name: types::SpaceName::try_from("Legal").unwrap(),
            members: vec![
                types::SpaceMemberInput {
                    user_id: s("655f0a1b2c3d4e5f6a7b8c9e"),
                    role: s("member"),
                },
                types::SpaceMemberInput {
                    user_id: s("655f0a1b2c3d4e5f6a7b8c9f"),
                    role: s("member"),
                },
            ],
        })
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.into_inner(),
        types::SpaceCreateResponse {
            space: types::Space {
                member_invite_notice: s("1 member was not added: not a Workspace member"),
                ..documented_space()
            },
        }
    );
}

// ---- Agreements ---------------------------------------------------------------------

#[tokio::test]
async fn create_agreement() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_with_body(
                when,
                "POST",
                "/agreements",
                // The documented request example, plus the newer `collections` and
                // `signer_roles`.
                json!({
                    "method": "template",
                    "agreement_name": "NDA Agreement",
                    "agreement_data": {
                        "template_id": "ag_12312321",
                        "fields": { "Client.Name": "Acme Corp", "Document.EffectiveDate": "2025-08-01" },
                        "variables": { "Client.Name": "Acme Corp", "Document.EffectiveDate": "2025-08-01" },
                        "collections": { "parties": [ { "name": "Acme Corp" } ] },
                        "linked_objects": [ {
                            "integration": "salesforce",
                            "entity_type": "opportunity",
                            "record_id": "0065g00000Vh123ABC",
                            "reference_url": "https://lumin-uat-dev-ed.develop.lightning.force.com/lightning/r/Account/001QE00000eDhhjYAC/view"
                        } ],
                        "signer_roles": [ {
                            "name": "Client",
                            "preassigned_signer": { "name": "John Doe", "email_address": "john@example.com" }
                        } ]
                    }
                }),
            ));
            // The documented response fields.
            then.status(201)
                .header("content-type", "application/json")
                .body(r#"{
                  "id": "6614e1a3f0c2b9a7d8e4c3b3",
                  "name": "NDA Agreement",
                  "preview_url": "https://app.luminpdf.com/agreement/6614e1a3f0c2b9a7d8e4c3b3",
                  "created_at": 1768751225657,
                  "linked_objects": [ {
                    "integration": "salesforce",
                    "entity_type": "opportunity",
                    "record_id": "0065g00000Vh123ABC",
                    "reference_url": "https://lumin-uat-dev-ed.develop.lightning.force.com/lightning/r/Account/001QE00000eDhhjYAC/view"
                  } ]
                }"#);
        })
        .await;
    let linked = types::LinkedObject {
        integration: s("salesforce"),
        entity_type: s("opportunity"),
        record_id: s("0065g00000Vh123ABC"),
        reference_url: s(
            "https://lumin-uat-dev-ed.develop.lightning.force.com/lightning/r/Account/001QE00000eDhhjYAC/view",
        ),
    };
    let text = |v: &str| types::FieldValue::String(v.into());
    let body = types::AgreementCreateRequest {
        method: types::AgreementCreateRequestMethod::Template,
        agreement_name: Some(types::DocumentName::try_from("NDA Agreement").unwrap()),
        agreement_data: types::AgreementTemplateData {
            template_id: "ag_12312321".into(),
            fields: Some(types::FieldValues(BTreeMap::from([
                ("Client.Name".to_owned(), text("Acme Corp")),
                ("Document.EffectiveDate".to_owned(), text("2025-08-01")),
            ]))),
            variables: BTreeMap::from([
                ("Client.Name".to_owned(), "Acme Corp".to_owned()),
                ("Document.EffectiveDate".to_owned(), "2025-08-01".to_owned()),
            ]),
            collections: Some(
                Collections::new(BTreeMap::from([(
                    "parties".to_owned(),
                    vec![BTreeMap::from([(
                        "name".to_owned(),
                        "Acme Corp".to_owned(),
                    )])],
                )]))
                .unwrap(),
            ),
            linked_objects: vec![linked.clone()],
            signer_roles: vec![types::AgreementSignerRole {
                name: s("Client"),
                preassigned_signer: Some(types::PreassignedSigner {
                    name: s("John Doe"),
                    email_address: s("john@example.com"),
                }),
            }],
        },
    };
    let resp = client(&server)
        .create_agreement()
        .body(body)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 201);
    assert_eq!(
        resp.into_inner(),
        types::AgreementSummary {
            id: "6614e1a3f0c2b9a7d8e4c3b3".into(),
            name: "NDA Agreement".into(),
            preview_url: s("https://app.luminpdf.com/agreement/6614e1a3f0c2b9a7d8e4c3b3"),
            created_at: ms(1_768_751_225_657),
            linked_objects: vec![linked],
        }
    );
}

#[tokio::test]
async fn get_agreement_file() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_without_body(
                when,
                "GET",
                "/agreements/6614e1a3f0c2b9a7d8e4c3b3/file",
            ));
            // The documented shape with `expires_at` in seconds, as the text says (the
            // old example's millisecond value is in tests/doc_quirks.rs).
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"signed_url":"https://files.luminpdf.com/download/agreement-abc123.pdf?expires=2025-08-24T10:45:00Z","expires_at":1766726700}"#);
        })
        .await;
    let resp = client(&server)
        .get_agreement_file()
        .agreement_id("6614e1a3f0c2b9a7d8e4c3b3")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.into_inner(),
        types::SignedFileUrlSeconds {
            signed_url:
                "https://files.luminpdf.com/download/agreement-abc123.pdf?expires=2025-08-24T10:45:00Z"
                    .into(),
            expires_at: secs(1_766_726_700),
        }
    );
}

/// The docs do not show the success status of Get Signing Link, Merge Documents, Compress
/// Document and Create Space; `openapi.yaml` assumes 200 and says that any 2XX is
/// accepted. A 201 Created (the status of the other creating operations) must decode.
#[tokio::test]
async fn create_space_answered_201_is_accepted() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            no_query(json_request_with_body(
                when,
                "POST",
                "/workspaces/spaces",
                json!({ "name": "Legal" }),
            ));
            then.status(201)
                .header("content-type", "application/json")
                .body(format!(r#"{{"space":{SPACE}}}"#));
        })
        .await;
    let resp = client(&server)
        .create_space()
        .body(types::SpaceCreateRequest {
            name: types::SpaceName::try_from("Legal").unwrap(),
            members: vec![],
        })
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.status(), 201);
    assert_eq!(
        resp.into_inner(),
        types::SpaceCreateResponse {
            space: documented_space(),
        }
    );
}

/// A path parameter goes into the URL percent-encoded, one path segment whatever it holds.
#[tokio::test]
async fn a_path_parameter_is_percent_encoded_on_the_wire() {
    let server = MockServer::start_async().await;
    let mock = signature_request_at(&server, "/signature_request/a%20b%2Fc%3Fd%25%23%C3%BC").await;
    let resp = client(&server)
        .get_signature_request()
        .signature_request_id("a b/c?d%#ü")
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resp.signature_request, documented_signature_request());
}
