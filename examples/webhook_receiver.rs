//! A webhook receiver on axum, on 127.0.0.1: verify, drop replays, answer exactly `200` at
//! once, and hand the event to background work.
//!
//! ```text
//! cargo run --example webhook_receiver
//! ```
//!
//! The secret comes from `LUMIN_WEBHOOK_SECRET` (your Primary API key, or your app's
//! signing secret); when it is unset, a labelled demo secret is used. To be a
//! self-contained demo, the example then posts to itself a signed event (twice, as a
//! retry would), a forged one, a stale replay and an oversized body, prints what the
//! worker received, and exits. Put it behind an HTTPS tunnel (Lumin only calls `https://`
//! URLs) to receive real events, with `LUMIN_WEBHOOK_SERVE=1` to keep it running.
//!
//! The `VerifiedEvent` extractor (feature `axum`) checks the signature over the raw body
//! and the event's age; replays within the window are dropped by their `DedupKey`.

use std::collections::HashMap;
use std::error::Error;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use lumin::clock::{SharedClock, SystemClock};
use lumin::time::{Millis, Timestamp};
use lumin::webhooks::axum::{MAX_BODY, VerifiedEvent};
use lumin::webhooks::{DedupKey, SIGNATURE_HEADER, WebhookEvent, WebhookVerifier, signature};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// DEMO ONLY: used when `LUMIN_WEBHOOK_SECRET` is unset. Not a real key.
const DEMO_SECRET: &str = "demo-secret-not-a-real-key";

/// Events older than this are refused. Lumin retries a missed delivery for about
/// 30 h 20 min with the original `event_time`, so the window covers the whole schedule.
const FRESHNESS: Duration = Duration::from_secs(31 * 3600);

/// What the handlers share: the verifier (read by the extractor), the keys of the events
/// seen within the freshness window, and the queue to the worker.
#[derive(Clone)]
struct Receiver {
    verifier: WebhookVerifier,
    clock: SharedClock,
    seen: Arc<Mutex<HashMap<DedupKey, Timestamp<Millis>>>>,
    events: mpsc::Sender<WebhookEvent>,
}

impl FromRef<Receiver> for WebhookVerifier {
    fn from_ref(receiver: &Receiver) -> Self {
        receiver.verifier.clone()
    }
}

/// A verified, fresh event: dropped when already seen, else queued. Answers `200` at once
/// (Lumin waits at most 30 s and retries anything else); a full queue answers `503`, so
/// that Lumin delivers the event again later.
async fn receive(
    State(receiver): State<Receiver>,
    VerifiedEvent(event): VerifiedEvent,
) -> StatusCode {
    let key = event.dedup_key();
    {
        let mut seen = receiver.seen.lock().unwrap_or_else(PoisonError::into_inner);
        // Keys older than the window can go: the verifier refuses those events anyway.
        let now = receiver.clock.now();
        seen.retain(|_, at| *at + FRESHNESS >= now);
        if seen.contains_key(&key) {
            println!("receiver: duplicate delivery of {key} ignored");
            return StatusCode::OK;
        }
        seen.insert(key.clone(), event.event.event_time);
    }
    match receiver.events.try_send(event) {
        Ok(()) => StatusCode::OK,
        Err(_) => {
            // Forget the key, so that Lumin's next delivery is taken.
            let mut seen = receiver.seen.lock().unwrap_or_else(PoisonError::into_inner);
            seen.remove(&key);
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let secret = std::env::var("LUMIN_WEBHOOK_SECRET")
        .ok()
        .filter(|secret| !secret.is_empty())
        .unwrap_or_else(|| {
            println!("LUMIN_WEBHOOK_SECRET is unset: using the built-in DEMO secret");
            DEMO_SECRET.to_owned()
        });
    let clock: SharedClock = Arc::new(SystemClock);
    let (events, mut queue) = mpsc::channel::<WebhookEvent>(1024);
    let receiver = Receiver {
        verifier: WebhookVerifier::new(secret.clone()).with_max_age(FRESHNESS, clock.clone()),
        clock: clock.clone(),
        seen: Arc::default(),
        events,
    };
    let app = Router::new()
        .route("/lumin/webhooks", post(receive))
        .with_state(receiver);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    println!("Listening for Lumin webhooks on http://{address}/lumin/webhooks");

    // Background work, off the request path.
    let worker = tokio::spawn(async move {
        let mut processed = 0;
        while let Some(event) = queue.recv().await {
            // Slow work (downloading the signed file, updating a database) goes here.
            // The details URL carries an access token, so it is not printed.
            let sr = event.signature_request.as_ref();
            println!(
                "worker: {} for {:?} ({:?}) at {}, details URL {}",
                event.event.event_type,
                sr.and_then(|sr| sr.signature_request_id.as_deref()),
                sr.and_then(|sr| sr.status.as_deref()),
                event.event.event_time,
                if event.details_url().is_some() {
                    "received"
                } else {
                    "absent"
                },
            );
            processed += 1;
        }
        processed
    });
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    if std::env::var_os("LUMIN_WEBHOOK_SERVE").is_some() {
        server.await??;
        return Ok(());
    }

    // The demo: a fresh signed event (delivered twice, as a retry would), a forgery, a
    // signed event replayed two days later, and an oversized body.
    let now = clock.now().unix_millis();
    let sample = sample_event(now);
    let good = signature(&secret, &sample);
    for attempt in ["delivery", "retry"] {
        let status = deliver(address, &sample, &good).await?;
        println!("sender: {attempt} answered {status}");
    }
    let forged = signature("someone-else", &sample);
    println!(
        "sender: forged delivery answered {}",
        deliver(address, &sample, &forged).await?
    );
    let stale = sample_event(now - 2 * 86_400 * 1000);
    println!(
        "sender: replay from two days ago answered {}",
        deliver(address, &stale, &signature(&secret, &stale)).await?
    );
    let mut oversized = sample.clone();
    oversized.resize(MAX_BODY + 1, b' ');
    println!(
        "sender: oversized body answered {}",
        deliver(address, &oversized, &signature(&secret, &oversized)).await?
    );

    server.abort();
    let _ = server.await;
    let processed = worker.await?;
    println!("worker: processed {processed} event(s)");
    if processed != 1 {
        return Err(format!("expected exactly 1 processed event, got {processed}").into());
    }
    Ok(())
}

/// A signature request approval at `event_time_ms`, as Lumin sends it.
fn sample_event(event_time_ms: i64) -> Vec<u8> {
    format!(
        r#"{{"event": {{"event_time": {event_time_ms}, "event_type": "signature_request_approved", "event_metadata": {{"workspace_id": "68d417dcdeaecfae84872de8"}}}}, "signature_request": {{"signature_request_id": "68d558daa153cb3c30718518", "title": "Demo", "status": "APPROVED", "signers": [{{"name": "John Doe", "email": "john.doe@example.com", "status": "APPROVED", "is_approved": true}}]}}, "details_url": "https://sign.luminpdf.com/auth?mode=view-contract&token=demo"}}"#
    )
    .into_bytes()
}

/// Posts `body` with `X-Signature: signature` and returns the status line's code.
async fn deliver(
    address: std::net::SocketAddr,
    body: &[u8],
    signature: &str,
) -> Result<String, Box<dyn Error>> {
    let mut stream = TcpStream::connect(address).await?;
    let head = format!(
        "POST /lumin/webhooks HTTP/1.1\r\nhost: {address}\r\nuser-agent: Lumin Sign API\r\n\
         content-type: application/json\r\n{SIGNATURE_HEADER}: {signature}\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    // The server may refuse an oversized body before reading it all.
    let _ = stream.write_all(body).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    Ok(response
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .unwrap_or("?")
        .to_owned())
}
