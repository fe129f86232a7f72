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
use std::time::Duration;

use bytes::Bytes;
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
use crate::rules::check_exclusive;
use crate::types;

/// A file to upload.
#[derive(Clone, PartialEq, Eq)]
pub struct Upload {
    file_name: String,
    content_type: String,
    bytes: Bytes,
}

impl Upload {
    /// A PDF named `file_name`.
    pub fn pdf(file_name: impl Into<String>, bytes: impl Into<Bytes>) -> Self {
        Self::new(file_name, "application/pdf", bytes)
    }

    /// A file of any accepted format (PDF, DOCX, XLSX, PPTX, DOC, XLS, PNG, JPEG).
    pub fn new(
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        bytes: impl Into<Bytes>,
    ) -> Self {
        Self {
            file_name: file_name.into(),
            content_type: content_type.into(),
            bytes: bytes.into(),
        }
    }

    /// The file name sent with the upload.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    fn part(&self) -> Result<reqwest::multipart::Part, FilesError> {
        reqwest::multipart::Part::bytes(self.bytes.to_vec())
            .file_name(self.file_name.clone())
            .mime_str(&self.content_type)
            .map_err(|_| FilesError::InvalidContentType(self.content_type.clone()))
    }
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// The documents of a signature request sent as uploads: one file, or several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uploads {
    /// Sent as the `file` field.
    File(Upload),
    /// Sent as `files[0]`, `files[1]`, ….
    Files(Vec<Upload>),
}

/// An upload that cannot be sent as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilesError {
    /// No file was given to an operation that uploads one.
    #[error("no file to upload was given")]
    MissingFile,
    /// `Uploads::Files` with no file in it.
    #[error("`files` must hold at least one file")]
    EmptyFiles,
    /// A content type that is not a valid MIME type.
    #[error("{0:?} is not a valid content type")]
    InvalidContentType(String),
    /// The body could not be encoded.
    #[error("the request body could not be encoded: {0}")]
    Encode(String),
}

/// PDF bytes returned by the API.
#[derive(Clone, PartialEq, Eq)]
pub struct Pdf {
    bytes: Bytes,
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

impl std::fmt::Debug for Pdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pdf({} bytes)", self.bytes.len())
    }
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

/// The fields of `op`'s body of which at most one may be given.
fn exclusive(op: &Operation) -> &'static [&'static str] {
    op.exclusive_fields.unwrap_or(&[])
}

fn base_request(client: &crate::Client, method: Method, path: &str) -> reqwest::RequestBuilder {
    client
        .client()
        .request(method, format!("{}{path}", client.baseurl()))
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

async fn read_pdf(response: Response) -> Result<ResponseValue<Pdf>, Error> {
    let status = response.status();
    let headers = response.headers().clone();
    let is_pdf = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/pdf")
        });
    let bytes = response.bytes().await.map_err(Error::Transport)?;
    if is_pdf {
        Ok(ResponseValue::new(Pdf { bytes }, status, headers))
    } else {
        Err(Error::UnexpectedResponse {
            status,
            headers,
            body: bytes,
        })
    }
}

fn path_id(value: Option<String>, name: &'static str) -> Result<String, Error> {
    value.ok_or_else(|| Error::InvalidRequest(format!("{name} was not initialized")))
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
        let upload_field = match &uploads {
            Uploads::File(_) => "file",
            Uploads::Files(files) if files.is_empty() => return Err(FilesError::EmptyFiles.into()),
            Uploads::Files(_) => "files",
        };
        check_exclusive(exclusive(op), &value, &[upload_field], true)?;
        let mut form = form_of(&value);
        match uploads {
            Uploads::File(file) => form = form.part("file", file.part()?),
            Uploads::Files(files) => {
                for (i, file) in files.iter().enumerate() {
                    form = form.part(format!("files[{i}]"), file.part()?);
                }
            }
        }
        let request = build(
            base_request(self.client, Method::POST, "/signature_request/send")
                .header(ACCEPT, HeaderValue::from_static("application/json"))
                .multipart(form),
        )?;
        let response = crate::call::send(self.client, op, self.options, request).await?;
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
        let value = serde_json::json!({
            "method": types::DocumentCreateMethod::FileUpload,
            "document_name": document_name,
            "location": to_value(&location)?,
        });
        let form = form_of(&value).part("document_data[file]", file.part()?);
        let request = build(
            base_request(self.client, Method::POST, "/documents")
                .header(ACCEPT, HeaderValue::from_static("application/json"))
                .multipart(form),
        )?;
        let response = crate::call::send(self.client, op, self.options, request).await?;
        decode(op, response).await
    }
}

handwritten_call!(UploadDocumentFile => types::DocumentSummary);

/// Builder for [`Client::get_signature_request_pdf`](crate::Client::get_signature_request_pdf).
#[derive(Debug, Clone)]
#[must_use = "a request is sent only when the builder is awaited or sent"]
pub struct GetSignatureRequestPdf<'a> {
    client: &'a crate::Client,
    signature_request_id: Option<String>,
    file_type: Option<types::SignatureRequestFileType>,
    options: CallOptions,
}

impl<'a> GetSignatureRequestPdf<'a> {
    /// Id of the signature request.
    pub fn signature_request_id(mut self, id: impl Into<String>) -> Self {
        self.signature_request_id = Some(id.into());
        self
    }

    /// Which file: the agreement, its Certificate of Completion, or both merged.
    pub fn file_type(mut self, file_type: types::SignatureRequestFileType) -> Self {
        self.file_type = Some(file_type);
        self
    }

    /// Sends the request: the PDF, with the response's status and headers.
    pub async fn send(self) -> crate::Result<ResponseValue<Pdf>> {
        let id = path_id(self.signature_request_id, "signature_request_id")?;
        let path = format!(
            "/signature_request/{}/file",
            progenitor_client::encode_path(&id)
        );
        let mut request = pdf_request(self.client, Method::GET, &path);
        if let Some(file_type) = self.file_type {
            request = request.query(&[("type", file_type.to_string())]);
        }
        let response = crate::call::send(
            self.client,
            &facts::GET_SIGNATURE_REQUEST_FILE,
            self.options,
            build(request)?,
        )
        .await?;
        read_pdf(response).await
    }
}

handwritten_call!(GetSignatureRequestPdf => Pdf);

/// Builder for [`Client::get_agreement_pdf`](crate::Client::get_agreement_pdf).
#[derive(Debug, Clone)]
#[must_use = "a request is sent only when the builder is awaited or sent"]
pub struct GetAgreementPdf<'a> {
    client: &'a crate::Client,
    agreement_id: Option<String>,
    options: CallOptions,
}

impl<'a> GetAgreementPdf<'a> {
    /// Id of the agreement.
    pub fn agreement_id(mut self, id: impl Into<String>) -> Self {
        self.agreement_id = Some(id.into());
        self
    }

    /// Sends the request: the PDF, with the response's status and headers.
    pub async fn send(self) -> crate::Result<ResponseValue<Pdf>> {
        let id = path_id(self.agreement_id, "agreement_id")?;
        let path = format!("/agreements/{}/file", progenitor_client::encode_path(&id));
        let request = build(pdf_request(self.client, Method::GET, &path))?;
        let response = crate::call::send(
            self.client,
            &facts::GET_AGREEMENT_FILE,
            self.options,
            request,
        )
        .await?;
        read_pdf(response).await
    }
}

handwritten_call!(GetAgreementPdf => Pdf);

/// Builder for [`Client::generate_document_pdf`](crate::Client::generate_document_pdf).
#[derive(Debug)]
#[must_use = "a request is sent only when the builder is awaited or sent"]
pub struct GenerateDocumentPdf<'a> {
    client: &'a crate::Client,
    template_id: Option<String>,
    body: Result<types::builder::DocumentGenerateRequest, Error>,
    options: CallOptions,
}

impl<'a> GenerateDocumentPdf<'a> {
    /// Id of the template (with its `sign_`, `ag_` or `pdf_` prefix).
    pub fn template_id(mut self, id: impl Into<String>) -> Self {
        self.template_id = Some(id.into());
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

    /// Sends the request: the PDF, with the response's status and headers.
    pub async fn send(self) -> crate::Result<ResponseValue<Pdf>> {
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
        let response = crate::call::send(
            self.client,
            &facts::GENERATE_DOCUMENT_FROM_TEMPLATE,
            self.options,
            request,
        )
        .await?;
        read_pdf(response).await
    }
}

handwritten_call!(GenerateDocumentPdf => Pdf);

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
        }
    }

    /// Get Agreement File as PDF bytes (`Accept: application/pdf`).
    pub fn get_agreement_pdf(&self) -> GetAgreementPdf<'_> {
        GetAgreementPdf {
            client: self,
            agreement_id: None,
            options: CallOptions::default(),
        }
    }

    /// Generate Document from Template as PDF bytes (`Accept: application/pdf`).
    pub fn generate_document_pdf(&self) -> GenerateDocumentPdf<'_> {
        GenerateDocumentPdf {
            client: self,
            template_id: None,
            body: Ok(Default::default()),
            options: CallOptions::default(),
        }
    }
}
