//! lumin side by side with raw reqwest, against a local server this bench starts itself.
//!
//! ```text
//! cargo xtask bench           # the full run (about a minute)
//! cargo xtask bench --quick   # seconds: what CI runs so the bench never rots
//! ```
//!
//! Prints one table: figure, lumin, raw reqwest, ratio, target. The raw side sends the
//! same request and decodes the same type. This machine's speed drifts from second to
//! second, so latency alternates lumin and raw call by call, and throughput alternates
//! blocks and takes the median. The SDK's cost per call is the difference in the client
//! thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), which leaves out the server and the wait
//! for it; raw reqwest against itself, measured the same way, shows that row's noise.
//! Peak memory is measured per case in a process of its own (the bench runs itself with
//! `--rss <case>`), reading the kernel's high-water mark.
// Measuring elapsed time is this file's purpose; nothing here compares against "now".
#![allow(clippy::disallowed_methods)]

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt as _;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use lumin::types;
use tokio::io::AsyncWriteExt as _;

const USER: &str = r#"{"user":{"id":"usr_a1b2c3d4","email":"you@example.com","name":"Your Name"}}"#;
const SESSION: &str = r#"{"sign_url":"https://sign.luminpdf.com/embed/abc?token=t","signer_email":"signer@example.com","expires_at":1768751225657,"status":"NEED_TO_SIGN"}"#;
const DOCUMENT: &str =
    r#"{"id":"doc_1","name":"Big","created_at":1748456885430,"updated_at":1748456885430}"#;
const CHUNK: usize = 256 * 1024;

struct Mode {
    quick: bool,
    latency_calls: usize,
    throughput_requests: usize,
    throughput_blocks: usize,
    transfer_bytes: u64,
    token_callers: usize,
}

impl Mode {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                quick,
                latency_calls: 300,
                throughput_requests: 640,
                throughput_blocks: 5,
                transfer_bytes: 16 << 20,
                token_callers: 1000,
            }
        } else {
            Self {
                quick,
                // Enough that the p50 difference is steady to a few tenths of a µs.
                latency_calls: 20000,
                throughput_requests: 6400,
                throughput_blocks: 9,
                transfer_bytes: 200 << 20,
                token_callers: 1000,
            }
        }
    }
}

// ---- the local server ------------------------------------------------------------------

type Body = BoxBody<Bytes, Infallible>;

fn full(status: u16, body: &'static str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(body.as_bytes())).boxed())
        .unwrap()
}

async fn handle(
    request: Request<Incoming>,
    tokens: Arc<AtomicUsize>,
    pdf_bytes: u64,
) -> Result<Response<Body>, Infallible> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    // Read (and drop) every request body as it arrives.
    let mut body = request.into_body();
    while let Some(frame) = body.frame().await {
        if frame.is_err() {
            break;
        }
    }
    Ok(match (method.as_str(), path.as_str()) {
        ("GET", "/user/info") => full(200, USER),
        ("POST", p) if p.ends_with("/signing-session") => full(200, SESSION),
        ("POST", "/documents") => full(201, DOCUMENT),
        ("POST", "/oauth/token") => {
            let n = tokens.fetch_add(1, Ordering::SeqCst) + 1;
            let json = format!(
                r#"{{"access_token":"at-{n}","token_type":"bearer","expires_in":3600,"refresh_token":"rt-{n}","scope":"openid offline_access"}}"#
            );
            Response::builder()
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(json)).boxed())
                .unwrap()
        }
        ("GET", p) if p.ends_with("/file") => {
            let chunk = Bytes::from(vec![b'7'; CHUNK]);
            let mut left = pdf_bytes;
            let frames = futures::stream::iter(std::iter::from_fn(move || {
                if left == 0 {
                    return None;
                }
                let n = left.min(CHUNK as u64) as usize;
                left -= n as u64;
                Some(Ok::<_, Infallible>(Frame::data(chunk.slice(..n))))
            }));
            Response::builder()
                .header("content-type", "application/pdf")
                .header("content-length", pdf_bytes)
                .body(BodyExt::boxed(StreamBody::new(frames)))
                .unwrap()
        }
        _ => full(
            404,
            r#"{"error_code":"not_found","error_message":"no route"}"#,
        ),
    })
}

/// Starts the server on a thread and runtime of its own; returns its URL and the count
/// of token requests it answered.
fn start_server(pdf_bytes: u64) -> (String, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let tokens = Arc::new(AtomicUsize::new(0));
    let counter = tokens.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let counter = counter.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        handle(request, counter.clone(), pdf_bytes)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    (url, tokens)
}

// ---- the two clients -------------------------------------------------------------------

fn lumin_client(base_url: &str) -> lumin::Client {
    lumin::ClientBuilder::new()
        .base_url(base_url)
        .api_key("bench-key")
        .build()
        .unwrap()
}

fn raw_client() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let mut key = reqwest::header::HeaderValue::from_static("bench-key");
    key.set_sensitive(true);
    headers.insert("x-api-key", key);
    reqwest::Client::builder()
        // The same User-Agent as lumin's, so that both send the same request.
        .user_agent(lumin::client::DEFAULT_USER_AGENT)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

async fn lumin_get(client: &lumin::Client) {
    let user = client.get_user_information().await.unwrap();
    std::hint::black_box(user);
}

async fn raw_get(client: &reqwest::Client, base: &str) {
    let response = client
        .get(format!("{base}/user/info"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let body = response.bytes().await.unwrap();
    let user: types::UserInfoResponse = serde_json::from_slice(&body).unwrap();
    std::hint::black_box(user);
}

fn session_request() -> types::SigningSessionRequest {
    types::SigningSessionRequest {
        signer_email: "signer@example.com".into(),
        expiry: None,
    }
}

async fn lumin_post(client: &lumin::Client) {
    let session = client
        .create_signing_session()
        .signature_request_id("sr_1")
        .body(session_request())
        .await
        .unwrap();
    std::hint::black_box(session);
}

async fn raw_post(client: &reqwest::Client, base: &str) {
    let response = client
        .post(format!("{base}/signature_request/sr_1/signing-session"))
        .header("accept", "application/json")
        .json(&session_request())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let body = response.bytes().await.unwrap();
    let session: types::SigningSessionResponse = serde_json::from_slice(&body).unwrap();
    std::hint::black_box(session);
}

// ---- figures ---------------------------------------------------------------------------

struct Row {
    figure: String,
    lumin: String,
    raw: String,
    ratio: String,
    target: String,
    ok: Option<bool>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// The calling thread's CPU time. The bench's runtime runs on one thread, so across one
/// awaited call this is everything the client side did for it (the SDK, reqwest, hyper,
/// the runtime and their system calls), without the server's work or the wait for it.
#[cfg(unix)]
fn thread_cpu() -> Option<Duration> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    (rc == 0).then(|| Duration::new(now.tv_sec as u64, now.tv_nsec as u32))
}

/// No per-thread CPU clock here: the CPU rows say so.
#[cfg(not(unix))]
fn thread_cpu() -> Option<Duration> {
    None
}

/// The row for a figure this platform cannot measure.
fn unmeasured(figure: String) -> Row {
    Row {
        figure,
        lumin: "n/a: no per-thread CPU clock here".to_owned(),
        raw: String::new(),
        ratio: String::new(),
        target: String::new(),
        ok: None,
    }
}

/// One side's wall-clock and client CPU time per call.
#[derive(Default)]
struct Samples {
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
}

impl Samples {
    async fn time<F: Future<Output = ()>>(&mut self, call: F) {
        let (t, c) = (Instant::now(), thread_cpu());
        call.await;
        let (c, t) = (
            thread_cpu().zip(c).map(|(end, start)| end - start),
            t.elapsed(),
        );
        self.wall.push(t);
        self.cpu.extend(c);
    }

    fn sorted(mut self) -> Self {
        self.wall.sort();
        self.cpu.sort();
        self
    }
}

/// Calls `a` and `b` alternately, `n` times each (and which side goes first), after a
/// warm-up; returns their sorted samples.
async fn alternate<A, B, FA, FB>(n: usize, mut a: A, mut b: B) -> (Samples, Samples)
where
    A: FnMut() -> FA,
    B: FnMut() -> FB,
    FA: Future<Output = ()>,
    FB: Future<Output = ()>,
{
    for _ in 0..50 {
        a().await;
        b().await;
    }
    let (mut sa, mut sb) = (Samples::default(), Samples::default());
    for i in 0..n {
        if i % 2 == 0 {
            sa.time(a()).await;
            sb.time(b()).await;
        } else {
            sb.time(b()).await;
            sa.time(a()).await;
        }
    }
    (sa.sorted(), sb.sorted())
}

/// Both sides' client CPU time per call, p50; `None` without a per-thread CPU clock.
fn cpu_p50(a: &Samples, b: &Samples) -> Option<(Duration, Duration)> {
    (!a.cpu.is_empty() && !b.cpu.is_empty())
        .then(|| (percentile(&a.cpu, 0.5), percentile(&b.cpu, 0.5)))
}

/// The SDK's cost per call: the p50 difference of client CPU time. (The latency rows also
/// hold the server's work and the wait for its thread; the SDK adds neither.)
fn cost_row(figure: String, a: &Samples, b: &Samples, target: bool) -> Row {
    let Some((ca, cb)) = cpu_p50(a, b) else {
        return unmeasured(figure);
    };
    let cost = ca.as_secs_f64() - cb.as_secs_f64();
    Row {
        figure,
        lumin: format!("{:+.2} µs", cost * 1e6),
        raw: String::new(),
        ratio: String::new(),
        target: if target {
            "≤ 1.0 µs".to_owned()
        } else {
            String::new()
        },
        ok: target.then_some(cost <= 1e-6),
    }
}

/// Latency p50 and p99, client CPU time per call and the SDK's cost, alternating lumin and
/// raw call by call.
async fn latency<A, B, FA, FB>(name: &str, n: usize, a: A, b: B, rows: &mut Vec<Row>)
where
    A: FnMut() -> FA,
    B: FnMut() -> FB,
    FA: Future<Output = ()>,
    FB: Future<Output = ()>,
{
    let (sa, sb) = alternate(n, a, b).await;
    for (label, p, target) in [("p50", 0.5, Some(1.03)), ("p99", 0.99, None)] {
        let (la, lb) = (percentile(&sa.wall, p), percentile(&sb.wall, p));
        let ratio = la.as_secs_f64() / lb.as_secs_f64();
        rows.push(Row {
            figure: format!("{name} latency {label}"),
            lumin: micros(la),
            raw: micros(lb),
            ratio: format!("{ratio:.2}×"),
            target: target.map(|t| format!("≤ {t:.2}×")).unwrap_or_default(),
            ok: target.map(|t| ratio <= t),
        });
    }
    let figure = format!("{name} client CPU per call p50");
    rows.push(match cpu_p50(&sa, &sb) {
        None => unmeasured(figure),
        Some((ca, cb)) => Row {
            figure,
            lumin: format!("{:.2} µs", ca.as_secs_f64() * 1e6),
            raw: format!("{:.2} µs", cb.as_secs_f64() * 1e6),
            ratio: format!("{:.2}×", ca.as_secs_f64() / cb.as_secs_f64()),
            target: String::new(),
            ok: None,
        },
    });
    rows.push(cost_row(
        format!("{name} SDK cost per call (client CPU p50 difference)"),
        &sa,
        &sb,
        true,
    ));
}

/// The cost row's noise: raw reqwest against itself, measured the same way.
async fn noise_floor<B, FB>(name: &str, n: usize, b: B, rows: &mut Vec<Row>)
where
    B: Fn() -> FB,
    FB: Future<Output = ()>,
{
    let (sa, sb) = alternate(n, &b, &b).await;
    rows.push(cost_row(
        format!("{name} raw against raw: the cost row's noise"),
        &sa,
        &sb,
        false,
    ));
}

/// Requests per second with 64 in flight, blocks alternating, median of each side.
async fn throughput<A, B, FA, FB>(name: &str, mode: &Mode, a: A, b: B, rows: &mut Vec<Row>)
where
    A: Fn() -> FA,
    B: Fn() -> FB,
    FA: Future<Output = ()>,
    FB: Future<Output = ()>,
{
    async fn block<F: Fn() -> Fut, Fut: Future<Output = ()>>(f: &F, n: usize) -> f64 {
        let t = Instant::now();
        futures::stream::iter(0..n)
            .map(|_| f())
            .buffer_unordered(64)
            .collect::<Vec<()>>()
            .await;
        n as f64 / t.elapsed().as_secs_f64()
    }
    block(&a, 256).await;
    block(&b, 256).await;
    let (mut ra, mut rb) = (Vec::new(), Vec::new());
    for i in 0..mode.throughput_blocks {
        if i % 2 == 0 {
            ra.push(block(&a, mode.throughput_requests).await);
            rb.push(block(&b, mode.throughput_requests).await);
        } else {
            rb.push(block(&b, mode.throughput_requests).await);
            ra.push(block(&a, mode.throughput_requests).await);
        }
    }
    ra.sort_by(f64::total_cmp);
    rb.sort_by(f64::total_cmp);
    let (ma, mb) = (ra[ra.len() / 2], rb[rb.len() / 2]);
    let ratio = ma / mb;
    rows.push(Row {
        figure: format!("{name} throughput, 64 in flight"),
        lumin: format!("{ma:.0}/s"),
        raw: format!("{mb:.0}/s"),
        ratio: format!("{ratio:.2}×"),
        target: "≥ 0.98×".to_owned(),
        ok: Some(ratio >= 0.98),
    });
}

// ---- peak memory, one process per case ---------------------------------------------------

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

async fn rss_case(case: &str, base: &str, file: &Path, out: &Path) {
    match case {
        "upload-lumin" => {
            // 200 MiB is a little over Lumin's 200 MB (decimal) paid-plan limit: raise the
            // client's check to the file's size for this measurement.
            let len = tokio::fs::metadata(file).await.unwrap().len();
            let client = lumin::ClientBuilder::new()
                .base_url(base)
                .api_key("bench-key")
                .upload_limit(lumin::files::UploadLimit(len))
                .build()
                .unwrap();
            let doc = client
                .upload_document_file()
                .document_name("Big")
                .location(types::DocumentLocation {
                    type_: types::DocumentLocationType::Personal,
                    space_id: None,
                    folder_id: None,
                })
                .file(lumin::files::Upload::from_path(file).await.unwrap())
                .await
                .unwrap();
            std::hint::black_box(doc);
        }
        "upload-raw" => {
            let len = tokio::fs::metadata(file).await.unwrap().len();
            let reader = tokio::fs::File::open(file).await.unwrap();
            let stream = tokio_util::io::ReaderStream::with_capacity(reader, 64 * 1024);
            let part = reqwest::multipart::Part::stream_with_length(
                reqwest::Body::wrap_stream(stream),
                len,
            )
            .file_name("big.pdf")
            .mime_str("application/pdf")
            .unwrap();
            let form = reqwest::multipart::Form::new()
                .text("method", "file-upload")
                .text("document_name", "Big")
                .text("location[type]", "personal")
                .part("document_data[file]", part);
            let response = raw_client()
                .post(format!("{base}/documents"))
                .multipart(form)
                .send()
                .await
                .unwrap();
            let body = response.bytes().await.unwrap();
            let doc: types::DocumentSummary = serde_json::from_slice(&body).unwrap();
            std::hint::black_box(doc);
        }
        "download-lumin" => {
            lumin_client(base)
                .get_agreement_pdf()
                .agreement_id("ag_1")
                .save(out)
                .await
                .unwrap();
        }
        "download-raw" => {
            let response = raw_client()
                .get(format!("{base}/agreements/ag_1/file"))
                .header("accept", "application/pdf")
                .send()
                .await
                .unwrap();
            let mut file = tokio::fs::File::create(out).await.unwrap();
            let mut chunks = response.bytes_stream();
            while let Some(chunk) = chunks.next().await {
                file.write_all(&chunk.unwrap()).await.unwrap();
            }
            file.sync_all().await.unwrap();
        }
        other => panic!("unknown case {other}"),
    }
    println!("peak_rss_kib={}", peak_rss_kib());
}

fn run_case(case: &str, base: &str, file: &Path, out: &Path) -> u64 {
    let exe = std::env::current_exe().unwrap();
    let output = std::process::Command::new(exe)
        .args(["--rss", case, base])
        .arg(file)
        .arg(out)
        .output()
        .expect("the bench runs itself");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "case {case} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    text.lines()
        .find_map(|l| l.strip_prefix("peak_rss_kib="))
        .and_then(|v| v.trim().parse().ok())
        .expect("the case prints its peak")
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

async fn memory(base: &str, mode: &Mode, rows: &mut Vec<Row>) {
    let dir = std::env::temp_dir().join(format!("lumin-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("big.pdf");
    write_file(&file, mode.transfer_bytes).await;
    let out = dir.join("out.pdf");
    let size = format!("{} MiB", mode.transfer_bytes >> 20);
    for (what, lumin_case, raw_case) in [
        ("upload", "upload-lumin", "upload-raw"),
        ("PDF download", "download-lumin", "download-raw"),
    ] {
        let l = run_case(lumin_case, base, &file, &out);
        let _ = std::fs::remove_file(&out);
        let r = run_case(raw_case, base, &file, &out);
        let _ = std::fs::remove_file(&out);
        rows.push(Row {
            figure: format!("{size} {what}, peak RSS"),
            lumin: mib(l),
            raw: mib(r),
            ratio: format!("{:.2}×", l as f64 / r as f64),
            target: "≤ 32 MiB".to_owned(),
            ok: Some(l <= 32 * 1024),
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
}

async fn write_file(path: &PathBuf, len: u64) {
    let mut file = tokio::fs::File::create(path).await.unwrap();
    file.write_all(b"%PDF-1.7\n").await.unwrap();
    let chunk = vec![b'0'; 1 << 20];
    let mut left = len - 9;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        file.write_all(&chunk[..n]).await.unwrap();
        left -= n as u64;
    }
    file.flush().await.unwrap();
}

// ---- OAuth: many callers, one expired token ----------------------------------------------

async fn token_storm(base: &str, tokens: &AtomicUsize, callers: usize, rows: &mut Vec<Row>) {
    use lumin::oauth::{
        AccessToken, ClientSecret, MemoryTokenStore, PrivateApp, RefreshToken, Token,
    };
    const NOW: i64 = 1_767_225_600_000;
    let clock = lumin::clock::FixedClock::at_unix_millis(NOW);
    let app = PrivateApp::builder(
        "bench-client",
        ClientSecret::new("bench-secret".to_owned()),
        "https://app.example.com/callback",
    )
    .auth_url(format!("{base}/oauth/auth"))
    .token_url(format!("{base}/oauth/token"))
    .clock(Arc::new(clock.clone()))
    .build()
    .unwrap();
    let expired = Token::new(
        AccessToken::new("at-0".to_owned()),
        Some(lumin::time::Timestamp::from_unix_millis(NOW - 60_000)),
    )
    .with_refresh_token(RefreshToken::new("rt-0".to_owned()));
    let session = app
        .start_session(expired, Arc::new(MemoryTokenStore::new()))
        .await
        .unwrap();
    let client = lumin::ClientBuilder::new()
        .base_url(base)
        .credentials(lumin::auth::Credentials::TokenSource(Arc::new(session)))
        .clock(Arc::new(clock))
        .build()
        .unwrap();
    let before = tokens.load(Ordering::SeqCst);
    let t = Instant::now();
    let calls = (0..callers).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.get_user_information().await.map(|_| ()) })
    });
    let results = futures::future::join_all(calls).await;
    let elapsed = t.elapsed();
    let failed = results.iter().filter(|r| !matches!(r, Ok(Ok(())))).count();
    let refreshes = tokens.load(Ordering::SeqCst) - before;
    rows.push(Row {
        figure: format!("{callers} calls on an expired token: token requests"),
        lumin: refreshes.to_string(),
        raw: String::new(),
        ratio: String::new(),
        target: "exactly 1".to_owned(),
        ok: Some(refreshes == 1 && failed == 0),
    });
    rows.push(Row {
        figure: format!("{callers} calls on an expired token: all complete in"),
        lumin: format!("{:.1} ms", elapsed.as_secs_f64() * 1e3),
        raw: String::new(),
        ratio: String::new(),
        target: String::new(),
        ok: None,
    });
}

fn print_table(rows: &[Row], mode: &Mode) {
    let header = ["figure", "lumin", "raw reqwest", "ratio", "target", ""];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.figure.clone(),
                r.lumin.clone(),
                r.raw.clone(),
                r.ratio.clone(),
                r.target.clone(),
                match r.ok {
                    Some(true) => "ok".to_owned(),
                    Some(false) => "MISSED".to_owned(),
                    None => String::new(),
                },
            ]
        })
        .collect();
    println!(
        "\nlumin vs raw reqwest ({} mode; {} cores; local server on its own thread)\n",
        if mode.quick { "quick" } else { "full" },
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| {} |", header.join(" | "));
    println!("|{}|", ["---"; 6].join("|"));
    for row in cells {
        println!("| {} |", row.join(" | "));
    }
}

fn main() {
    // The raw reqwest client is the application's own: it brings its crypto provider, as
    // an application using reqwest with `rustls-no-provider` must (lumin brings its own).
    let _ = rustls::crypto::ring::default_provider().install_default();
    // `cargo bench` passes `--bench` to a bench without the libtest harness; it means nothing here.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    if let [flag, case, base, file, out] = args.as_slice()
        && flag == "--rss"
    {
        runtime.block_on(rss_case(case, base, Path::new(file), Path::new(out)));
        return;
    }
    // `--calls lumin|raw|lumin-post|raw-post N`: only N calls (GET, or POST), for
    // instruction counts under callgrind.
    if let [flag, side, n] = args.as_slice()
        && flag == "--calls"
    {
        let n: usize = n.parse().expect("a count");
        let (base, _) = start_server(0);
        let lumin = lumin_client(&base);
        let raw = raw_client();
        runtime.block_on(async {
            for _ in 0..n {
                match side.as_str() {
                    "lumin" => lumin_get(&lumin).await,
                    "raw" => raw_get(&raw, &base).await,
                    "lumin-post" => lumin_post(&lumin).await,
                    "raw-post" => raw_post(&raw, &base).await,
                    other => {
                        panic!("--calls takes lumin, raw, lumin-post or raw-post, not {other}")
                    }
                }
            }
        });
        return;
    }
    let mode = Mode::new(args.iter().any(|a| a == "--quick"));
    let (base, tokens) = start_server(mode.transfer_bytes);
    runtime.block_on(async {
        let mut rows = Vec::new();
        let lumin = lumin_client(&base);
        let raw = raw_client();
        let no_retry = lumin::ClientBuilder::new()
            .base_url(&base)
            .api_key("bench-key")
            .retry(lumin::retry::RetryPolicy::none())
            .build()
            .unwrap();
        latency(
            "GET get_user_information",
            mode.latency_calls,
            || lumin_get(&lumin),
            || raw_get(&raw, &base),
            &mut rows,
        )
        .await;
        noise_floor(
            "GET",
            mode.latency_calls,
            || raw_get(&raw, &base),
            &mut rows,
        )
        .await;
        latency(
            "POST create_signing_session",
            mode.latency_calls,
            || lumin_post(&lumin),
            || raw_post(&raw, &base),
            &mut rows,
        )
        .await;
        noise_floor(
            "POST",
            mode.latency_calls,
            || raw_post(&raw, &base),
            &mut rows,
        )
        .await;
        // What the retry layer costs when nothing fails: policy on vs off, both lumin.
        let mut retry_rows = Vec::new();
        latency(
            "GET, retry policy on vs off",
            mode.latency_calls,
            || lumin_get(&lumin),
            || lumin_get(&no_retry),
            &mut retry_rows,
        )
        .await;
        if let Some(row) = retry_rows.first_mut() {
            row.raw = format!("{} (lumin, retries off)", row.raw);
            row.target.clear();
            row.ok = None;
            rows.push(retry_rows.swap_remove(0));
        }
        throughput(
            "GET",
            &mode,
            || lumin_get(&lumin),
            || raw_get(&raw, &base),
            &mut rows,
        )
        .await;
        throughput(
            "POST",
            &mode,
            || lumin_post(&lumin),
            || raw_post(&raw, &base),
            &mut rows,
        )
        .await;
        memory(&base, &mode, &mut rows).await;
        token_storm(&base, &tokens, mode.token_callers, &mut rows).await;
        print_table(&rows, &mode);
    });
}
