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
//! They go through the same hooks as generated operations (credentials, token refresh,
//! raw error bodies) and fail with the same [`Error`]. A multipart body is streamed, so an
//! upload is not retried after a `401`; refresh the token source first if that matters.

use bytes::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Request, Response};
use serde::Serialize;
use serde_json::Value;

use crate::error::Error;
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

/// A request that mixes inputs the API takes only one of, or cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilesError {
    /// More than one of mutually exclusive fields (`file`, `files`, `file_url`,
    /// `file_urls`) was given.
    #[error("only one of {allowed:?} may be given, but {given:?} were")]
    ExclusiveInputs {
        /// The fields of which one may be given.
        allowed: Vec<String>,
        /// The fields that were given.
        given: Vec<String>,
    },
    /// No document was given.
    #[error("one of {allowed:?} must be given")]
    MissingInput {
        /// The fields of which one must be given.
        allowed: Vec<String>,
    },
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

/// Checks the mutually exclusive body fields of `operation_id` (from the spec's
/// `x-lumin-exclusive`): at most one present; `required` also demands one.
pub(crate) fn check_exclusive(
    operation_id: &str,
    body: &Value,
    extra_given: &[&str],
    required: bool,
) -> Result<(), FilesError> {
    let Some((_, allowed)) = crate::generated::EXCLUSIVE_FIELDS
        .iter()
        .find(|(op, _)| *op == operation_id)
    else {
        return Ok(());
    };
    let present = |field: &str| match body.get(field) {
        None | Some(Value::Null) => false,
        Some(Value::Array(items)) => !items.is_empty(),
        Some(_) => true,
    };
    let given: Vec<String> = allowed
        .iter()
        .filter(|field| present(field) || extra_given.contains(field))
        .map(|field| (*field).to_owned())
        .collect();
    let allowed: Vec<String> = allowed.iter().map(|f| (*f).to_owned()).collect();
    match given.len() {
        0 if required => Err(FilesError::MissingInput { allowed }),
        0 | 1 => Ok(()),
        _ => Err(FilesError::ExclusiveInputs { allowed, given }),
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

impl crate::Client {
    fn request(&self, method: Method, path: &str) -> Result<reqwest::RequestBuilder, Error> {
        use progenitor_client::ClientInfo as _;
        Ok(self
            .client()
            .request(method, format!("{}{path}", self.baseurl())))
    }

    /// Sends a handwritten request through the client's hooks and turns an error status
    /// into [`Error`].
    async fn send_handwritten(
        &self,
        operation_id: &str,
        mut request: Request,
    ) -> Result<Response, Error> {
        crate::client::prepare(self, &mut request, operation_id)
            .await
            .map_err(Error::from)?;
        let response = crate::client::execute(self, request, operation_id)
            .await
            .map_err(Error::Transport)?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(Error::from_unexpected(&response))
        }
    }

    async fn decode<T: serde::de::DeserializeOwned>(response: Response) -> Result<T, Error> {
        let body = response.bytes().await.map_err(Error::Transport)?;
        serde_json::from_slice(&body).map_err(|source| Error::decode(body, source))
    }

    async fn pdf(
        &self,
        operation_id: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Pdf, Error> {
        let request = request
            .header(ACCEPT, HeaderValue::from_static("application/pdf"))
            .build()
            .map_err(Error::Transport)?;
        let response = self.send_handwritten(operation_id, request).await?;
        let status = response.status();
        let is_pdf = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/pdf")
            });
        let bytes = response.bytes().await.map_err(Error::Transport)?;
        if is_pdf {
            Ok(Pdf { bytes })
        } else {
            Err(Error::UnexpectedResponse {
                status,
                body: bytes,
            })
        }
    }

    /// Send Signature Request with uploaded documents (`multipart/form-data`).
    ///
    /// `request` must not name `file_url` or `file_urls` too: the four document inputs
    /// exclude each other, and mixing them fails before anything is sent.
    pub async fn send_signature_request_with_uploads(
        &self,
        request: &types::SignatureRequestDto,
        uploads: Uploads,
    ) -> Result<types::SignatureRequestCreateResponse, Error> {
        const OP: &str = "send_signature_request";
        let value = to_value(request)?;
        let upload_field = match &uploads {
            Uploads::File(_) => "file",
            Uploads::Files(files) if files.is_empty() => return Err(FilesError::EmptyFiles.into()),
            Uploads::Files(_) => "files",
        };
        check_exclusive(OP, &value, &[upload_field], true)?;
        let mut form = form_of(&value);
        match uploads {
            Uploads::File(file) => form = form.part("file", file.part()?),
            Uploads::Files(files) => {
                for (i, file) in files.iter().enumerate() {
                    form = form.part(format!("files[{i}]"), file.part()?);
                }
            }
        }
        let request = self
            .request(Method::POST, "/signature_request/send")?
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .multipart(form)
            .build()
            .map_err(Error::Transport)?;
        Self::decode(self.send_handwritten(OP, request).await?).await
    }

    /// Upload Document with the file itself (`multipart/form-data`, `method=file-upload`,
    /// the file as `document_data[file]`).
    pub async fn upload_document_file(
        &self,
        document_name: types::DocumentName,
        location: &types::DocumentLocation,
        file: Upload,
    ) -> Result<types::DocumentSummary, Error> {
        let value = serde_json::json!({
            "method": types::DocumentCreateMethod::FileUpload,
            "document_name": document_name,
            "location": to_value(location)?,
        });
        let form = form_of(&value).part("document_data[file]", file.part()?);
        let request = self
            .request(Method::POST, "/documents")?
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .multipart(form)
            .build()
            .map_err(Error::Transport)?;
        Self::decode(self.send_handwritten("upload_document", request).await?).await
    }

    /// Get Signature Request File as PDF bytes (`Accept: application/pdf`).
    pub async fn get_signature_request_pdf(
        &self,
        signature_request_id: &str,
        file_type: Option<types::SignatureRequestFileType>,
    ) -> Result<Pdf, Error> {
        let path = format!(
            "/signature_request/{}/file",
            progenitor_client::encode_path(signature_request_id)
        );
        let mut request = self.request(Method::GET, &path)?;
        if let Some(file_type) = file_type {
            request = request.query(&[("type", file_type.to_string())]);
        }
        self.pdf("get_signature_request_file", request).await
    }

    /// Get Agreement File as PDF bytes (`Accept: application/pdf`).
    pub async fn get_agreement_pdf(&self, agreement_id: &str) -> Result<Pdf, Error> {
        let path = format!(
            "/agreements/{}/file",
            progenitor_client::encode_path(agreement_id)
        );
        let request = self.request(Method::GET, &path)?;
        self.pdf("get_agreement_file", request).await
    }

    /// Generate Document from Template as PDF bytes (`Accept: application/pdf`).
    pub async fn generate_document_pdf(
        &self,
        template_id: &str,
        body: &types::DocumentGenerateRequest,
    ) -> Result<Pdf, Error> {
        let path = format!(
            "/templates/{}/generate-document",
            progenitor_client::encode_path(template_id)
        );
        let request = self.request(Method::POST, &path)?.json(body);
        self.pdf("generate_document_from_template", request).await
    }
}
