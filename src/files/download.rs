//! PDFs from the API: in memory for small files, or streamed into a writer or a path in
//! bounded memory.

use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt as _};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use tokio::io::{AsyncWrite, AsyncWriteExt as _};

use super::FilesError;
use super::upload::{Progress, ProgressFn};
use crate::error::Error;

/// PDF bytes returned by the API, in memory.
#[derive(Clone, PartialEq, Eq)]
pub struct Pdf {
    pub(crate) bytes: Bytes,
}

impl Pdf {
    /// The raw bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The raw bytes, owned.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }
}

impl fmt::Debug for Pdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pdf({} bytes)", self.bytes.len())
    }
}

type Chunks = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// A PDF being received: a `Stream` of [`Bytes`] chunks, each waited for at most the idle
/// timeout. Write it somewhere with [`PdfStream::write_to`] or [`PdfStream::save`].
pub struct PdfStream {
    chunks: Chunks,
    status: StatusCode,
    headers: HeaderMap,
    total: Option<u64>,
    done: u64,
    idle: Duration,
    idle_timer: Option<Pin<Box<tokio::time::Sleep>>>,
    progress: Option<ProgressFn>,
}

impl PdfStream {
    pub(crate) fn new(
        response: reqwest::Response,
        idle: Duration,
        progress: Option<ProgressFn>,
    ) -> Self {
        Self {
            status: response.status(),
            headers: response.headers().clone(),
            total: response.content_length(),
            chunks: Box::pin(response.bytes_stream()),
            done: 0,
            idle,
            idle_timer: None,
            progress,
        }
    }

    /// The response status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The length Lumin announced, if any.
    pub fn content_length(&self) -> Option<u64> {
        self.total
    }

    /// Writes every chunk into `writer`, returning the bytes written.
    pub async fn write_to<W: AsyncWrite + Unpin>(mut self, writer: &mut W) -> crate::Result<u64> {
        while let Some(chunk) = self.next().await {
            let chunk = chunk?;
            writer
                .write_all(&chunk)
                .await
                .map_err(|source| write_error(PathBuf::new(), source))?;
        }
        writer
            .flush()
            .await
            .map_err(|source| write_error(PathBuf::new(), source))?;
        Ok(self.done)
    }

    /// Saves the PDF at `path`: written to a temporary file beside it, synced, then
    /// renamed over `path`. On any failure the temporary file is removed and `path` is
    /// untouched.
    pub async fn save(self, path: impl AsRef<Path>) -> crate::Result<u64> {
        let path = path.as_ref();
        let temp = temp_path_beside(path);
        let result = self.save_via(&temp, path).await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&temp).await;
        }
        result
    }

    async fn save_via(self, temp: &Path, path: &Path) -> crate::Result<u64> {
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(temp)
            .await
            .map_err(|source| write_error(temp.to_path_buf(), source))?;
        let written = self.write_to(&mut file).await?;
        file.sync_all()
            .await
            .map_err(|source| write_error(temp.to_path_buf(), source))?;
        drop(file);
        tokio::fs::rename(temp, path)
            .await
            .map_err(|source| write_error(path.to_path_buf(), source))?;
        Ok(written)
    }

    /// Reads the whole PDF into memory.
    pub async fn collect(mut self) -> crate::Result<Pdf> {
        let mut buf = Vec::with_capacity(self.total.unwrap_or(0).min(64 << 20) as usize);
        while let Some(chunk) = self.next().await {
            buf.extend_from_slice(&chunk?);
        }
        Ok(Pdf {
            bytes: Bytes::from(buf),
        })
    }
}

fn write_error(path: PathBuf, source: std::io::Error) -> Error {
    Error::Files(FilesError::Io {
        action: "writing",
        path,
        source,
    })
}

/// `dir/.name.lumin-<random>.part`: in the same directory, so the rename is atomic.
fn temp_path_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "download".to_owned());
    let temp = format!(".{name}.lumin-{:016x}.part", fastrand::u64(..));
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(temp),
        _ => PathBuf::from(temp),
    }
}

impl Stream for PdfStream {
    type Item = crate::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match this.chunks.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.idle_timer = None;
                this.done += chunk.len() as u64;
                if let Some(progress) = &this.progress {
                    progress(Progress {
                        done: this.done,
                        total: this.total,
                    });
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Error::Transport(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let idle = this.idle;
                let timer = this
                    .idle_timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Error::Files(FilesError::Idle(idle))))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

use std::future::Future as _;

impl fmt::Debug for PdfStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PdfStream")
            .field("status", &self.status)
            .field("content_length", &self.total)
            .field("done", &self.done)
            .finish()
    }
}
