//! A tiny HTTP/1.1 server on 127.0.0.1 that answers each connection from a script, in
//! order, and records what it received: for faults httpmock cannot play (a sequence of
//! different answers, a dropped connection, a slow answer).
// Each test binary uses the part of the script it needs.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Answer {
    /// A response: status, extra headers, body.
    Respond(u16, Vec<(&'static str, String)>, String),
    /// Read the request, then close the connection without answering.
    Drop,
    /// Wait, then answer.
    Slow(Duration, Box<Answer>),
    /// A response that announces `announced` body bytes, sends `body`, then resets.
    Truncated(u16, Vec<(&'static str, String)>, Vec<u8>, usize),
    /// A response whose body is sent in chunks (`transfer-encoding: chunked`), one
    /// write a few milliseconds after the other, so that the client reads each apart.
    Chunked(u16, Vec<(&'static str, String)>, Vec<String>),
}

impl Answer {
    pub fn status(status: u16) -> Self {
        Self::Respond(status, Vec::new(), String::new())
    }

    pub fn json(status: u16, body: &str) -> Self {
        Self::Respond(
            status,
            vec![("content-type", "application/json".to_owned())],
            body.to_owned(),
        )
    }
}

/// A request as received: the request line and headers, and the body.
#[derive(Debug, Clone)]
pub struct Received {
    pub head: String,
    pub body: Vec<u8>,
}

pub struct Scripted {
    pub base_url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl Scripted {
    pub fn requests(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// Starts a server that plays `answers`, one per connection (keep-alive is refused so
/// each attempt opens its own); after the script it answers 500.
pub async fn start(answers: Vec<Answer>) -> Scripted {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    tokio::spawn(async move {
        let mut answers = answers.into_iter();
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let answer = answers.next().unwrap_or(Answer::status(500));
            let log = log.clone();
            tokio::spawn(async move {
                let Some(request) = read_request(&mut socket).await else {
                    return;
                };
                log.lock().unwrap().push(request);
                let mut answer = answer;
                while let Answer::Slow(wait, inner) = answer {
                    tokio::time::sleep(wait).await;
                    answer = *inner;
                }
                if let Answer::Truncated(status, headers, body, announced) = answer {
                    let text = head(status, &format!("content-length: {announced}"), &headers);
                    let _ = socket.write_all(text.as_bytes()).await;
                    let _ = socket.write_all(&body).await;
                    let _ = socket.flush().await;
                    // Close before the announced length: the body ends early.
                    drop(socket);
                    return;
                }
                if let Answer::Chunked(status, headers, chunks) = answer {
                    let framing = "transfer-encoding: chunked\r\nconnection: close";
                    let text = head(status, framing, &headers);
                    let _ = socket.write_all(text.as_bytes()).await;
                    for chunk in chunks {
                        let frame = format!("{:x}\r\n{chunk}\r\n", chunk.len());
                        let _ = socket.write_all(frame.as_bytes()).await;
                        let _ = socket.flush().await;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    let _ = socket.write_all(b"0\r\n\r\n").await;
                    let _ = socket.shutdown().await;
                    return;
                }
                if let Answer::Respond(status, headers, body) = answer {
                    let framing = format!("content-length: {}\r\nconnection: close", body.len());
                    let mut text = head(status, &framing, &headers);
                    text.push_str(&body);
                    let _ = socket.write_all(text.as_bytes()).await;
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    Scripted { base_url, received }
}

/// A response's status line and header block: `framing` (how the body is delimited), then
/// `headers`, then the blank line.
fn head(status: u16, framing: &str, headers: &[(&'static str, String)]) -> String {
    let mut text = format!("HTTP/1.1 {status} X\r\n{framing}\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Received { head, body })
}
