//! A webhook receiver on 127.0.0.1: verify, parse, answer exactly `200` at once, and hand
//! the event to background work.
//!
//! ```text
//! cargo run --example webhook_receiver
//! ```
//!
//! The secret comes from `LUMIN_WEBHOOK_SECRET` (your Primary API key, or your app's
//! signing secret); when it is unset, a labelled demo secret is used. To be a
//! self-contained demo, the example then posts one signed sample event (twice, as a retry
//! would) and one forged event to itself, prints what the worker received, and exits.
//! Put it behind an HTTPS tunnel (Lumin only calls `https://` URLs) to receive real
//! events, with `LUMIN_WEBHOOK_SERVE=1` to keep it running.
//!
//! The HTTP handling is a minimal HTTP/1.1 reader (one request per connection, a
//! `Content-Length` body, no chunked encoding) so the example needs no web framework;
//! with axum, actix or hyper, hand the raw body bytes and the `X-Signature` header to
//! the same `verify_and_parse` call.

use std::collections::HashSet;
use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use lumin::webhooks::{SIGNATURE_HEADER, WebhookError, WebhookEvent, WebhookVerifier, signature};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// DEMO ONLY: used when `LUMIN_WEBHOOK_SECRET` is unset. Not a real key.
const DEMO_SECRET: &str = "demo-secret-not-a-real-key";

/// Largest body accepted; Lumin's events are a few kilobytes.
const MAX_BODY: usize = 1 << 20;

/// Largest request line plus headers accepted.
const MAX_HEAD: u64 = 16 * 1024;

/// Time allowed to receive a whole request; Lumin itself waits 30 s for the answer.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let secret = std::env::var("LUMIN_WEBHOOK_SECRET")
        .ok()
        .filter(|secret| !secret.is_empty())
        .unwrap_or_else(|| {
            println!("LUMIN_WEBHOOK_SECRET is unset: using the built-in DEMO secret");
            DEMO_SECRET.to_owned()
        });
    let verifier = Arc::new(WebhookVerifier::new(secret.clone()));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    println!("Listening for Lumin webhooks on http://{address}/lumin/webhooks");

    // Background work: de-duplicate retried deliveries, then process.
    let (events, mut queue) = mpsc::channel::<WebhookEvent>(1024);
    let worker = tokio::spawn(async move {
        let mut seen = HashSet::new();
        let mut processed = 0;
        while let Some(event) = queue.recv().await {
            if !seen.insert(event.dedup_key()) {
                println!(
                    "worker: duplicate delivery of {} ignored",
                    event.dedup_key()
                );
                continue;
            }
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

    let server = {
        let verifier = verifier.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (verifier, events) = (verifier.clone(), events.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(READ_TIMEOUT, handle(stream, &verifier, &events))
                        .await
                    {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => eprintln!("receiver: {e}"),
                        Err(_) => eprintln!("receiver: request not received in time"),
                    }
                });
            }
        })
    };

    if std::env::var_os("LUMIN_WEBHOOK_SERVE").is_some() {
        server.await?;
        return Ok(());
    }

    // The demo: a signed event (delivered twice, as a retry would), then a forgery.
    let sample = br#"{"event": {"event_time": 1758812586180, "event_type": "signature_request_approved", "event_metadata": {"workspace_id": "68d417dcdeaecfae84872de8"}}, "signature_request": {"signature_request_id": "68d558daa153cb3c30718518", "title": "Demo", "status": "APPROVED", "signers": [{"name": "John Doe", "email": "john.doe@example.com", "status": "APPROVED", "is_approved": true}]}, "details_url": "https://sign.luminpdf.com/auth?mode=view-contract&token=demo"}"#;
    let good = signature(&secret, sample);
    for attempt in ["delivery", "retry"] {
        let status = post(address, sample, &good).await?;
        println!("sender: {attempt} answered {status}");
    }
    let forged = signature("someone-else", sample);
    println!(
        "sender: forged delivery answered {}",
        post(address, sample, &forged).await?
    );

    server.abort();
    let _ = server.await;
    drop(verifier);
    let processed = worker.await?;
    println!("worker: processed {processed} event(s)");
    Ok(())
}

/// Reads one request, verifies and parses it, queues it, and answers.
async fn handle(
    stream: TcpStream,
    verifier: &WebhookVerifier,
    events: &mpsc::Sender<WebhookEvent>,
) -> Result<(), Box<dyn Error + Send + Sync>> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    let mut content_length = None;
    let mut signature_header = None;
    {
        // The request line and headers, within MAX_HEAD bytes.
        let mut head = (&mut reader).take(MAX_HEAD);
        head.read_line(&mut request_line).await?;
        loop {
            let mut line = String::new();
            if head.read_line(&mut line).await? == 0 || line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.trim_end().split_once(':') {
                let name = name.trim().to_ascii_lowercase();
                if name == "content-length" {
                    content_length = Some(value.trim().parse().unwrap_or(usize::MAX));
                } else if name == SIGNATURE_HEADER {
                    signature_header = Some(value.trim().to_owned());
                }
            }
        }
    }
    let status = if !request_line.starts_with("POST ") {
        "405 Method Not Allowed"
    } else if let Some(length) = content_length.filter(|&n| n <= MAX_BODY) {
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        // Verify the raw bytes, then parse: never parse and re-serialize first.
        match verifier.verify_and_parse(&body, signature_header.as_deref()) {
            // Queue and answer exactly 200 at once: Lumin waits at most 30 s, and treats
            // any other status as a failure to retry. A full queue answers 503, so that
            // Lumin delivers the event again later.
            Ok(event) => match events.try_send(event) {
                Ok(()) => "200 OK",
                Err(_) => "503 Service Unavailable",
            },
            Err(e) => {
                eprintln!("receiver: rejected a delivery: {e}");
                match e {
                    WebhookError::MissingSignature
                    | WebhookError::SignatureNotHex
                    | WebhookError::SignatureLength(_)
                    | WebhookError::SignatureMismatch => "401 Unauthorized",
                    WebhookError::Malformed(_) => "400 Bad Request",
                    // Answered 200 so that Lumin stops retrying an event we will never take.
                    WebhookError::TooOld { .. } => "200 OK",
                    // No usable secret: a misconfiguration; Lumin retries once it is fixed.
                    _ => "500 Internal Server Error",
                }
            }
        }
    } else if content_length.is_none() {
        "411 Length Required"
    } else {
        "413 Payload Too Large"
    };
    let response = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    reader.into_inner().write_all(response.as_bytes()).await?;
    Ok(())
}

/// Posts `body` with `X-Signature: signature` and returns the status line's code.
async fn post(
    address: std::net::SocketAddr,
    body: &[u8],
    signature: &str,
) -> Result<String, Box<dyn Error>> {
    let mut stream = TcpStream::connect(address).await?;
    let head = format!(
        "POST /lumin/webhooks HTTP/1.1\r\nhost: {address}\r\nuser-agent: Lumin Sign API\r\n\
         content-type: application/json\r\nx-signature: {signature}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .unwrap_or("?")
        .to_owned())
}
