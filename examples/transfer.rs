//! A large upload from disk and a large PDF saved to disk, with progress bars, against a
//! local stand-in of the Lumin API (no account needed):
//!
//! ```text
//! cargo run --example transfer
//! ```
//!
//! The stand-in reads the upload without keeping it and answers with Lumin's documented
//! payload; then it serves a PDF as a stream. Neither file is ever held in memory by the
//! client: the upload streams from the file, the download streams into a temporary file
//! beside the destination, renamed when complete.

use std::error::Error;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use lumin::files::Upload;
use lumin::types;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The size of each transfer.
const SIZE: u64 = 64 * 1024 * 1024;

fn bar(label: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(SIZE);
    bar.set_style(
        ProgressStyle::with_template("{msg:9} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(label);
    bar
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let base_url = stand_in().await?;
    let client = lumin::ClientBuilder::new()
        .base_url(base_url)
        .api_key("stand-in-key")
        .build()?;
    let dir = std::env::temp_dir().join(format!("lumin-transfer-{}", std::process::id()));
    tokio::fs::create_dir_all(&dir).await?;
    let source = dir.join("contract.pdf");
    write_pdf(&source).await?;

    let upload_bar = bar("upload");
    let progress = upload_bar.clone();
    let document = client
        .upload_document_file()
        .document_name("Contract")
        .location(types::DocumentLocation {
            type_: types::DocumentLocationType::Personal,
            space_id: None,
            folder_id: None,
        })
        .file(
            Upload::from_path(&source)
                .await?
                .on_progress(move |p| progress.set_position(p.done)),
        )
        .await?;
    upload_bar.finish();
    println!(
        "uploaded as {} ({} bytes)",
        document.id,
        document.size.unwrap_or_default()
    );

    let download_bar = bar("download");
    let progress = download_bar.clone();
    let destination = dir.join("signed.pdf");
    let written = client
        .get_agreement_pdf()
        .agreement_id("ag_demo")
        .on_progress(move |p| progress.set_position(p.done))
        .save(&destination)
        .await?;
    download_bar.finish();
    println!("saved {written} bytes to {}", destination.display());
    tokio::fs::remove_dir_all(&dir).await?;
    Ok(())
}

/// A PDF header followed by filler, written in chunks.
async fn write_pdf(path: &std::path::Path) -> std::io::Result<()> {
    let mut file = tokio::fs::File::create(path).await?;
    file.write_all(b"%PDF-1.7\n").await?;
    let chunk = vec![b'0'; 1 << 20];
    let mut left = SIZE - 9;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        file.write_all(&chunk[..n]).await?;
        left -= n as u64;
    }
    file.flush().await
}

/// Serves `POST /documents` (reads and drops the body) and `GET /agreements/{id}/file`
/// (a streamed PDF) on 127.0.0.1, one request per connection.
async fn stand_in() -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut head = Vec::new();
                let (head_len, mut read) = loop {
                    let n = socket.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    head.extend_from_slice(&buf[..n]);
                    if let Some(i) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                        break (i + 4, head.len() - i - 4);
                    }
                };
                let text = String::from_utf8_lossy(&head[..head_len]).to_ascii_lowercase();
                if text.starts_with("post /documents") {
                    let length: usize = text
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while read < length {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => read += n,
                        }
                    }
                    let body = format!(
                        r#"{{"id":"doc_abc123def456","name":"Contract","created_at":1748456885430,"updated_at":1748456885430,"size":{SIZE},"mime_type":"application/pdf"}}"#
                    );
                    let _ = socket
                        .write_all(
                            format!(
                                "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                                body.len()
                            )
                            .as_bytes(),
                        )
                        .await;
                } else {
                    let _ = socket
                        .write_all(
                            format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: application/pdf\r\ncontent-length: {SIZE}\r\nconnection: close\r\n\r\n%PDF-1.7\n"
                            )
                            .as_bytes(),
                        )
                        .await;
                    let chunk = vec![b'1'; 256 * 1024];
                    let mut left = SIZE - 9;
                    while left > 0 {
                        let n = left.min(chunk.len() as u64) as usize;
                        if socket.write_all(&chunk[..n]).await.is_err() {
                            return;
                        }
                        left -= n as u64;
                        // A little pacing, so the bar has something to show.
                        if left % (8 << 20) < chunk.len() as u64 {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    Ok(url)
}
