//! Files to upload: from bytes, a path, or any reader or stream of known length. The
//! multipart body streams from the source, so a 200 MB upload never sits in memory.

use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;
use tokio::io::AsyncRead;

use crate::error::FilesError;
use crate::limits::UploadLimit;

/// The formats Lumin accepts for uploads: (content type, file extensions).
pub const ACCEPTED_FORMATS: &[(&str, &[&str])] = &[
    ("application/pdf", &["pdf"]),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &["docx"],
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &["xlsx"],
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        &["pptx"],
    ),
    ("application/msword", &["doc"]),
    ("application/vnd.ms-excel", &["xls"]),
    ("image/png", &["png"]),
    ("image/jpeg", &["jpg", "jpeg"]),
];

/// How far a transfer has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes moved so far.
    pub done: u64,
    /// Bytes in all, when known.
    pub total: Option<u64>,
}

/// A progress callback, called as bytes move (a progress bar's `set_position`, say).
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

enum Source {
    Bytes(Bytes),
    Path(PathBuf),
    Stream(ByteStream),
}

/// A file to upload. Its bytes are read only as the request body is sent.
pub struct Upload {
    file_name: String,
    content_type: String,
    len: u64,
    source: Source,
    progress: Option<ProgressFn>,
}

/// The content type of a file name's extension, when Lumin accepts that format.
fn content_type_of(file_name: &str) -> Option<&'static str> {
    let ext = Path::new(file_name)
        .extension()?
        .to_str()?
        .to_ascii_lowercase();
    ACCEPTED_FORMATS
        .iter()
        .find(|(_, exts)| exts.contains(&ext.as_str()))
        .map(|(ct, _)| *ct)
}

impl Upload {
    /// A PDF named `file_name`, from bytes already in memory (not copied).
    pub fn pdf(file_name: impl Into<String>, bytes: impl Into<Bytes>) -> Self {
        Self::new(file_name, "application/pdf", bytes)
    }

    /// A file of any accepted format, from bytes already in memory (not copied).
    pub fn new(
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        bytes: impl Into<Bytes>,
    ) -> Self {
        let bytes = bytes.into();
        Self {
            file_name: file_name.into(),
            content_type: content_type.into(),
            len: bytes.len() as u64,
            source: Source::Bytes(bytes),
            progress: None,
        }
    }

    /// The file at `path`, streamed from disk as it is sent: its length and name from
    /// the file, its content type from the extension (see [`Upload::content_type`] to
    /// give one).
    pub async fn from_path(path: impl AsRef<Path>) -> Result<Self, FilesError> {
        let path = path.as_ref().to_path_buf();
        let io = |source| FilesError::Io {
            action: "reading",
            path: path.clone(),
            source,
        };
        let meta = tokio::fs::metadata(&path).await.map_err(io)?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let content_type = content_type_of(&file_name)
            .ok_or_else(|| FilesError::UnknownFormat(file_name.clone()))?;
        Ok(Self {
            file_name,
            content_type: content_type.to_owned(),
            len: meta.len(),
            source: Source::Path(path),
            progress: None,
        })
    }

    /// `len` bytes from any reader, streamed as they are sent.
    pub fn from_reader(
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        len: u64,
        reader: impl AsyncRead + Send + 'static,
    ) -> Self {
        let stream = tokio_util::io::ReaderStream::with_capacity(reader, CHUNK);
        Self::from_stream(file_name, content_type, len, stream)
    }

    /// `len` bytes from a stream, sent as they come.
    pub fn from_stream<S>(
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        len: u64,
        stream: S,
    ) -> Self
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    {
        Self {
            file_name: file_name.into(),
            content_type: content_type.into(),
            len,
            source: Source::Stream(Box::pin(stream)),
            progress: None,
        }
    }

    /// Sets the content type (for a path whose extension does not tell it).
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = content_type.into();
        self
    }

    /// Sets the file name sent with the upload.
    pub fn file_name(mut self, file_name: impl Into<String>) -> Self {
        self.file_name = file_name.into();
        self
    }

    /// Reports progress as the body is sent.
    pub fn on_progress(mut self, progress: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// The file name sent with the upload.
    pub fn name(&self) -> &str {
        &self.file_name
    }

    /// The length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for an empty file.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Checks the documented rules: an accepted format, within `limit`.
    pub(crate) fn check(&self, limit: UploadLimit) -> Result<(), FilesError> {
        let essence = self
            .content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if !ACCEPTED_FORMATS.iter().any(|(ct, _)| *ct == essence) {
            return Err(FilesError::UnsupportedFormat {
                file_name: self.file_name.clone(),
                content_type: self.content_type.clone(),
            });
        }
        if self.len > limit.0 {
            return Err(FilesError::TooLarge {
                file_name: self.file_name.clone(),
                size: self.len,
                limit: limit.0,
            });
        }
        Ok(())
    }

    /// The multipart part, streaming from the source; `moved` counts bytes as they go.
    pub(crate) async fn into_part(
        self,
        moved: Arc<AtomicU64>,
    ) -> Result<reqwest::multipart::Part, FilesError> {
        let stream: ByteStream = match self.source {
            Source::Bytes(bytes) => Box::pin(futures::stream::iter(
                // Chunks of the same buffer: no copy, and progress moves as they go.
                ChunksOf::new(bytes, CHUNK).map(Ok),
            )),
            Source::Path(path) => {
                let file = tokio::fs::File::open(&path)
                    .await
                    .map_err(|source| FilesError::Io {
                        action: "reading",
                        path: path.clone(),
                        source,
                    })?;
                Box::pin(tokio_util::io::ReaderStream::with_capacity(file, CHUNK))
            }
            Source::Stream(stream) => stream,
        };
        let counted = Counted {
            inner: stream,
            declared: self.len,
            done: 0,
            moved,
            progress: self.progress,
        };
        reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(counted), self.len)
            .file_name(self.file_name)
            .mime_str(&self.content_type)
            .map_err(|_| FilesError::InvalidContentType(self.content_type.clone()))
    }
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Bytes(_) => "bytes",
            Source::Path(_) => "path",
            Source::Stream(_) => "stream",
        };
        f.debug_struct("Upload")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.len)
            .field("source", &source)
            .finish()
    }
}

/// The size of the chunks read from a file or reader.
const CHUNK: usize = 64 * 1024;

/// Slices of one buffer, without copying.
struct ChunksOf {
    bytes: Bytes,
    size: usize,
}

impl ChunksOf {
    fn new(bytes: Bytes, size: usize) -> Self {
        Self { bytes, size }
    }
}

impl Iterator for ChunksOf {
    type Item = Bytes;
    fn next(&mut self) -> Option<Bytes> {
        if self.bytes.is_empty() {
            return None;
        }
        let n = self.size.min(self.bytes.len());
        Some(self.bytes.split_to(n))
    }
}

/// Counts the bytes of an upload, reports progress, and fails when the source yields
/// more or fewer bytes than declared (the multipart length would otherwise lie).
struct Counted {
    inner: ByteStream,
    declared: u64,
    done: u64,
    moved: Arc<AtomicU64>,
    progress: Option<ProgressFn>,
}

impl Stream for Counted {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match this.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.done += chunk.len() as u64;
                if this.done > this.declared {
                    return Poll::Ready(Some(Err(length_mismatch(this.declared, this.done))));
                }
                this.moved.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                if let Some(progress) = &this.progress {
                    progress(Progress {
                        done: this.done,
                        total: Some(this.declared),
                    });
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(None) if this.done < this.declared => {
                Poll::Ready(Some(Err(length_mismatch(this.declared, this.done))))
            }
            other => other,
        }
    }
}

fn length_mismatch(declared: u64, got: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("the upload source gave {got} bytes where {declared} were declared"),
    )
}
