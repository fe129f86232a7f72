//! Retries that never duplicate a send, per-call timeouts. The sleep is injected
//! (`RecordingSleep`), so no test waits for a backoff.

mod support {
    pub mod scripted;
}

use std::sync::Arc;
use std::time::Duration;

use lumin::clock::{FixedClock, RecordingSleep};
use lumin::error::NotRetriedReason;
use lumin::retry::RetryPolicy;
use lumin::{Error, types};
use support::scripted::{self, Answer};

const USER: &str = r#"{"user":{"id":"u1","email":"you@example.com","name":"You"}}"#;
const NOW_MS: i64 = 1_768_751_225_657;

fn policy() -> RetryPolicy {
    RetryPolicy::new()
        .base(Duration::from_millis(100))
        .cap(Duration::from_secs(5))
        .jitter(false)
}

fn client(base_url: &str, sleep: &RecordingSleep) -> lumin::Client {
    lumin::ClientBuilder::new()
        .base_url(base_url)
        .api_key("test-key")
        .retry(policy())
        .sleep(Arc::new(sleep.clone()))
        .clock(Arc::new(FixedClock::at_unix_millis(NOW_MS)))
        .build()
        .unwrap()
}

fn signature_request() -> types::SignatureRequestDto {
    let clock = FixedClock::at_unix_millis(NOW_MS);
    types::SignatureRequestDto::builder()
        .title("NDA")
        .file_url(Some("https://example.com/nda.pdf".to_owned()))
        .signers(vec![types::Signer {
            email_address: "signer@example.com".into(),
            name: "Sam Signer".into(),
            group: None,
            verification: None,
        }])
        .expires_at(lumin::expiry::DueDate::after(Duration::from_secs(86_400), &clock).unwrap())
        .try_into()
        .unwrap()
}

#[tokio::test]
async fn two_503s_then_200_succeeds_on_the_third_attempt_with_the_policys_delays() {
    let server = scripted::start(vec![
        Answer::status(503),
        Answer::status(503),
        Answer::json(200, USER),
    ])
    .await;
    let sleep = RecordingSleep::new();
    let user = client(&server.base_url, &sleep)
        .get_user_information()
        .await
        .unwrap();
    assert_eq!(user.user.id, "u1");
    assert_eq!(server.requests().len(), 3);
    assert_eq!(
        sleep.slept(),
        [Duration::from_millis(100), Duration::from_millis(200)]
    );
}

#[tokio::test]
async fn a_429_with_retry_after_waits_that_long() {
    let server = scripted::start(vec![
        Answer::Respond(429, vec![("retry-after", "2".to_owned())], String::new()),
        Answer::json(200, USER),
    ])
    .await;
    let sleep = RecordingSleep::new();
    client(&server.base_url, &sleep)
        .get_user_information()
        .await
        .unwrap();
    assert_eq!(sleep.slept(), [Duration::from_secs(2)]);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_measured_from_the_clock() {
    // NOW_MS is 2026-01-18T15:47:05.657Z; ask for 15:47:15.
    let server = scripted::start(vec![
        Answer::Respond(
            503,
            vec![("retry-after", "Sun, 18 Jan 2026 15:47:15 GMT".to_owned())],
            String::new(),
        ),
        Answer::json(200, USER),
    ])
    .await;
    let sleep = RecordingSleep::new();
    client(&server.base_url, &sleep)
        .get_user_information()
        .await
        .unwrap();
    assert_eq!(sleep.slept(), [Duration::from_millis(9_343)]);
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_returns_the_error_with_the_wait() {
    let server = scripted::start(vec![Answer::Respond(
        429,
        vec![("retry-after", "3600".to_owned())],
        String::new(),
    )])
    .await;
    let sleep = RecordingSleep::new();
    let err = client(&server.base_url, &sleep)
        .get_user_information()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotRetried {
                reason: NotRetriedReason::RetryAfterTooLong(_),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(server.requests().len(), 1);
    assert!(sleep.slept().is_empty());
}

#[tokio::test]
async fn send_signature_request_answered_503_is_sent_once_and_outcome_unknown() {
    let server = scripted::start(vec![Answer::status(503), Answer::json(201, "{}")]).await;
    let sleep = RecordingSleep::new();
    let err = client(&server.base_url, &sleep)
        .send_signature_request()
        .body(signature_request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::OutcomeUnknown {
                operation: "send_signature_request",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert!(
        err.to_string().contains("check before sending it again"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1, "never a duplicate send");
    assert!(sleep.slept().is_empty());
}

#[tokio::test]
async fn send_signature_request_whose_connection_drops_after_sending_is_outcome_unknown() {
    let server = scripted::start(vec![Answer::Drop, Answer::json(201, "{}")]).await;
    let sleep = RecordingSleep::new();
    let err = client(&server.base_url, &sleep)
        .send_signature_request()
        .body(signature_request())
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn send_signature_request_answered_429_is_sent_again() {
    const CREATED: &str =
        r#"{"signature_request":{"signature_request_id":"sr_1","created_at":"1768751225657"}}"#;
    let server = scripted::start(vec![Answer::status(429), Answer::json(201, CREATED)]).await;
    let sleep = RecordingSleep::new();
    let created = client(&server.base_url, &sleep)
        .send_signature_request()
        .body(signature_request())
        .await
        .unwrap();
    assert_eq!(created.signature_request.signature_request_id, "sr_1");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert!(
            request
                .head
                .starts_with("POST /signature_request/send HTTP/1.1")
        );
    }
    assert_eq!(
        requests[0].body, requests[1].body,
        "the same body both times"
    );
}

/// Each further attempt is built again from the builder the one before handed back: the
/// same path (its parameter encoded) and the same body, however many attempts it takes.
#[tokio::test]
async fn every_attempt_sends_the_same_path_and_body() {
    const SESSION: &str = r#"{"sign_url":"https://sign.luminpdf.com/embed/abc?token=t","signer_email":"signer@example.com","expires_at":1768751225657,"status":"NEED_TO_SIGN"}"#;
    let server = scripted::start(vec![
        Answer::status(429),
        Answer::status(429),
        Answer::json(200, SESSION),
    ])
    .await;
    let sleep = RecordingSleep::new();
    let session = client(&server.base_url, &sleep)
        .create_signing_session()
        .signature_request_id("sr 1")
        .body(types::SigningSessionRequest {
            signer_email: "signer@example.com".into(),
            expiry: None,
        })
        .await
        .unwrap();
    assert_eq!(session.signer_email, "signer@example.com");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert!(
            request
                .head
                .starts_with("POST /signature_request/sr%201/signing-session HTTP/1.1"),
            "{}",
            request.head
        );
        assert_eq!(
            String::from_utf8_lossy(&request.body),
            r#"{"signer_email":"signer@example.com"}"#
        );
    }
}

#[tokio::test]
async fn connection_refused_is_retried_even_for_an_unsafe_operation() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let sleep = RecordingSleep::new();
    let err = client(&base_url, &sleep)
        .send_signature_request()
        .body(signature_request())
        .await
        .unwrap_err();
    match &err {
        Error::RetriesExhausted { attempts, source } => {
            assert_eq!(*attempts, 3);
            assert!(
                matches!(**source, Error::Transport(ref e) if e.is_connect()),
                "{source:?}"
            );
        }
        other => panic!("expected RetriesExhausted, got {other:?}"),
    }
    assert_eq!(sleep.slept().len(), 2);
}

#[tokio::test]
async fn a_malformed_200_is_not_retried() {
    let server = scripted::start(vec![
        Answer::json(200, r#"{"user":"#),
        Answer::json(200, USER),
    ])
    .await;
    let sleep = RecordingSleep::new();
    let err = client(&server.base_url, &sleep)
        .get_user_information()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn exhausted_attempts_give_the_last_error_with_the_count() {
    let server = scripted::start(vec![
        Answer::status(502),
        Answer::status(503),
        Answer::Respond(504, vec![], "last".to_owned()),
    ])
    .await;
    let sleep = RecordingSleep::new();
    let err = client(&server.base_url, &sleep)
        .get_user_information()
        .await
        .unwrap_err();
    match &err {
        Error::RetriesExhausted { attempts: 3, .. } => {}
        other => panic!("expected RetriesExhausted after 3, got {other:?}"),
    }
    assert_eq!(err.status().map(|s| s.as_u16()), Some(504));
    assert_eq!(err.body().map(|b| b.as_ref()), Some(&b"last"[..]));
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn the_policy_is_overridable_per_call_and_can_be_off() {
    let server = scripted::start(vec![Answer::status(503), Answer::json(200, USER)]).await;
    let sleep = RecordingSleep::new();
    let err = client(&server.base_url, &sleep)
        .get_user_information()
        .retry(RetryPolicy::none())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_per_call_timeout_shorter_than_the_servers_delay_is_a_timeout_error() {
    let server = scripted::start(vec![Answer::Slow(
        Duration::from_secs(5),
        Box::new(Answer::json(200, USER)),
    )])
    .await;
    let sleep = RecordingSleep::new();
    let err = client(&server.base_url, &sleep)
        .get_user_information()
        .timeout(Duration::from_millis(150))
        .retry(RetryPolicy::none())
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

#[tokio::test]
async fn an_upload_answered_429_is_not_sent_again_and_says_why() {
    let server = scripted::start(vec![Answer::status(429), Answer::json(201, "{}")]).await;
    let sleep = RecordingSleep::new();
    let mut body = signature_request();
    body.file_url = None;
    let err = client(&server.base_url, &sleep)
        .send_signature_request_with_uploads()
        .body(body)
        .file(lumin::files::Upload::pdf("a.pdf", &b"%PDF-1.7"[..]))
        .await
        .unwrap_err();
    match &err {
        Error::NotRetried {
            reason: NotRetriedReason::BodyNotReplayable,
            ..
        } => {}
        other => panic!("expected NotRetried(BodyNotReplayable), got {other:?}"),
    }
    assert!(err.to_string().contains("cannot be sent again"), "{err}");
    assert_eq!(server.requests().len(), 1);
}
