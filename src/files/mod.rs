//! The operations progenitor cannot express: multipart uploads and PDF bodies.
//!
//! - [`Client::send_signature_request_with_uploads`](crate::Client::send_signature_request_with_uploads)
//!   and [`Client::upload_document_file`](crate::Client::upload_document_file) send
//!   `multipart/form-data` with the bracket field names Lumin documents
//!   (`signers[0][email_address]`, `location[type]`, `document_data[file]`, …).
//! - [`Client::get_signature_request_pdf`](crate::Client::get_signature_request_pdf),
//!   [`Client::get_agreement_pdf`](crate::Client::get_agreement_pdf) and
//!   [`Client::generate_document_pdf`](crate::Client::generate_document_pdf) ask for
//!   `Accept: application/pdf` and return the bytes.
//!
//! They are builders like every generated operation: awaiting one yields
//! [`lumin::Result<T>`](crate::Result), `send()` the body with status and headers. They
//! go through the same call layer ([`crate::call`]: credentials, retries, token refresh,
//! errors with the raw body). A multipart body is streamed, so an upload is never sent
//! twice: a failure the retry policy would retry is returned as
//! [`Error::NotRetried`].

use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use progenitor_client::ClientInfo as _;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Response};
use serde::Serialize;
use serde_json::Value;

use crate::ResponseValue;
use crate::call::{CallFuture, CallOptions};
use crate::error::Error;
use crate::generated::operation_facts as facts;
use crate::operation::Operation;
use crate::retry::RetryPolicy;
use crate::types;

mod download;
mod upload;

pub use crate::error::FilesError;
pub use crate::limits::UploadLimit;
pub use download::{Pdf, PdfStream};
pub use upload::{ACCEPTED_FORMATS, Progress, ProgressFn, Upload};

/// The documents of a signature request sent as uploads: one file, or several.
#[derive(Debug)]
pub enum Uploads {
    /// Sent as the `file` field.
    File(Upload),
    /// Sent as `files[0]`, `files[1]`, ….
    Files(Vec<Upload>),
}

/// Flattens a JSON value into form fields with bracket names: objects as `key[sub]`,
/// arrays as `key[0]`, numbers and booleans as decimal text; nulls are left out.
pub(crate) fn flatten_form(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push((prefix.to_owned(), b.to_string())),
        Value::Number(n) => out.push((prefix.to_owned(), n.to_string())),
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten_form(&format!("{prefix}[{i}]"), item, out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}[{key}]")
                };
                flatten_form(&name, item, out);
            }
        }
    }
}

fn to_value(body: &impl Serialize) -> Result<Value, FilesError> {
    serde_json::to_value(body).map_err(|e| FilesError::Encode(e.to_string()))
}

fn form_of(value: &Value) -> reqwest::multipart::Form {
    let mut fields = Vec::new();
    flatten_form("", value, &mut fields);
    fields
        .into_iter()
        .fold(reqwest::multipart::Form::new(), |form, (name, text)| {
            form.text(name, text)
        })
}

fn base_request(client: &crate::Client, method: Method, path: &str) -> reqwest::RequestBuilder {
    client.client().request(
        method,
        client.inner().base.with_path(format_args!("{path}")),
    )
}

/// A request for a PDF answer (`Accept: application/pdf`).
fn pdf_request(client: &crate::Client, method: Method, path: &str) -> reqwest::RequestBuilder {
    base_request(client, method, path).header(ACCEPT, HeaderValue::from_static("application/pdf"))
}

fn build(request: reqwest::RequestBuilder) -> Result<reqwest::Request, Error> {
    request.build().map_err(Error::Transport)
}

async fn decode<T: serde::de::DeserializeOwned>(
    op: &Operation,
    response: Response,
) -> Result<ResponseValue<T>, Error> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(Error::Transport)?;
    match serde_json::from_slice(&body) {
        Ok(value) => Ok(ResponseValue::new(value, status, headers)),
        Err(source) => Err(Error::decode(status, headers, body, !op.retry_safe, source)),
    }
}

/// A long total timeout for transfers: they are bounded by the idle timeout instead. A
/// per-call `.timeout(..)` still wins (the call layer applies it).
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// Sends a PDF request of `op`, and checks the answer is a PDF (anything else is kept,
/// read whole, as [`Error::UnexpectedResponse`]).
async fn pdf_response(
    client: &crate::Client,
    op: &'static Operation,
    options: CallOptions,
    mut request: reqwest::Request,
) -> crate::Result<Response> {
    *request.timeout_mut() = Some(TRANSFER_TIMEOUT);
    let response = crate::call::send(client, op, options, request).await?;
    let is_pdf = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/pdf")
        });
    if is_pdf {
        return Ok(response);
    }
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(Error::Transport)?;
    Err(Error::UnexpectedResponse {
        status,
        headers,
        body,
    })
}

/// Races an upload with a watch on its bytes: fails when none moved for `idle` while the
/// body was still being sent.
async fn with_idle_watch<T>(
    send: impl std::future::Future<Output = crate::Result<T>>,
    moved: Arc<AtomicU64>,
    total: u64,
    idle: Duration,
) -> crate::Result<T> {
    let watch = async move {
        let mut last = u64::MAX;
        loop {
            tokio::time::sleep(idle).await;
            let now = moved.load(Ordering::Relaxed);
            if now >= total {
                // The body is sent; the answer is waited for as any other.
                return std::future::pending::<Error>().await;
            }
            if now == last {
                return Error::Files(FilesError::Idle(idle));
            }
            last = now;
        }
    };
    match futures::future::select(Box::pin(send), Box::pin(watch)).await {
        futures::future::Either::Left((result, _)) => result,
        futures::future::Either::Right((error, _)) => Err(error),
    }
}

/// Sends a multipart upload of `op` with its idle watch; `uploads` are checked against
/// the client's limit and formats before anything is sent.
async fn send_upload(
    client: &crate::Client,
    op: &'static Operation,
    options: CallOptions,
    path: &str,
    form: reqwest::multipart::Form,
    moved: Arc<AtomicU64>,
    total: u64,
) -> crate::Result<Response> {
    let mut request = build(
        base_request(client, Method::POST, path)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .multipart(form),
    )?;
    *request.timeout_mut() = Some(TRANSFER_TIMEOUT);
    let idle = client.inner().idle_timeout;
    with_idle_watch(
        crate::call::send(client, op, options, request),
        moved,
        total,
        idle,
    )
    .await
}

/// `on_progress`, `send` (in memory), `stream`, `write_to` and `save` of a PDF builder
/// whose `request()` gives its operation and request.
macro_rules! pdf_download {
    ($builder:ident) => {
        impl<'a> $builder<'a> {
            /// Reports progress as the PDF arrives (with `stream`, `write_to` and `save`).
            pub fn on_progress(mut self, progress: impl Fn(Progress) + Send + Sync + 'static) -> Self {
                self.progress = Some(Arc::new(progress));
                self
            }

            /// Sends the request and returns the PDF as a stream of chunks, read as it is
            /// consumed (bounded memory), each waited for at most the idle timeout.
            pub async fn stream(self) -> crate::Result<PdfStream> {
                let client = self.client;
                let progress = self.progress.clone();
                let (op, options, request) = self.request()?;
                let response = pdf_response(client, op, options, request).await?;
                Ok(PdfStream::new(response, client.inner().idle_timeout, progress))
            }

            /// Sends the request and writes the PDF into `writer`, returning its length.
            pub async fn write_to<W: tokio::io::AsyncWrite + Unpin>(
                self,
                writer: &mut W,
            ) -> crate::Result<u64> {
                self.stream().await?.write_to(writer).await
            }

            /// Sends the request and saves the PDF at `path` (atomically: a temporary
            /// file beside it, renamed on success; on failure `path` is untouched).
            pub async fn save(self, path: impl AsRef<std::path::Path>) -> crate::Result<u64> {
                self.stream().await?.save(path).await
            }

            /// Sends the request: the PDF in memory, with the response's status and
            /// headers. For large files prefer `save` or `stream`.
            pub async fn send(self) -> crate::Result<ResponseValue<Pdf>> {
                let stream = self.stream().await?;
                let (status, headers) = (stream.status(), stream.headers().clone());
                Ok(ResponseValue::new(stream.collect().await?, status, headers))
            }
        }

        handwritten_call!($builder => Pdf);
    };
}

fn path_id(value: Option<types::PathId>, name: &'static str) -> Result<String, Error> {
    value
        .map(String::from)
        .ok_or_else(|| Error::InvalidRequest(format!("{name} was not initialized")))
}

/// The per-call options and awaiting of a handwritten builder, as the generated ones have.
macro_rules! handwritten_call {
    ($builder:ident => $output:ty) => {
        impl<'a> $builder<'a> {
            /// Overrides the client's total timeout for this call.
            pub fn timeout(mut self, timeout: Duration) -> Self {
                self.options.set_timeout(timeout);
                self
            }

            /// Overrides the client's retry policy for this call.
            pub fn retry(mut self, policy: RetryPolicy) -> Self {
                self.options.set_retry(policy);
                self
            }
        }

        impl<'a> IntoFuture for $builder<'a> {
            type Output = crate::Result<$output>;
            type IntoFuture = CallFuture<'a, $output>;
            fn into_future(self) -> Self::IntoFuture {
                Box::pin(async move { self.send().await.map(ResponseValue::into_inner) })
            }
        }
    };
}

/// Builder for [`Client::send_signature_request_with_uploads`](crate::Client::send_signature_request_with_uploads).
#[derive(Debug)]
#[must_use = "a request is sent only when the builder is awaited or sent"]
pub struct SendSignatureRequestWithUploads<'a> {
    client: &'a crate::Client,
    body: Result<types::builder::SignatureRequestDto, Error>,
    uploads: Option<Uploads>,
    options: CallOptions,
}

impl<'a> SendSignatureRequestWithUploads<'a> {
    /// The signature request (title, signers, …) without its documents.
    pub fn body<V>(mut self, value: V) -> Self
    where
        V: TryInto<types::SignatureRequestDto>,
        <V as TryInto<types::SignatureRequestDto>>::Error:
            std::error::Error + Send + Sync + 'static,
    {
        match value.try_into() {
            Ok(value) => self.body = Ok(value.into()),
            Err(error) => self.options.reject("body", error),
        }
        self
    }

    /// Changes the body with a function of its builder.
    pub fn body_map(
        mut self,
        f: impl FnOnce(types::builder::SignatureRequestDto) -> types::builder::SignatureRequestDto,
    ) -> Self {
        self.body = self.body.map(f);
        self
    }

    /// One document, sent as the `file` field.
    pub fn file(mut self, file: Upload) -> Self {
        self.uploads = Some(Uploads::File(file));
        self
    }

    /// Several documents, sent as `files[0]`, `files[1]`, ….
    pub fn files(mut self, files: Vec<Upload>) -> Self {
        self.uploads = Some(Uploads::Files(files));
        self
    }

    /// The documents, one or several.
    pub fn uploads(mut self, uploads: Uploads) -> Self {
        self.uploads = Some(uploads);
        self
    }

    /// Sends the request: the decoded body, with the response's status and headers.
    pub async fn send(self) -> crate::Result<ResponseValue<types::SignatureRequestCreateResponse>> {
        let op = &facts::SEND_SIGNATURE_REQUEST;
        if let Some(error) = self.options.rejection() {
            return Err(error);
        }
        let body = types::SignatureRequestDto::try_from(self.body?)
            .map_err(|e| Error::InvalidRequest(e.to_string()))?;
        let value = to_value(&body)?;
        let uploads = self.uploads.ok_or(FilesError::MissingFile)?;
        let (upload_field, files) = match uploads {
            Uploads::File(file) => ("file", vec![file]),
            Uploads::Files(files) if files.is_empty() => return Err(FilesError::EmptyFiles.into()),
            Uploads::Files(files) => ("files", files),
        };
        op.check_rules(&value, &[upload_field])?;
        let limit = self.client.inner().upload_limit;
        for file in &files {
            file.check(limit)?;
        }
        let total = files.iter().map(Upload::len).sum();
        let moved = Arc::new(AtomicU64::new(0));
        let mut form = form_of(&value);
        let single = upload_field == "file";
        for (i, file) in files.into_iter().enumerate() {
            let name = if single {
                "file".to_owned()
            } else {
                format!("files[{i}]")
            };
            form = form.part(name, file.into_part(moved.clone()).await?);
        }
        let response = send_upload(
            self.client,
            op,
            self.options,
            "/signature_request/send",
            form,
            moved,
            total,
        )
        .await?;
        decode(op, response).await
    }
}

handwritten_call!(SendSignatureRequestWithUploads => types::SignatureRequestCreateResponse);

/// Builder for [`Client::upload_document_file`](crate::Client::upload_document_file).
#[derive(Debug)]
#[must_use = "a request is sent only when the builder is awaited or sent"]
pub struct UploadDocumentFile<'a> {
    client: &'a crate::Client,
    document_name: Option<types::DocumentName>,
    location: Option<types::DocumentLocation>,
    file: Option<Upload>,
    options: CallOptions,
}

impl<'a> UploadDocumentFile<'a> {
    /// The document's name in Lumin.
    pub fn document_name<V>(mut self, value: V) -> Self
    where
        V: TryInto<types::DocumentName>,
        <V as TryInto<types::DocumentName>>::Error: std::error::Error + Send + Sync + 'static,
    {
        match value.try_into() {
            Ok(value) => self.document_name = Some(value),
            Err(error) => self.options.reject("document_name", error),
        }
        self
    }

    /// Where to save it.
    pub fn location(mut self, location: types::DocumentLocation) -> Self {
        self.location = Some(location);
        self
    }

    /// The file, sent as `document_data[file]`.
    pub fn file(mut self, file: Upload) -> Self {
        self.file = Some(file);
        self
    }

    /// Sends the request: the decoded body, with the response's status and headers.
    pub async fn send(self) -> crate::Result<ResponseValue<types::DocumentSummary>> {
        let op = &facts::UPLOAD_DOCUMENT;
        if let Some(error) = self.options.rejection() {
            return Err(error);
        }
        let document_name = self
            .document_name
            .ok_or_else(|| Error::InvalidRequest("document_name was not initialized".into()))?;
        let location = self
            .location
            .ok_or_else(|| Error::InvalidRequest("location was not initialized".into()))?;
        let file = self.file.ok_or(FilesError::MissingFile)?;
        file.check(self.client.inner().upload_limit)?;
        let value = serde_json::json!({
            "method": types::DocumentCreateMethod::FileUpload,
            "document_name": document_name,
            "location": to_value(&location)?,
        });
        op.check_rules(&value, &["document_data.file"])?;
        let total = file.len();
        let moved = Arc::new(AtomicU64::new(0));
        let form =
            form_of(&value).part("document_data[file]", file.into_part(moved.clone()).await?);
        let response = send_upload(
            self.client,
            op,
            self.options,
            "/documents",
            form,
            moved,
            total,
        )
        .await?;
        decode(op, response).await
    }
}

handwritten_call!(UploadDocumentFile => types::DocumentSummary);

/// What a PDF builder's `request()` gives: its operation, options and request.
type PdfRequest = (&'static Operation, CallOptions, reqwest::Request);

/// Builder for [`Client::get_signature_request_pdf`](crate::Client::get_signature_request_pdf).
#[derive(Clone)]
#[must_use = "a request is sent only when the builder is awaited or sent"]
pub struct GetSignatureRequestPdf<'a> {
    client: &'a crate::Client,
    signature_request_id: Option<types::PathId>,
    file_type: Option<types::SignatureRequestFileType>,
    options: CallOptions,
    progress: Option<ProgressFn>,
}

impl<'a> GetSignatureRequestPdf<'a> {
    /// Id of the signature request. An empty id is refused when the request is awaited, as
    /// [`Error::InvalidInput`] naming `signature_request_id`.
    pub fn signature_request_id<V>(mut self, id: V) -> Self
    where
        V: TryInto<types::PathId>,
        <V as TryInto<types::PathId>>::Error: std::error::Error + Send + Sync + 'static,
    {
        match id.try_into() {
            Ok(id) => self.signature_request_id = Some(id),
            Err(error) => self.options.reject("signature_request_id", error),
        }
        self
    }

    /// Which file: the agreement, its Certificate of Completion, or both merged.
    pub fn file_type(mut self, file_type: types::SignatureRequestFileType) -> Self {
        self.file_type = Some(file_type);
        self
    }

    fn request(self) -> crate::Result<PdfRequest> {
        if let Some(error) = self.options.rejection() {
            return Err(error);
        }
        let id = path_id(self.signature_request_id, "signature_request_id")?;
        let path = format!(
            "/signature_request/{}/file",
            progenitor_client::encode_path(&id)
        );
        let mut request = pdf_request(self.client, Method::GET, &path);
        if let Some(file_type) = self.file_type {
            request = request.query(&[("type", file_type.to_string())]);
        }
        Ok((
            &facts::GET_SIGNATURE_REQUEST_FILE,
            self.options,
            build(request)?,
        ))
    }
}

pdf_download!(GetSignatureRequestPdf);

/// Builder for [`Client::get_agreement_pdf`](crate::Client::get_agreement_pdf).
#[derive(Clone)]
#[must_use = "a request is sent only when the builder is awaited or sent"]
pub struct GetAgreementPdf<'a> {
    client: &'a crate::Client,
    agreement_id: Option<types::PathId>,
    options: CallOptions,
    progress: Option<ProgressFn>,
}

impl<'a> GetAgreementPdf<'a> {
    /// Id of the agreement. An empty id is refused when the request is awaited, as
    /// [`Error::InvalidInput`] naming `agreement_id`.
    pub fn agreement_id<V>(mut self, id: V) -> Self
    where
        V: TryInto<types::PathId>,
        <V as TryInto<types::PathId>>::Error: std::error::Error + Send + Sync + 'static,
    {
        match id.try_into() {
            Ok(id) => self.agreement_id = Some(id),
            Err(error) => self.options.reject("agreement_id", error),
        }
        self
    }

    fn request(self) -> crate::Result<PdfRequest> {
        if let Some(error) = self.options.rejection() {
            return Err(error);
        }
        let id = path_id(self.agreement_id, "agreement_id")?;
        let path = format!("/agreements/{}/file", progenitor_client::encode_path(&id));
        let request = build(pdf_request(self.client, Method::GET, &path))?;
        Ok((&facts::GET_AGREEMENT_FILE, self.options, request))
    }
}

pdf_download!(GetAgreementPdf);

/// Builder for [`Client::generate_document_pdf`](crate::Client::generate_document_pdf).
#[must_use = "a request is sent only when the builder is awaited or sent"]
pub struct GenerateDocumentPdf<'a> {
    client: &'a crate::Client,
    template_id: Option<types::PathId>,
    body: Result<types::builder::DocumentGenerateRequest, Error>,
    options: CallOptions,
    progress: Option<ProgressFn>,
}

impl<'a> GenerateDocumentPdf<'a> {
    /// Id of the template (with its `sign_`, `ag_` or `pdf_` prefix). An empty id is refused when the request is awaited, as
    /// [`Error::InvalidInput`] naming `template_id`.
    pub fn template_id<V>(mut self, id: V) -> Self
    where
        V: TryInto<types::PathId>,
        <V as TryInto<types::PathId>>::Error: std::error::Error + Send + Sync + 'static,
    {
        match id.try_into() {
            Ok(id) => self.template_id = Some(id),
            Err(error) => self.options.reject("template_id", error),
        }
        self
    }

    /// The values to fill the template with.
    pub fn body<V>(mut self, value: V) -> Self
    where
        V: TryInto<types::DocumentGenerateRequest>,
        <V as TryInto<types::DocumentGenerateRequest>>::Error:
            std::error::Error + Send + Sync + 'static,
    {
        match value.try_into() {
            Ok(value) => self.body = Ok(value.into()),
            Err(error) => self.options.reject("body", error),
        }
        self
    }

    fn request(self) -> crate::Result<PdfRequest> {
        if let Some(error) = self.options.rejection() {
            return Err(error);
        }
        let id = path_id(self.template_id, "template_id")?;
        let body = types::DocumentGenerateRequest::try_from(self.body?)
            .map_err(|e| Error::InvalidRequest(e.to_string()))?;
        let path = format!(
            "/templates/{}/generate-document",
            progenitor_client::encode_path(&id)
        );
        let request = build(pdf_request(self.client, Method::POST, &path).json(&body))?;
        Ok((
            &facts::GENERATE_DOCUMENT_FROM_TEMPLATE,
            self.options,
            request,
        ))
    }
}

pdf_download!(GenerateDocumentPdf);

macro_rules! debug_pdf_builder {
    ($builder:ident) => {
        impl std::fmt::Debug for $builder<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($builder))
                    .field("options", &self.options)
                    .field("progress", &self.progress.is_some())
                    .finish_non_exhaustive()
            }
        }
    };
}

debug_pdf_builder!(GetSignatureRequestPdf);
debug_pdf_builder!(GetAgreementPdf);
debug_pdf_builder!(GenerateDocumentPdf);

impl crate::Client {
    /// Send Signature Request with uploaded documents (`multipart/form-data`): set the
    /// body and the file(s), then await.
    ///
    /// The body must not name `file_url` or `file_urls` too: the four document inputs
    /// exclude each other, and mixing them fails before anything is sent.
    pub fn send_signature_request_with_uploads(&self) -> SendSignatureRequestWithUploads<'_> {
        SendSignatureRequestWithUploads {
            client: self,
            body: Ok(Default::default()),
            uploads: None,
            options: CallOptions::default(),
        }
    }

    /// Upload Document with the file itself (`multipart/form-data`, `method=file-upload`,
    /// the file as `document_data[file]`).
    pub fn upload_document_file(&self) -> UploadDocumentFile<'_> {
        UploadDocumentFile {
            client: self,
            document_name: None,
            location: None,
            file: None,
            options: CallOptions::default(),
        }
    }

    /// Get Signature Request File as PDF bytes (`Accept: application/pdf`).
    pub fn get_signature_request_pdf(&self) -> GetSignatureRequestPdf<'_> {
        GetSignatureRequestPdf {
            client: self,
            signature_request_id: None,
            file_type: None,
            options: CallOptions::default(),
            progress: None,
        }
    }

    /// Get Agreement File as PDF bytes (`Accept: application/pdf`).
    pub fn get_agreement_pdf(&self) -> GetAgreementPdf<'_> {
        GetAgreementPdf {
            client: self,
            agreement_id: None,
            options: CallOptions::default(),
            progress: None,
        }
    }

    /// Generate Document from Template as PDF bytes (`Accept: application/pdf`).
    pub fn generate_document_pdf(&self) -> GenerateDocumentPdf<'_> {
        GenerateDocumentPdf {
            client: self,
            template_id: None,
            body: Ok(Default::default()),
            options: CallOptions::default(),
            progress: None,
        }
    }
}
