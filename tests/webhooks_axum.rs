//! The axum extractor on a real router on 127.0.0.1: signed, tampered, unsigned, stale,
//! malformed and oversized deliveries.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::routing::post;
use lumin::clock::FixedClock;
use lumin::webhooks::axum::{MAX_BODY, VerifiedEvent};
use lumin::webhooks::{SIGNATURE_HEADER, WebhookVerifier, signature};

const SECRET: &str = "primary-api-key";
const NOW_MS: i64 = 1_767_225_600_000;

#[derive(Clone)]
struct AppState {
    verifier: WebhookVerifier,
    received: Arc<Mutex<Vec<String>>>,
}

impl FromRef<AppState> for WebhookVerifier {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

async fn receive(State(state): State<AppState>, VerifiedEvent(event): VerifiedEvent) {
    state
        .received
        .lock()
        .unwrap()
        .push(event.dedup_key().to_string());
}

struct Server {
    url: String,
    received: Arc<Mutex<Vec<String>>>,
    http: lumin::reqwest::Client,
}

async fn start() -> Server {
    let clock = Arc::new(FixedClock::at_unix_millis(NOW_MS));
    let received = Arc::new(Mutex::new(Vec::new()));
    let state = AppState {
        verifier: WebhookVerifier::new(SECRET).with_max_age(Duration::from_secs(3600), clock),
        received: received.clone(),
    };
    let app = Router::new()
        .route("/hooks", post(receive))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server {
        url,
        received,
        http: lumin::client::http_builder().unwrap().build().unwrap(),
    }
}

fn event(event_time: i64) -> Vec<u8> {
    format!(
        r#"{{"event":{{"event_time":{event_time},"event_type":"signature_request_signed"}},"signature_request":{{"signature_request_id":"sr_1"}}}}"#
    )
    .into_bytes()
}

impl Server {
    async fn post(&self, body: Vec<u8>, signature: Option<&str>) -> (u16, String) {
        let mut request = self.http.post(&self.url).body(body);
        if let Some(signature) = signature {
            request = request.header(SIGNATURE_HEADER, signature);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn a_signed_fresh_event_reaches_the_handler() {
    let server = start().await;
    let body = event(NOW_MS - 1000);
    let (status, _) = server
        .post(body.clone(), Some(&signature(SECRET, &body)))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        server.received(),
        [format!("signature_request_signed:sr_1:{}", NOW_MS - 1000)]
    );
}

#[tokio::test]
async fn a_tampered_or_unsigned_or_foreign_delivery_is_401() {
    let server = start().await;
    let body = event(NOW_MS);
    let good = signature(SECRET, &body);
    let mut tampered = body.clone();
    tampered[10] ^= 1;
    assert_eq!(server.post(tampered, Some(&good)).await.0, 401);
    assert_eq!(server.post(body.clone(), None).await.0, 401);
    assert_eq!(server.post(body.clone(), Some("not-hex")).await.0, 401);
    let foreign = signature("someone-else", &body);
    assert_eq!(server.post(body, Some(&foreign)).await.0, 401);
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn a_stale_event_is_acknowledged_but_never_handled() {
    let server = start().await;
    let body = event(NOW_MS - 2 * 3600 * 1000);
    let (status, text) = server
        .post(body.clone(), Some(&signature(SECRET, &body)))
        .await;
    assert_eq!(status, 200);
    assert!(text.contains("before now"), "{text}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn a_signed_body_that_is_not_an_event_is_400() {
    let server = start().await;
    let body = br#"{"not":"an event"}"#.to_vec();
    let (status, _) = server
        .post(body.clone(), Some(&signature(SECRET, &body)))
        .await;
    assert_eq!(status, 400);
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn an_oversized_body_is_413_with_or_without_a_content_length() {
    let server = start().await;
    let mut body = event(NOW_MS);
    body.resize(MAX_BODY + 1, b' ');
    let sig = signature(SECRET, &body);
    assert_eq!(server.post(body.clone(), Some(&sig)).await.0, 413);
    // Chunked, so that only reading tells the size.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(8192).map(|c| Ok(c.to_vec())).collect();
    let response = server
        .http
        .post(&server.url)
        .header(SIGNATURE_HEADER, sig)
        .body(lumin::reqwest::Body::wrap_stream(futures::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    assert!(server.received().is_empty());
    // A body of exactly the limit is read.
    let mut body = event(NOW_MS);
    body.resize(MAX_BODY, b' ');
    let (status, _) = server
        .post(body.clone(), Some(&signature(SECRET, &body)))
        .await;
    assert_eq!(status, 200);
    assert_eq!(server.received().len(), 1);
}
