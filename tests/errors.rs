//! Every kind of failed response reaches the caller as the documented `lumin::Error`
//! variant, with its status and, when the body is not the documented envelope, the body
//! exactly as received. Nothing panics.

mod support {
    pub mod scripted;
}

use std::sync::Arc;

use httpmock::MockServer;
use lumin::clock::FixedClock;
use lumin::expiry::DueDate;
use lumin::reqwest::StatusCode;
use lumin::time::{Millis, Timestamp};
use lumin::{Error, types};
use support::scripted::{self, Answer};

const NOW_MS: i64 = 1_768_751_225_657;

fn clock() -> FixedClock {
    FixedClock::at_unix_millis(NOW_MS)
}

fn client(server: &MockServer) -> lumin::Client {
    client_at(&server.base_url())
}

fn client_at(base_url: &str) -> lumin::Client {
    lumin::ClientBuilder::new()
        .base_url(base_url)
        .api_key("test-key")
        .clock(Arc::new(clock()))
        // Each failure is asserted as answered; retries are tested in tests/retry.rs.
        .retry(lumin::retry::RetryPolicy::none())
        .build()
        .unwrap()
}

/// Get User Information answered with `status`, `content_type` and `body`: the error it
/// turns into.
async fn user_info_error(status: u16, content_type: &str, body: &'static [u8]) -> Error {
    let server = MockServer::start_async().await;
    let content_type = content_type.to_owned();
    let mock = server
        .mock_async(|when, then| {
            when.method("GET").path("/user/info");
            then.status(status)
                .header("content-type", content_type)
                .body(body);
        })
        .await;
    let result = client(&server).get_user_information().send().await;
    mock.assert_async().await;
    result.expect_err("an error response must not decode as success")
}

fn assert_unexpected(error: Error, expected_status: u16, expected_body: &[u8]) {
    assert_eq!(
        error.status(),
        Some(StatusCode::from_u16(expected_status).unwrap())
    );
    assert_eq!(error.error_code(), None);
    match error {
        Error::UnexpectedResponse { status, body, .. } => {
            assert_eq!(status.as_u16(), expected_status);
            assert_eq!(
                body.as_ref(),
                expected_body,
                "the body must be kept byte for byte"
            );
        }
        other => panic!("expected UnexpectedResponse, got {other:?}"),
    }
}

/// `verification` on a signer of a Workspace without a Digital Trust license: the
/// documented `403 verification_not_licensed` envelope.
#[tokio::test]
async fn documented_403_envelope_is_an_api_error() {
    const ENVELOPE: &str = r#"{"error_code":"verification_not_licensed","error_message":"Signer verification requires a Digital Trust license on the Workspace."}"#;
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("POST").path("/signature_request/send");
            then.status(403)
                .header("content-type", "application/json")
                .body(ENVELOPE);
        })
        .await;
    let body = types::SignatureRequestDto {
        file_url: Some("https://example.com/contract.pdf".into()),
        file_urls: vec![],
        title: types::Title::try_from("Contract").unwrap(),
        signers: vec![types::Signer {
            email_address: "john@example.com".into(),
            name: "John Doe".into(),
            group: None,
            verification: Some(types::Verification {
                method: types::VerificationMethod::Vc,
                payload: types::VerificationPayload {
                    doc_type: Some(types::VerificationPayloadDocType::PhotoId),
                    claims: vec![
                        types::VerificationPayloadClaimsItem::GivenName,
                        types::VerificationPayloadClaimsItem::FamilyName,
                    ],
                },
            }),
        }],
        viewers: vec![],
        expires_at: DueDate::at(
            Timestamp::<Millis>::from_unix_millis(1_927_510_980_694),
            &clock(),
        )
        .unwrap(),
        use_text_tags: false,
        signing_type: None,
        custom_email: None,
    };
    let result = client(&server)
        .send_signature_request()
        .body(body)
        .send()
        .await;
    mock.assert_async().await;
    let error = result.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(error.error_code(), Some("verification_not_licensed"));
    match error {
        Error::Api {
            status,
            error_code,
            error_message,
            ..
        } => {
            assert_eq!(status, StatusCode::FORBIDDEN);
            assert_eq!(status.as_u16(), 403);
            assert_eq!(error_code, "verification_not_licensed");
            assert_eq!(
                error_message,
                "Signer verification requires a Digital Trust license on the Workspace."
            );
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

/// The `?` operator converts the generated error the same way.
#[tokio::test]
async fn question_mark_converts_to_lumin_error() {
    async fn call(client: &lumin::Client) -> lumin::Result<types::UserInfoResponse> {
        Ok(client.get_user_information().send().await?.into_inner())
    }
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/user/info");
            then.status(401)
                .header("content-type", "application/json")
                .body(r#"{"error_code":"unauthorized","error_message":"Invalid API key"}"#);
        })
        .await;
    match call(&client(&server)).await {
        Err(Error::Api {
            status,
            error_code,
            error_message,
            ..
        }) => {
            assert_eq!(status.as_u16(), 401);
            assert_eq!(error_code, "unauthorized");
            assert_eq!(error_message, "Invalid API key");
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

#[tokio::test]
async fn html_4xx_body_is_kept_raw() {
    const HTML: &[u8] = b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n</body>\r\n</html>\r\n";
    let error = user_info_error(404, "text/html", HTML).await;
    assert_unexpected(error, 404, HTML);
}

/// A JSON 4XX body that is not the `{error_code, error_message}` envelope is not an API
/// error either: it is kept raw.
#[tokio::test]
async fn json_4xx_body_that_is_not_the_envelope_is_kept_raw() {
    const BODY: &[u8] = br#"{"message":"Too Many Requests","retry_after":30}"#;
    let error = user_info_error(429, "application/json", BODY).await;
    assert_unexpected(error, 429, BODY);
}

/// A body that happens to look like the client's own internal wrapping of raw bodies is
/// still handed on as received.
#[tokio::test]
async fn body_resembling_the_internal_raw_marker_is_kept_raw() {
    const BODY: &[u8] = br#"{"$lumin_raw_body_base64":"aGVsbG8="}"#;
    let error = user_info_error(400, "application/json", BODY).await;
    assert_unexpected(error, 400, BODY);
}

#[tokio::test]
async fn non_json_5xx_body_is_kept_raw() {
    const HTML: &[u8] = b"<html><body><h1>502 Bad Gateway</h1>\n<p>upstream \xff\xfe not reachable</p></body></html>";
    let error = user_info_error(502, "text/html", HTML).await;
    assert_unexpected(error, 502, HTML);
}

#[tokio::test]
async fn empty_4xx_body_is_kept_empty() {
    let error = user_info_error(401, "application/json", b"").await;
    assert_unexpected(error, 401, b"");
}

#[tokio::test]
async fn empty_5xx_body_is_kept_empty() {
    let error = user_info_error(503, "text/plain", b"").await;
    assert_unexpected(error, 503, b"");
}

#[tokio::test]
async fn truncated_success_body_is_a_decode_error() {
    const TRUNCATED: &[u8] = br#"{"user":{"id":"usr_a1b2c3d4","email":"you@exa"#;
    let error = user_info_error(200, "application/json", TRUNCATED).await;
    // The status is kept: Lumin answered with a success.
    assert_eq!(error.status(), Some(StatusCode::OK));
    match error {
        Error::Decode {
            path, body, source, ..
        } => {
            assert_eq!(body.as_ref(), TRUNCATED);
            assert!(source.is_eof(), "{source}");
            assert_eq!(path, "user.email");
        }
        other => panic!("expected Error::Decode, got {other:?}"),
    }
}

/// A success body that arrives in several reads is decoded whole; one in a single read is
/// decoded where it is (the common case, checked by every other test).
#[tokio::test]
async fn a_success_body_in_several_chunks_is_decoded_whole() {
    let chunks = [
        r#"{"user":{"id":"usr_1","#,
        r#""email":"you@example.com","#,
        r#""name":"You"}}"#,
    ];
    let server = scripted::start(vec![Answer::Chunked(
        200,
        vec![
            ("content-type", "application/json".to_owned()),
            ("x-request-id", "req-9".to_owned()),
        ],
        chunks.iter().map(|c| (*c).to_owned()).collect(),
    )])
    .await;
    let client = client_at(&server.base_url);
    let response = client.get_user_information().send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-request-id"], "req-9");
    let user = response.into_inner().user;
    assert_eq!(
        (user.id.as_str(), user.email.as_str(), user.name.as_str()),
        ("usr_1", "you@example.com", "You")
    );
    assert_eq!(server.requests().len(), 1);
}

/// A success body cut short by the connection is a transport failure (nothing to
/// decode), not a decode error.
#[tokio::test]
async fn a_success_body_cut_short_is_a_transport_error() {
    let server = scripted::start(vec![Answer::Truncated(
        200,
        vec![("content-type", "application/json".to_owned())],
        br#"{"user":{"id":"usr_1","#.to_vec(),
        200,
    )])
    .await;
    let client = client_at(&server.base_url);
    let error = client.get_user_information().await.unwrap_err();
    match &error {
        Error::Transport(source) => assert!(source.is_decode() || source.is_body(), "{source:?}"),
        other => panic!("expected Error::Transport, got {other:?}"),
    }
}

#[tokio::test]
async fn empty_success_body_is_a_decode_error() {
    let error = user_info_error(200, "application/json", b"").await;
    match error {
        Error::Decode { body, source, .. } => {
            assert!(body.is_empty());
            assert!(source.is_eof(), "{source}");
        }
        other => panic!("expected Error::Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn envelope_on_a_5xx_is_an_api_error() {
    let error = user_info_error(
        500,
        "application/json",
        br#"{"error_code":"internal_error","error_message":"Something went wrong"}"#,
    )
    .await;
    match error {
        Error::Api {
            status,
            error_code,
            error_message,
            ..
        } => {
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(error_code, "internal_error");
            assert_eq!(error_message, "Something went wrong");
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

/// An operation whose success body is a PDF still reports a JSON error envelope.
#[tokio::test]
async fn envelope_on_a_pdf_operation_is_an_api_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/signature_request/files/sr_1");
            then.status(404)
                .header("content-type", "application/json")
                .body(
                    r#"{"error_code":"not_found","error_message":"Signature request not found"}"#,
                );
        })
        .await;
    let result = client(&server)
        .download_file()
        .signature_request_id("sr_1")
        .send()
        .await;
    match result.map(|_| ()) {
        Err(Error::Api {
            status, error_code, ..
        }) => {
            assert_eq!(status.as_u16(), 404);
            assert_eq!(error_code, "not_found");
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

/// A success status the operation does not document (Get User Information documents 200
/// only) is an unexpected response, with its body kept as received.
#[tokio::test]
async fn undocumented_success_status_keeps_status_and_body() {
    const BODY: &[u8] = br#"{"status":"accepted"}"#;
    let error = user_info_error(202, "application/json", BODY).await;
    assert_unexpected(error, 202, BODY);
}

/// Redirects are not followed (credentials must not go to another host): a 3XX is an
/// unexpected response, with its body kept as received.
#[tokio::test]
async fn redirect_is_not_followed_and_keeps_status_and_body() {
    const BODY: &[u8] =
        b"<html><body>Moved to <a href=\"https://elsewhere.example/\">here</a></body></html>";
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("GET").path("/user/info");
            then.status(302)
                .header("location", "https://elsewhere.example/user/info")
                .header("content-type", "text/html")
                .body(BODY);
        })
        .await;
    let result = client(&server).get_user_information().send().await;
    mock.assert_async().await;
    assert_unexpected(result.unwrap_err(), 302, BODY);
}

/// A 2xx whose body does not decode keeps its status; for an operation that creates or
/// sends (not safe to repeat), the error says Lumin accepted the request, so the caller
/// does not send it again.
#[tokio::test]
async fn an_undecodable_success_of_a_creating_operation_says_it_was_accepted() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("POST").path("/signature_request/send");
            then.status(201)
                .header("content-type", "application/json")
                .header("x-request-id", "req-201")
                .body(r#"{"signature_request":{"created_at":"1768751225657"}}"#);
        })
        .await;
    let body: types::SignatureRequestDto = serde_json::from_value(serde_json::json!({
        "title": "NDA",
        "expires_at": 1_927_510_980_694_i64,
        "file_url": "https://example.com/a.pdf",
        "signers": [{"email_address": "ann@example.com", "name": "Ann"}],
    }))
    .unwrap();
    let error = client(&server)
        .send_signature_request()
        .body(body)
        .await
        .unwrap_err();
    mock.assert_async().await;
    assert_eq!(error.status(), Some(StatusCode::CREATED));
    // Lumin's id of the request that was accepted, to ask about it.
    assert_eq!(error.request_id(), Some("req-201"));
    let message = error.to_string();
    match error {
        Error::Decode {
            status, accepted, ..
        } => {
            assert_eq!(status, StatusCode::CREATED);
            assert!(accepted, "Send Signature Request is not safe to repeat");
        }
        other => panic!("expected Error::Decode, got {other:?}"),
    }
    assert!(message.contains("201"), "{message}");
    assert!(message.contains("the request was accepted"), "{message}");
}

#[tokio::test]
async fn an_undecodable_success_of_a_read_keeps_its_status_and_is_not_marked_accepted() {
    let error = user_info_error(200, "application/json", br#"{"user":{"id":1}}"#).await;
    assert_eq!(error.status(), Some(StatusCode::OK));
    let message = error.to_string();
    assert!(
        matches!(
            error,
            Error::Decode {
                accepted: false,
                ..
            }
        ),
        "{message}"
    );
    assert!(!message.contains("accepted"), "{message}");
}
