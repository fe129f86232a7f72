//! Every call is a `lumin.call` span with the operation, method, path template, attempt,
//! status, duration and Lumin's request id, and every retry an event with its reason and
//! delay. Bodies, credentials, tokens and signed URLs are never recorded.

mod support {
    pub mod scripted;
}

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lumin::clock::RecordingSleep;
use lumin::retry::RetryPolicy;
use support::scripted::{self, Answer};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

/// Everything recorded, one line per span creation, span record and event.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<String>>);

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Captured {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _id: &tracing::span::Id,
        _ctx: Context<'_, S>,
    ) {
        let mut line = format!("new {}:", attrs.metadata().name());
        attrs.record(&mut Fields(&mut line));
        self.0.lock().unwrap().push_str(&(line + "\n"));
    }

    fn on_record(
        &self,
        _span: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _ctx: Context<'_, S>,
    ) {
        let mut line = "record:".to_owned();
        values.record(&mut Fields(&mut line));
        self.0.lock().unwrap().push_str(&(line + "\n"));
    }

    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut line = "event:".to_owned();
        event.record(&mut Fields(&mut line));
        self.0.lock().unwrap().push_str(&(line + "\n"));
    }
}

const SECRET_KEY: &str = "sk_live_SECRET_API_KEY";
const SIGNED_QUERY: &str = "token=SIGNED_URL_SECRET";

#[tokio::test]
async fn calls_are_spans_with_their_facts_and_no_secrets() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::registry().with(captured.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let session = format!(
        r#"{{"sign_url":"https://sign.luminpdf.com/embed?{SIGNED_QUERY}","signer_email":"private@example.com","expires_at":1768751225657,"status":"NEED_TO_SIGN"}}"#
    );
    let server = scripted::start(vec![
        Answer::status(503),
        Answer::Respond(
            200,
            vec![
                ("content-type", "application/json".to_owned()),
                ("x-request-id", "req-abc-123".to_owned()),
            ],
            session,
        ),
    ])
    .await;
    let sleep = RecordingSleep::new();
    let client = lumin::ClientBuilder::new()
        .base_url(&server.base_url)
        .api_key(SECRET_KEY)
        .retry(
            RetryPolicy::new()
                .base(Duration::from_millis(100))
                .jitter(false),
        )
        .sleep(Arc::new(sleep.clone()))
        .build()
        .unwrap();
    let session = client
        .create_signing_session()
        .signature_request_id("sr_1")
        .body(lumin::types::SigningSessionRequest {
            signer_email: "private@example.com".into(),
            expiry: None,
        })
        .await
        .unwrap();
    assert!(session.sign_url.expose().contains(SIGNED_QUERY));

    let log = captured.0.lock().unwrap().clone();
    for expected in [
        "new lumin.call: operation=\"create_signing_session\" method=POST path=\"/signature_request/{signature_request_id}/signing-session\"",
        "record: attempt=1",
        "event: message=retrying reason=status 503 delay_ms=100 attempt=1",
        "record: attempt=2",
        "record: status=200",
        "record: request_id=\"req-abc-123\"",
        "record: duration_ms=",
    ] {
        assert!(log.contains(expected), "missing `{expected}` in:\n{log}");
    }
    for secret in [
        SECRET_KEY,
        "SIGNED_URL_SECRET",
        "private@example.com",
        "sr_1",
    ] {
        assert!(!log.contains(secret), "`{secret}` was recorded:\n{log}");
    }
}
