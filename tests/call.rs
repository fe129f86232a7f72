//! The one call style: every operation is a builder on `Client`; awaiting it gives
//! `lumin::Result<T>`, `send()` the body with status and headers; every failure is a typed
//! `lumin::Error` whose `Display` speaks for its own layer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use httpmock::MockServer;
use lumin::auth::{BoxFuture, Credentials, TokenSource, TokenSourceError};
use lumin::oauth::{ReauthorizationReason, SessionError};
use lumin::retry::RetryPolicy;
use lumin::{Error, operations, types};
use secrecy::SecretString;

const USER: &str = r#"{"user":{"id":"usr_1","email":"you@example.com","name":"You"}}"#;

fn client(server: &MockServer) -> lumin::Client {
    lumin::ClientBuilder::new()
        .base_url(server.base_url())
        .api_key("test-key")
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// A builder type can be named in a user's own signatures.
fn who_am_i(builder: operations::GetUserInformation<'_>) -> operations::GetUserInformation<'_> {
    builder
}

#[tokio::test]
async fn awaiting_a_builder_gives_the_body_and_send_gives_status_and_headers() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/user/info")
                .header("x-api-key", "test-key");
            then.status(200)
                .header("content-type", "application/json")
                .header("x-request-id", "req-42")
                .body(USER);
        })
        .await;
    let client = client(&server);
    let body: types::UserInfoResponse = who_am_i(client.get_user_information()).await.unwrap();
    assert_eq!(body.user.email, "you@example.com");
    let full = client.get_user_information().send().await.unwrap();
    assert_eq!(full.status(), 200);
    assert_eq!(full.headers()["x-request-id"], "req-42");
    assert_eq!(full.into_inner(), body);
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_setter_value_that_does_not_convert_keeps_its_typed_error_and_sends_nothing() {
    let server = MockServer::start_async().await;
    let any = any_request_fails(&server).await;
    let err = client(&server)
        .list_templates()
        .limit(30u64)
        .await
        .unwrap_err();
    match &err {
        Error::InvalidInput { field, source } => {
            assert_eq!(*field, "limit");
            let limit = source
                .downcast_ref::<lumin::limits::LimitError>()
                .expect("the typed limit error is the source");
            assert!(limit.to_string().contains("30"), "{limit}");
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    assert_eq!(err.to_string(), "invalid value for `limit`, not sent");
    assert_eq!(any.calls_async().await, 0);
}

/// A mock that answers anything with a 500: its count says whether something was sent.
async fn any_request_fails(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await
}

fn assert_invalid_request(error: &Error, message: &str) {
    assert!(
        matches!(error, Error::InvalidRequest(m) if m == message),
        "expected InvalidRequest({message:?}), got {error:?}"
    );
}

/// The generated builders start their required fields without a message (so that a call
/// allocates none); one left unset is still named, and nothing is sent.
#[tokio::test]
async fn a_required_parameter_or_body_field_left_unset_is_named_and_nothing_is_sent() {
    let server = MockServer::start_async().await;
    let any = any_request_fails(&server).await;
    let client = client(&server);
    let unset_parameter = client
        .create_signing_session()
        .body(types::SigningSessionRequest {
            signer_email: "signer@example.com".into(),
            expiry: None,
        })
        .await
        .unwrap_err();
    assert_invalid_request(&unset_parameter, "signature_request_id was not initialized");
    // No body set: the body builder's default lacks its one required field.
    let unset_field = client
        .create_signing_session()
        .signature_request_id("sr_1")
        .await
        .unwrap_err();
    assert_invalid_request(&unset_field, "no value supplied for signer_email");
    // Set through the body builder, the field is sent.
    let set_field = client
        .create_signing_session()
        .signature_request_id("sr_1")
        .body_map(|body| body.signer_email("signer@example.com"))
        .await
        .unwrap_err();
    assert_eq!(
        set_field.status(),
        Some(lumin::reqwest::StatusCode::INTERNAL_SERVER_ERROR)
    );
    assert_eq!(any.calls_async().await, 1);
}

#[tokio::test]
async fn response_errors_keep_status_headers_request_id_retry_after_and_body() {
    let server = MockServer::start_async().await;
    const BODY: &str = r#"{"error_code":"rate_limited","error_message":"Slow down"}"#;
    server
        .mock_async(|when, then| {
            when.method("GET").path("/user/info");
            then.status(429)
                .header("x-request-id", "req-7")
                .header("retry-after", "30")
                .body(BODY);
        })
        .await;
    let err = client(&server).get_user_information().await.unwrap_err();
    assert_eq!(
        err.status(),
        Some(lumin::reqwest::StatusCode::TOO_MANY_REQUESTS)
    );
    assert_eq!(err.error_code(), Some("rate_limited"));
    assert_eq!(err.request_id(), Some("req-7"));
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(30)));
    assert_eq!(err.body().map(|b| b.as_ref()), Some(BODY.as_bytes()));
}

/// A token source that fails in a chosen way, counting its calls.
#[derive(Debug)]
struct FailingSource {
    fail_access: bool,
    refreshes: AtomicUsize,
}

#[derive(Debug, thiserror::Error)]
#[error("the vault is sealed")]
struct VaultSealed(#[source] std::io::Error);

impl TokenSource for FailingSource {
    fn access_token(&self) -> BoxFuture<'_, Result<SecretString, TokenSourceError>> {
        let fail = self.fail_access;
        Box::pin(async move {
            if fail {
                Err(Box::new(VaultSealed(std::io::Error::other("disk offline")))
                    as TokenSourceError)
            } else {
                Ok(SecretString::from("access-1".to_owned()))
            }
        })
    }

    fn refresh_rejected<'a>(
        &'a self,
        _rejected: &'a SecretString,
    ) -> BoxFuture<'a, Result<SecretString, TokenSourceError>> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {
            Err(Box::new(SessionError::ReauthorizationRequired {
                reason: ReauthorizationReason::NoRefreshToken,
            }) as TokenSourceError)
        })
    }
}

fn client_with_source(server: &MockServer, source: FailingSource) -> lumin::Client {
    lumin::ClientBuilder::new()
        .base_url(server.base_url())
        .credentials(Credentials::TokenSource(Arc::new(source)))
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_token_source_failure_is_typed_with_its_cause_and_nothing_is_sent() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body(USER);
        })
        .await;
    let client = client_with_source(
        &server,
        FailingSource {
            fail_access: true,
            refreshes: AtomicUsize::new(0),
        },
    );
    let err = client.get_user_information().await.unwrap_err();
    let Error::TokenSource(source) = &err else {
        panic!("expected TokenSource, got {err:?}");
    };
    assert!(source.downcast_ref::<VaultSealed>().is_some());
    assert!(!err.requires_reauthorization());
    assert_eq!(any.calls_async().await, 0);
    assert_each_cause_once(&err);
}

#[tokio::test]
async fn a_failed_refresh_after_a_401_reaches_the_caller() {
    let server = MockServer::start_async().await;
    let api = server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/user/info")
                .header("authorization", "Bearer access-1");
            then.status(401)
                .body(r#"{"error_code":"unauthorized","error_message":"Token expired"}"#);
        })
        .await;
    let source = FailingSource {
        fail_access: false,
        refreshes: AtomicUsize::new(0),
    };
    let client = client_with_source(&server, source);
    let err = client.get_user_information().await.unwrap_err();
    assert!(
        matches!(&err, Error::TokenSource(s) if s.downcast_ref::<SessionError>().is_some()),
        "the refresh failure, not the 401, must reach the caller: {err:?}"
    );
    assert!(err.requires_reauthorization());
    api.assert_calls_async(1).await;
}

/// Walks `error`'s chain and checks that no layer prints the text of the layer below it.
fn assert_each_cause_once(error: &(dyn std::error::Error + 'static)) {
    let mut chain = vec![error.to_string()];
    let mut next = error.source();
    while let Some(cause) = next {
        chain.push(cause.to_string());
        next = cause.source();
    }
    assert!(chain.len() >= 2, "{chain:?}");
    for pair in chain.windows(2) {
        assert!(
            !pair[0].contains(&pair[1]),
            "`{}` repeats its cause `{}`",
            pair[0],
            pair[1]
        );
    }
    let report = chain.join(": ");
    for cause in &chain[1..] {
        assert_eq!(report.matches(cause.as_str()).count(), 1, "{report}");
    }
}

#[tokio::test]
async fn an_unsafe_operation_answered_503_is_outcome_unknown_and_each_cause_prints_once() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("PUT").path("/signature_request/cancel/sr_1");
            then.status(503).body("upstream unavailable");
        })
        .await;
    // Cancel is a PUT, safe to repeat: a 503 is returned as is with retries off.
    let err = client(&server)
        .cancel_signature_request()
        .signature_request_id("sr_1")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnexpectedResponse { .. }), "{err:?}");
    mock.assert_calls_async(1).await;

    server
        .mock_async(|when, then| {
            when.method("POST").path("/signature_request/remind/sr_1");
            then.status(503).body("upstream unavailable");
        })
        .await;
    let err = client(&server)
        .send_reminder_emails()
        .signature_request_id("sr_1")
        .body(types::SignatureRequestRemindRequest {
            emails: vec!["a@example.com".to_owned()].try_into().unwrap(),
        })
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert_eq!(
        err.status(),
        Some(lumin::reqwest::StatusCode::SERVICE_UNAVAILABLE)
    );
    assert_each_cause_once(&err);
}

#[test]
fn request_enums_stay_closed() {
    let err = serde_json::from_str::<types::DocumentCreateMethod>("\"SOMETIMES\"").unwrap_err();
    assert!(err.to_string().contains("SOMETIMES"), "{err}");
    assert!(
        "SOMETIMES"
            .parse::<types::CompressDocumentRequestCompressionLevel>()
            .is_err()
    );
}

#[test]
fn response_enums_are_open() {
    let status: types::SignatureRequestStatus = serde_json::from_str("\"ARCHIVED\"").unwrap();
    assert_eq!(
        status,
        types::SignatureRequestStatus::Unknown("ARCHIVED".to_owned())
    );
    assert_eq!(serde_json::to_string(&status).unwrap(), "\"ARCHIVED\"");
    let known: types::SignatureRequestStatus = serde_json::from_str("\"APPROVED\"").unwrap();
    assert_eq!(known, types::SignatureRequestStatus::Approved);
}

#[test]
fn signed_urls_hide_their_query_in_debug_and_display() {
    const URL: &str = "https://sign.luminpdf.com/embed/abc?token=s3cr3t&sig=XYZ";
    let session: types::SigningSessionResponse = serde_json::from_value(serde_json::json!({
        "sign_url": URL,
        "signer_email": "signer@example.com",
        "expires_at": 1_768_751_225_657_i64,
        "status": "NEED_TO_SIGN"
    }))
    .unwrap();
    let debug = format!("{session:?}");
    assert!(
        !debug.contains("s3cr3t") && !debug.contains("XYZ"),
        "{debug}"
    );
    assert!(
        debug.contains("https://sign.luminpdf.com/embed/abc"),
        "{debug}"
    );
    let display = session.sign_url.to_string();
    assert!(!display.contains("s3cr3t"), "{display}");
    assert_eq!(session.sign_url.expose(), URL);
    assert_eq!(serde_json::to_value(&session).unwrap()["sign_url"], URL);
}

/// `into_future()` does its synchronous work at once (checks, the request, its headers)
/// but nothing that needs a runtime: a future made outside one runs in one later.
#[test]
fn a_call_made_outside_a_runtime_runs_in_one_later() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.method("GET")
            .path("/user/info")
            .header("x-api-key", "test-key");
        then.status(200)
            .header("content-type", "application/json")
            .body(USER);
    });
    let client = client(&server);
    let call = std::future::IntoFuture::into_future(client.get_user_information());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = runtime.block_on(call).unwrap();
    assert_eq!(body.user.id, "usr_1");
    mock.assert_calls(1);
}
