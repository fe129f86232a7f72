//! Multipart uploads and PDF bodies: the operations progenitor cannot express, sent
//! through the same client with the documented bracket field names.

use std::sync::Arc;
use std::sync::Mutex;

use httpmock::MockServer;
use httpmock::prelude::HttpMockRequest;
use lumin::clock::FixedClock;
use lumin::expiry::DueDate;
use lumin::files::{FilesError, Upload, Uploads};
use lumin::rules::RuleError;
use lumin::types;
use lumin::wire::SignerGroup;
use serde_json::json;

const NOW_MS: i64 = 1_768_751_225_657;

fn client(server: &MockServer) -> lumin::Client {
    lumin::ClientBuilder::new()
        .base_url(server.base_url())
        .api_key("test-key")
        .clock(Arc::new(FixedClock::at_unix_millis(NOW_MS)))
        .build()
        .unwrap()
}

/// One part of a multipart body: (name, file name, content type, content).
type Part = (String, Option<String>, Option<String>, Vec<u8>);

/// Splits a `multipart/form-data` body into its parts, in order.
fn parts(request: &HttpMockRequest) -> Vec<Part> {
    let headers = request.headers();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let Some(boundary) = content_type.strip_prefix("multipart/form-data; boundary=") else {
        return Vec::new();
    };
    let body = request.body_vec();
    let delimiter = format!("--{boundary}");
    let text = body.as_slice();
    let mut out = Vec::new();
    let positions: Vec<usize> = text
        .windows(delimiter.len())
        .enumerate()
        .filter(|(_, w)| *w == delimiter.as_bytes())
        .map(|(i, _)| i)
        .collect();
    for pair in positions.windows(2) {
        let part = &text[pair[0] + delimiter.len() + 2..pair[1] - 2];
        let split = part.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&part[..split]).into_owned();
        let content = part[split + 4..].to_vec();
        let mut name = None;
        let mut file_name = None;
        let mut part_type = None;
        for line in head.split("\r\n") {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("content-disposition:") {
                for attr in line.split(';').map(str::trim) {
                    if let Some(v) = attr.strip_prefix("name=") {
                        name = Some(v.trim_matches('"').to_owned());
                    }
                    if let Some(v) = attr.strip_prefix("filename=") {
                        file_name = Some(v.trim_matches('"').to_owned());
                    }
                }
            } else if lower.starts_with("content-type:") {
                part_type = Some(line["content-type:".len()..].trim().to_owned());
            }
        }
        out.push((name.unwrap_or_default(), file_name, part_type, content));
    }
    out
}

fn text(name: &str, value: &str) -> Part {
    (name.to_owned(), None, None, value.as_bytes().to_vec())
}

fn file(name: &str, file_name: &str, content_type: &str, bytes: &[u8]) -> Part {
    (
        name.to_owned(),
        Some(file_name.to_owned()),
        Some(content_type.to_owned()),
        bytes.to_vec(),
    )
}

fn sr_request(clock: &FixedClock) -> types::SignatureRequestDto {
    types::SignatureRequestDto::builder()
        .title("Financial Year-End Report Authorization")
        .signers(vec![
            types::Signer {
                email_address: "john.doe@example.com".into(),
                name: "John Doe".into(),
                group: Some(SignerGroup::new(1).unwrap()),
                verification: None,
            },
            types::Signer {
                email_address: "jane.doe@example.com".into(),
                name: "Jane Doe".into(),
                group: Some(SignerGroup::new(2).unwrap()),
                verification: None,
            },
        ])
        .viewers(vec![types::Viewer {
            email_address: "viewer@example.com".into(),
            name: "Vera Viewer".into(),
        }])
        .custom_email(Some(types::CustomEmail {
            sender_email: Some("sender@example.com".into()),
            subject_name: Some("Please sign".into()),
            title: None,
        }))
        .signing_type(Some(types::SigningType::Order))
        .expires_at(
            DueDate::at(
                lumin::time::Timestamp::<lumin::time::Millis>::from_unix_millis(1_927_510_980_694),
                clock,
            )
            .unwrap(),
        )
        .try_into()
        .unwrap()
}

#[tokio::test]
async fn send_signature_request_with_one_upload_is_exact_multipart() {
    let server = MockServer::start_async().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_in_mock = seen.clone();
    let mock = server
        .mock_async(move |when, then| {
            when.method("POST")
                .path("/signature_request/send")
                .header("x-api-key", "test-key")
                .header("accept", "application/json")
                .header_missing("api-version")
                .is_true(move |req| {
                    *seen_in_mock.lock().unwrap() = parts(req);
                    true
                });
            then.status(201).body(
                r#"{"signature_request":{"signature_request_id":"696d007913f3b8","created_at":"1768751225657","status":"WAITING_FOR_PROCESSING"}}"#,
            );
        })
        .await;
    let clock = FixedClock::at_unix_millis(NOW_MS);
    let created = client(&server)
        .send_signature_request_with_uploads()
        .body(sr_request(&clock))
        .file(Upload::pdf("report.pdf", &b"%PDF-1.7 report"[..]))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            text("custom_email[sender_email]", "sender@example.com"),
            text("custom_email[subject_name]", "Please sign"),
            text("expires_at", "1927510980694"),
            text("signers[0][email_address]", "john.doe@example.com"),
            text("signers[0][group]", "1"),
            text("signers[0][name]", "John Doe"),
            text("signers[1][email_address]", "jane.doe@example.com"),
            text("signers[1][group]", "2"),
            text("signers[1][name]", "Jane Doe"),
            text("signing_type", "ORDER"),
            text("title", "Financial Year-End Report Authorization"),
            text("use_text_tags", "false"),
            text("viewers[0][email_address]", "viewer@example.com"),
            text("viewers[0][name]", "Vera Viewer"),
            file("file", "report.pdf", "application/pdf", b"%PDF-1.7 report"),
        ]
    );
    assert_eq!(
        created.signature_request.signature_request_id,
        "696d007913f3b8"
    );
    assert_eq!(
        created.signature_request.created_at.unix_millis(),
        1_768_751_225_657
    );
    assert_eq!(
        created.signature_request.status,
        Some(types::SignatureRequestSummaryStatus::WaitingForProcessing)
    );
}

#[tokio::test]
async fn several_uploads_go_as_files_with_indices() {
    let server = MockServer::start_async().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_in_mock = seen.clone();
    let mock = server
        .mock_async(move |when, then| {
            when.method("POST")
                .path("/signature_request/send")
                .is_true(move |req| {
                    *seen_in_mock.lock().unwrap() = parts(req);
                    true
                });
            then.status(201).body(
                r#"{"signature_request":{"signature_request_id":"1","created_at":"1768751225657"}}"#,
            );
        })
        .await;
    let clock = FixedClock::at_unix_millis(NOW_MS);
    client(&server)
        .send_signature_request_with_uploads()
        .body(sr_request(&clock))
        .uploads(Uploads::Files(vec![
            Upload::pdf("a.pdf", &b"%PDF-a"[..]),
            Upload::new(
                "b.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                &b"PK"[..],
            ),
        ]))
        .await
        .unwrap();
    mock.assert_async().await;
    let seen = seen.lock().unwrap();
    let files: Vec<&Part> = seen.iter().filter(|p| p.1.is_some()).collect();
    assert_eq!(
        files,
        vec![
            &file("files[0]", "a.pdf", "application/pdf", b"%PDF-a"),
            &file(
                "files[1]",
                "b.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                b"PK"
            ),
        ]
    );
}

#[tokio::test]
async fn exclusive_document_inputs_fail_before_anything_is_sent() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let clock = FixedClock::at_unix_millis(NOW_MS);
    let client = client(&server);

    // An upload plus a URL.
    let mut with_url = sr_request(&clock);
    with_url.file_url = Some("https://example.com/a.pdf".into());
    let err = client
        .send_signature_request_with_uploads()
        .body(with_url)
        .file(Upload::pdf("a.pdf", &b"%PDF"[..]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            lumin::Error::Rule(RuleError::ExclusiveInputs { given, .. })
                if given == &["file".to_owned(), "file_url".to_owned()]
        ),
        "{err:?}"
    );

    // No files at all in `Files`.
    let err = client
        .send_signature_request_with_uploads()
        .body(sr_request(&clock))
        .files(vec![])
        .await
        .unwrap_err();
    assert!(
        matches!(err, lumin::Error::Files(FilesError::EmptyFiles)),
        "{err:?}"
    );

    // JSON body with both `file_url` and `file_urls` through the generated operation.
    let mut both = sr_request(&clock);
    both.file_url = Some("https://example.com/a.pdf".into());
    both.file_urls = vec!["https://example.com/b.pdf".into()];
    let err = client
        .send_signature_request()
        .body(both)
        .await
        .unwrap_err();
    // The same variant on the generated path as on the handwritten one.
    assert!(
        matches!(
            &err,
            lumin::Error::Rule(RuleError::ExclusiveInputs { given, .. })
                if given == &["file_url".to_owned(), "file_urls".to_owned()]
        ),
        "{err:?}"
    );
    assert_eq!(any.calls_async().await, 0, "nothing may reach the server");
}

#[tokio::test]
async fn upload_document_file_uses_bracket_names() {
    let server = MockServer::start_async().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_in_mock = seen.clone();
    let mock = server
        .mock_async(move |when, then| {
            when.method("POST")
                .path("/documents")
                .header("x-api-key", "test-key")
                .is_true(move |req| {
                    *seen_in_mock.lock().unwrap() = parts(req);
                    true
                });
            then.status(201).body(
                r#"{"id":"doc_abc123def456","name":"Patient Form","created_at":1748456885430,"updated_at":1748456885430,"location":{"type":"workspace","workspace_id":"ws_1","folder_id":"123456"},"size":52344,"mime_type":"application/pdf","preview_url":"https://app.luminpdf.com/viewer/doc_abc123def456"}"#,
            );
        })
        .await;
    let location = types::DocumentLocation {
        type_: types::DocumentLocationType::Workspace,
        space_id: None,
        folder_id: Some("123456".into()),
    };
    let summary = client(&server)
        .upload_document_file()
        .document_name("Patient Form")
        .location(location)
        .file(Upload::pdf("form.pdf", &b"%PDF-form"[..]))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            text("document_name", "Patient Form"),
            text("location[folder_id]", "123456"),
            text("location[type]", "workspace"),
            text("method", "file-upload"),
            file(
                "document_data[file]",
                "form.pdf",
                "application/pdf",
                b"%PDF-form"
            ),
        ]
    );
    assert_eq!(summary.id, "doc_abc123def456");
    assert_eq!(summary.name, "Patient Form");
    assert_eq!(summary.created_at.unix_millis(), 1_748_456_885_430);
    assert_eq!(summary.size, Some(52_344));
    assert_eq!(summary.mime_type.as_deref(), Some("application/pdf"));
    let location = summary.location.unwrap();
    assert_eq!(location.type_.as_deref(), Some("workspace"));
    assert_eq!(location.workspace_id.as_deref(), Some("ws_1"));
    assert_eq!(location.folder_id.as_deref(), Some("123456"));
}

#[tokio::test]
async fn pdf_endpoints_ask_for_application_pdf() {
    let server = MockServer::start_async().await;
    let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj".to_vec();
    let sr = server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/signature_request/sr_1/file")
                .query_param("type", "merged")
                .header("accept", "application/pdf")
                .header("x-api-key", "test-key");
            then.status(200)
                .header("content-type", "application/pdf")
                .body(pdf.clone());
        })
        .await;
    let agreement = server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/agreements/ag_1/file")
                .header("accept", "application/pdf");
            then.status(200)
                .header("content-type", "application/pdf")
                .body(pdf.clone());
        })
        .await;
    let generated = server
        .mock_async(|when, then| {
            when.method("POST")
                .path("/templates/sign_123456/generate-document")
                .header("accept", "application/pdf")
                .header("content-type", "application/json")
                .json_body(json!({
                    "document_name": "My Contract",
                    "fields": {"AgreeToTerms": true, "CustomerName": "John Doe"},
                    "tags": {"Client.Name": "Acme Corp"}
                }));
            then.status(200)
                .header("content-type", "application/pdf")
                .body(pdf.clone());
        })
        .await;
    let legacy = server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/signature_request/files/sr_1")
                .header("accept", "application/pdf");
            then.status(200)
                .header("content-type", "application/pdf")
                .body(pdf.clone());
        })
        .await;
    let client = client(&server);
    let got = client
        .get_signature_request_pdf()
        .signature_request_id("sr_1")
        .file_type(types::SignatureRequestFileType::Merged)
        .await
        .unwrap();
    assert_eq!(got.bytes().as_ref(), pdf.as_slice());
    let got = client
        .get_agreement_pdf()
        .agreement_id("ag_1")
        .await
        .unwrap();
    assert_eq!(got.bytes().as_ref(), pdf.as_slice());
    let body = types::DocumentGenerateRequest::builder()
        .document_name(Some("My Contract".to_owned()))
        .tags(std::collections::BTreeMap::from([(
            "Client.Name".to_owned(),
            "Acme Corp".to_owned(),
        )]))
        .fields(types::FieldValues(std::collections::BTreeMap::from([
            (
                "CustomerName".to_owned(),
                types::FieldValue::String("John Doe".into()),
            ),
            ("AgreeToTerms".to_owned(), types::FieldValue::Boolean(true)),
        ])));
    let body = types::DocumentGenerateRequest::try_from(body).unwrap();
    let got = client
        .generate_document_pdf()
        .template_id("sign_123456")
        .body(body)
        .await
        .unwrap();
    assert_eq!(got.bytes().as_ref(), pdf.as_slice());
    // The deprecated binary download is generated; the spec gives it Accept: application/pdf.
    let stream = client
        .download_file()
        .signature_request_id("sr_1")
        .send()
        .await
        .unwrap();
    let chunks: Vec<bytes::Bytes> =
        futures::TryStreamExt::try_collect(stream.into_inner().into_inner())
            .await
            .unwrap();
    assert_eq!(chunks.concat(), pdf);
    for mock in [&sr, &agreement, &generated, &legacy] {
        mock.assert_async().await;
    }
}

#[tokio::test]
async fn a_json_answer_where_a_pdf_was_asked_for_keeps_status_and_body() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/agreements/ag_1/file");
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"signed_url":"https://x","expires_at":1}"#);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/agreements/ag_2/file");
            then.status(404)
                .body(r#"{"error_code":"not_found","error_message":"Agreement not found"}"#);
        })
        .await;
    let client = client(&server);
    match client
        .get_agreement_pdf()
        .agreement_id("ag_1")
        .await
        .unwrap_err()
    {
        lumin::Error::UnexpectedResponse { status, body, .. } => {
            assert_eq!(status, 200);
            assert_eq!(
                body.as_ref(),
                br#"{"signed_url":"https://x","expires_at":1}"#
            );
        }
        other => panic!("{other:?}"),
    }
    match client
        .get_agreement_pdf()
        .agreement_id("ag_2")
        .await
        .unwrap_err()
    {
        lumin::Error::Api {
            status,
            error_code,
            error_message,
            ..
        } => {
            assert_eq!(status, 404);
            assert_eq!(error_code, "not_found");
            assert_eq!(error_message, "Agreement not found");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_upload_from_a_path_is_streamed_as_the_exact_part() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Patient Form.PDF");
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    let server = MockServer::start_async().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_in_mock = seen.clone();
    let mock = server
        .mock_async(move |when, then| {
            when.method("POST")
                .path("/documents")
                .is_true(move |req| {
                    *seen_in_mock.lock().unwrap() = parts(req);
                    true
                });
            then.status(201).body(
                r#"{"id":"doc_1","name":"Patient Form","created_at":1748456885430,"updated_at":1748456885430}"#,
            );
        })
        .await;
    let upload = Upload::from_path(&path).await.unwrap();
    assert_eq!(upload.len(), 200_000);
    assert_eq!(upload.name(), "Patient Form.PDF");
    client(&server)
        .upload_document_file()
        .document_name("Patient Form")
        .location(types::DocumentLocation {
            type_: types::DocumentLocationType::Personal,
            space_id: None,
            folder_id: None,
        })
        .file(upload)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            text("document_name", "Patient Form"),
            text("location[type]", "personal"),
            text("method", "file-upload"),
            file(
                "document_data[file]",
                "Patient Form.PDF",
                "application/pdf",
                &content
            ),
        ]
    );
}
