//! Documents of any size: PDFs streamed to a writer or a path (atomically), uploads
//! checked against the documented formats and the plan's size limit before a byte is
//! sent, progress that reaches the total.

mod support {
    pub mod scripted;
}

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt as _;
use lumin::Error;
use lumin::files::{FilesError, Progress, Upload, UploadLimit};
use lumin::retry::RetryPolicy;
use lumin::types;
use support::scripted::{self, Answer};

fn client(base_url: &str) -> lumin::Client {
    lumin::ClientBuilder::new()
        .base_url(base_url)
        .api_key("test-key")
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn pdf_bytes(len: usize) -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend((0..len - pdf.len()).map(|i| (i % 251) as u8));
    pdf
}

fn pdf_answer(body: &[u8]) -> Answer {
    Answer::Respond(
        200,
        vec![("content-type", "application/pdf".to_owned())],
        // The scripted server sends text; PDF bytes here are ASCII-safe by construction.
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

fn ascii_pdf(len: usize) -> Vec<u8> {
    pdf_bytes(len).into_iter().map(|b| b'a' + b % 26).collect()
}

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[tokio::test]
async fn a_pdf_is_saved_to_a_path_with_progress_reaching_the_total() {
    let body = ascii_pdf(300_000);
    let server = scripted::start(vec![pdf_answer(&body)]).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signed.pdf");
    let seen = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let seen_in_cb = seen.clone();
    let written = client(&server.base_url)
        .get_agreement_pdf()
        .agreement_id("ag_1")
        .on_progress(move |p| seen_in_cb.lock().unwrap().push(p))
        .save(&path)
        .await
        .unwrap();
    assert_eq!(written, 300_000);
    assert_eq!(std::fs::read(&path).unwrap(), body);
    assert_eq!(
        leftovers(dir.path()),
        ["signed.pdf"],
        "no temporary file left"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.last(),
        Some(&Progress {
            done: 300_000,
            total: Some(300_000)
        })
    );
    assert!(seen.windows(2).all(|w| w[0].done < w[1].done));
    let request = &server.requests()[0];
    assert!(
        request
            .head
            .starts_with("GET /agreements/ag_1/file HTTP/1.1")
    );
    assert!(
        request
            .head
            .to_ascii_lowercase()
            .contains("accept: application/pdf")
    );
}

#[tokio::test]
async fn a_download_cut_midway_leaves_no_file_and_the_old_one_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signed.pdf");
    std::fs::write(&path, b"the previous version").unwrap();
    let server = scripted::start(vec![Answer::Truncated(
        200,
        vec![("content-type", "application/pdf".to_owned())],
        ascii_pdf(10_000),
        1_000_000,
    )])
    .await;
    let err = client(&server.base_url)
        .get_signature_request_pdf()
        .signature_request_id("sr_1")
        .save(&path)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert_eq!(std::fs::read(&path).unwrap(), b"the previous version");
    assert_eq!(
        leftovers(dir.path()),
        ["signed.pdf"],
        "no temporary file left"
    );

    // A new destination is not created at all.
    let server = scripted::start(vec![Answer::Truncated(
        200,
        vec![("content-type", "application/pdf".to_owned())],
        ascii_pdf(10_000),
        1_000_000,
    )])
    .await;
    let fresh = dir.path().join("fresh.pdf");
    client(&server.base_url)
        .get_agreement_pdf()
        .agreement_id("ag_1")
        .save(&fresh)
        .await
        .unwrap_err();
    assert!(!fresh.exists());
    assert_eq!(leftovers(dir.path()), ["signed.pdf"]);
}

#[tokio::test]
async fn a_pdf_streams_into_a_writer_and_as_chunks() {
    let body = ascii_pdf(100_000);
    let server = scripted::start(vec![pdf_answer(&body), pdf_answer(&body)]).await;
    let client = client(&server.base_url);
    let mut out = Vec::new();
    let written = client
        .get_agreement_pdf()
        .agreement_id("ag_1")
        .write_to(&mut out)
        .await
        .unwrap();
    assert_eq!(written, 100_000);
    assert_eq!(out, body);
    let mut stream = client
        .get_agreement_pdf()
        .agreement_id("ag_1")
        .stream()
        .await
        .unwrap();
    assert_eq!(stream.content_length(), Some(100_000));
    let mut collected = Vec::new();
    while let Some(chunk) = stream.next().await {
        collected.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(collected, body);
}

#[tokio::test]
async fn a_download_that_stalls_fails_after_the_idle_timeout() {
    // A server that sends the head and 4 body bytes, then nothing while the connection
    // stays open.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = socket.read(&mut buf).await;
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/pdf\r\ncontent-length: 1000\r\n\r\n%PDF")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let client = lumin::ClientBuilder::new()
        .base_url(base_url)
        .api_key("k")
        .idle_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = client
        .get_agreement_pdf()
        .agreement_id("ag_1")
        .write_to(&mut Vec::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Files(FilesError::Idle(d)) if d == Duration::from_millis(200)),
        "{err:?}"
    );
}

fn location() -> types::DocumentLocation {
    types::DocumentLocation {
        type_: types::DocumentLocationType::Personal,
        space_id: None,
        folder_id: None,
    }
}

#[tokio::test]
async fn size_limit_and_format_are_checked_before_anything_is_sent() {
    let server = scripted::start(vec![]).await;
    let client = lumin::ClientBuilder::new()
        .base_url(&server.base_url)
        .api_key("k")
        .upload_limit(UploadLimit(1_000))
        .build()
        .unwrap();
    let err = client
        .upload_document_file()
        .document_name("big")
        .location(location())
        .file(Upload::pdf("big.pdf", vec![b'a'; 1_001]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Files(FilesError::TooLarge {
                size: 1_001,
                limit: 1_000,
                ..
            })
        ),
        "{err:?}"
    );
    let err = client
        .upload_document_file()
        .document_name("notes")
        .location(location())
        .file(Upload::new("notes.txt", "text/plain", &b"hello"[..]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Files(FilesError::UnsupportedFormat { content_type, .. }) if content_type == "text/plain"),
        "{err:?}"
    );
    // A path whose extension tells no accepted format.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, b"hello").unwrap();
    assert!(matches!(
        Upload::from_path(&path).await,
        Err(FilesError::UnknownFormat(name)) if name == "notes.txt"
    ));
    assert!(server.requests().is_empty(), "nothing may reach the server");
    // The documented plan limits.
    assert_eq!(UploadLimit::FREE.0, 20_000_000);
    assert_eq!(UploadLimit::default(), UploadLimit::PAID);
}

#[tokio::test]
async fn upload_progress_reaches_the_total_and_a_short_source_fails() {
    const CREATED: &str =
        r#"{"id":"doc_1","name":"n","created_at":1748456885430,"updated_at":1748456885430}"#;
    let server =
        scripted::start(vec![Answer::json(201, CREATED), Answer::json(201, CREATED)]).await;
    let client = client(&server.base_url);
    let seen = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let seen_in_cb = seen.clone();
    let content = ascii_pdf(250_000);
    let reader = std::io::Cursor::new(content.clone());
    client
        .upload_document_file()
        .document_name("n")
        .location(location())
        .file(
            Upload::from_reader("n.pdf", "application/pdf", 250_000, reader)
                .on_progress(move |p| seen_in_cb.lock().unwrap().push(p)),
        )
        .await
        .unwrap();
    assert_eq!(
        seen.lock().unwrap().last(),
        Some(&Progress {
            done: 250_000,
            total: Some(250_000)
        })
    );
    let body = &server.requests()[0].body;
    assert!(
        body.windows(content.len()).any(|w| w == content.as_slice()),
        "the file's bytes are in the body"
    );
    // A source shorter than declared is an error, not a body whose length lies.
    let short = futures::stream::iter(vec![Ok(bytes::Bytes::from_static(b"%PDF-short"))]);
    let err = client
        .upload_document_file()
        .document_name("n")
        .location(location())
        .file(Upload::from_stream(
            "n.pdf",
            "application/pdf",
            1_000,
            short,
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport(_) | Error::OutcomeUnknown { .. }),
        "{err:?}"
    );
}
