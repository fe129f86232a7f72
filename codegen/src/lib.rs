//! The one place that turns `openapi.yaml` into Rust code.
//!
//! `build.rs` of the `lumin` crate and `cargo xtask` both call [`generate`], so what the
//! snapshots show is what users compile. The spec describes the API as documented;
//! [`prepare_for_progenitor`] then takes out what progenitor cannot express, and records
//! it in [`Handwritten`] so the crate's handwritten modules cover it:
//!
//! - request bodies other than JSON (`multipart/form-data` uploads), which the
//!   `files` module sends;
//! - required header parameters that have a default (`X-Lumin-API-Version: 1.1`), which
//!   the client sets on every request of that operation, so callers never pass them;
//! - rules on request bodies that types cannot state (`minItems`, `x-lumin-exclusive`,
//!   `x-lumin-required-one-of`, `x-lumin-required-if`, `x-lumin-includes`; see
//!   [`rules`]), which the client checks before sending.

use std::collections::BTreeMap;
use std::path::Path;

mod glue;
mod open_enums;
pub mod rules;
mod unset;

pub use rules::{CheckFacts, RuleFacts};

use openapiv3::{OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr};
use proc_macro2::TokenStream;
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};

/// An error while reading the spec or generating code from it.
#[derive(Debug)]
pub struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn err(context: &str, e: impl std::fmt::Display) -> Error {
    Error(format!("{context}: {e}"))
}

/// Schemas whose Rust type is handwritten in the `lumin` crate instead of generated:
/// (schema name, Rust type, traits the type implements).
pub const REPLACEMENTS: &[(&str, &str, &[TypeImpl])] = &[
    ("Error", "crate::error::ApiErrorBody", &[]),
    (
        "UnixMillis",
        "crate::time::Timestamp<crate::time::Millis>",
        &[TypeImpl::Display],
    ),
    (
        "UnixMillisText",
        "crate::time::Timestamp<crate::time::Millis>",
        &[TypeImpl::Display],
    ),
    (
        "UnixMillisLenient",
        "crate::time::Timestamp<crate::time::Millis>",
        &[TypeImpl::Display],
    ),
    (
        "UnixSeconds",
        "crate::time::Timestamp<crate::time::Seconds>",
        &[TypeImpl::Display],
    ),
    (
        "DateTime",
        "crate::time::Timestamp<crate::time::Rfc3339>",
        &[TypeImpl::Display],
    ),
    ("DueDate", "crate::expiry::DueDate", &[TypeImpl::Display]),
    ("SignedUrl", "crate::wire::SignedUrl", &[TypeImpl::Display]),
    (
        "SigningSessionExpiry",
        "crate::expiry::SigningSessionExpiry",
        &[TypeImpl::Display, TypeImpl::Default],
    ),
    (
        "Page",
        "crate::limits::Page",
        &[TypeImpl::Display, TypeImpl::Default],
    ),
    (
        "PageLimit",
        "crate::limits::PageLimit",
        &[TypeImpl::Display, TypeImpl::Default],
    ),
    ("TotalCount", "crate::wire::Count", &[TypeImpl::Display]),
    (
        "SignerGroup",
        "crate::wire::SignerGroup",
        &[TypeImpl::Display],
    ),
    (
        "Collections",
        "crate::limits::Collections",
        &[TypeImpl::Default],
    ),
    (
        "MergeDocumentIds",
        "crate::limits::BoundedVec<String, 2, 20>",
        &[],
    ),
    (
        "MergeFileUrls",
        "crate::limits::BoundedVec<String, 2, 20>",
        &[],
    ),
    (
        "ReminderEmails",
        "crate::limits::BoundedVec<String, 1>",
        &[],
    ),
];

/// The generator settings used for the `lumin` crate.
pub fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_inner_type(quote_inner())
        .with_map_type("::std::collections::BTreeMap")
        .with_derive("PartialEq");
    for (schema, rust_type, impls) in REPLACEMENTS {
        settings.with_replacement(schema, rust_type, impls.iter().cloned());
    }
    settings
}

fn quote_inner() -> TokenStream {
    quote::quote!(crate::client::ClientState)
}

/// What the spec says that the generated code leaves to handwritten code.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Handwritten {
    /// Operation id to the non-JSON request media types taken out of it.
    pub other_request_media: BTreeMap<String, Vec<String>>,
    /// Everything the call layer needs per operation (default headers, rules, success
    /// statuses, retry safety, pagination), by progenitor's (snake case)
    /// operation id.
    pub operations: BTreeMap<String, OperationFacts>,
    /// Malformed rule extensions, as `operation: problem`; generation fails on any.
    pub rule_errors: Vec<String>,
}

/// What the spec says about one operation that the call layer acts on at run time.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OperationFacts {
    /// progenitor's operation id (snake case): `get_user_information`.
    pub operation_id: String,
    /// The HTTP method, lower case.
    pub method: String,
    /// The path template: `/signature_request/{signature_request_id}`.
    pub path: String,
    /// Headers the client sets (name, value).
    pub default_headers: Vec<(String, String)>,
    /// The rules on the JSON request body, checked before sending (empty: none).
    pub rules: Vec<RuleFacts>,
    /// Documented success statuses, inclusive ranges.
    pub success_statuses: Vec<(u16, u16)>,
    /// Safe to send again after a failure whose outcome is unknown: GET, PUT, DELETE, HEAD
    /// and OPTIONS by their HTTP semantics, a POST or PATCH only with
    /// `x-lumin-retry-safe: true`.
    pub retry_safe: bool,
    /// How the operation pages (`x-lumin-pagination`).
    pub pagination: Option<PaginationFacts>,
}

/// The `x-lumin-pagination` extension: which response fields hold the page's items and
/// the total count (the request pages with its `page` and `limit` parameters).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct PaginationFacts {
    /// The response field holding the items (`data`).
    pub items: String,
    /// The response field holding the total count (`total_count`).
    pub total: String,
}

/// The output of one generator run.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The client and its types, formatted.
    pub client: String,
    /// Typed `httpmock` helpers for every operation, formatted.
    pub httpmock: String,
    /// What handwritten code covers.
    pub handwritten: Handwritten,
}

/// Reads an OpenAPI document (YAML or JSON).
pub fn load_spec(path: &Path) -> Result<OpenAPI, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| err(&path.display().to_string(), e))?;
    serde_norway::from_str(&text).map_err(|e| err(&path.display().to_string(), e))
}

/// Takes out of `spec` what progenitor cannot express, and says what was taken.
pub fn prepare_for_progenitor(spec: &mut OpenAPI) -> Handwritten {
    let mut handwritten = Handwritten::default();
    let schemas = spec
        .components
        .as_ref()
        .map(|c| c.schemas.clone())
        .unwrap_or_default();
    let component_params = spec
        .components
        .as_ref()
        .map(|c| c.parameters.clone())
        .unwrap_or_default();
    for (path, item) in spec.paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in operations_mut(item) {
            let Some(id) = op.operation_id.clone() else {
                continue;
            };
            let retry_safe = match method {
                "post" | "patch" => op
                    .extensions
                    .get("x-lumin-retry-safe")
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false),
                _ => true,
            };
            let pagination = op
                .extensions
                .get("x-lumin-pagination")
                .and_then(|v| serde_json::from_value::<PaginationFacts>(v.clone()).ok());
            if let Some(ReferenceOr::Item(body)) = op.request_body.as_mut() {
                let others: Vec<String> = body
                    .content
                    .keys()
                    .filter(|media| media.as_str() != "application/json")
                    .cloned()
                    .collect();
                if !others.is_empty() && body.content.contains_key("application/json") {
                    for media in &others {
                        body.content.shift_remove(media);
                    }
                    handwritten.other_request_media.insert(id.clone(), others);
                }
            }
            let mut defaults = Vec::new();
            let resolve = |p: &ReferenceOr<Parameter>| -> Option<Parameter> {
                match p {
                    ReferenceOr::Item(p) => Some(p.clone()),
                    ReferenceOr::Reference { reference } => reference
                        .strip_prefix("#/components/parameters/")
                        .and_then(|name| component_params.get(name))
                        .and_then(|p| p.as_item().cloned()),
                }
            };
            op.parameters.retain(|p| {
                let Some(Parameter::Header { parameter_data, .. }) = resolve(p) else {
                    return true;
                };
                let default = match &parameter_data.format {
                    ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) => {
                        schema.schema_data.default.clone()
                    }
                    _ => None,
                };
                match (parameter_data.required, default) {
                    (true, Some(serde_json::Value::String(value))) => {
                        defaults.push((parameter_data.name.clone(), value));
                        false
                    }
                    _ => true,
                }
            });
            if let Some(media) = only_non_json_success(op) {
                defaults.push(("accept".to_owned(), media));
            }
            let rules = match body_rules(op, &schemas) {
                Ok(rules) => rules,
                Err(problem) => {
                    handwritten.rule_errors.push(format!("{id}: {problem}"));
                    Vec::new()
                }
            };
            let snake = id.replace('-', "_");
            handwritten.operations.insert(
                snake.clone(),
                OperationFacts {
                    operation_id: snake,
                    method: method.to_owned(),
                    path: path.clone(),
                    default_headers: defaults,
                    rules,
                    success_statuses: success_statuses(op),
                    retry_safe,
                    pagination,
                },
            );
        }
    }
    handwritten
}

fn operations_mut(
    item: &mut openapiv3::PathItem,
) -> impl Iterator<Item = (&'static str, &mut openapiv3::Operation)> {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("options", &mut item.options),
        ("head", &mut item.head),
        ("patch", &mut item.patch),
        ("trace", &mut item.trace),
    ]
    .into_iter()
    .filter_map(|(method, op)| Some((method, op.as_mut()?)))
}

/// The documented 2xx statuses of an operation, as inclusive ranges.
fn success_statuses(op: &openapiv3::Operation) -> Vec<(u16, u16)> {
    op.responses
        .responses
        .keys()
        .filter_map(|status| match status {
            openapiv3::StatusCode::Code(code) if (200..300).contains(code) => Some((*code, *code)),
            openapiv3::StatusCode::Range(2) => Some((200, 299)),
            _ => None,
        })
        .collect()
}

/// The one media type of an operation's success responses, when it is not JSON.
fn only_non_json_success(op: &openapiv3::Operation) -> Option<String> {
    let mut media = op
        .responses
        .responses
        .iter()
        .filter(|(status, _)| match status {
            openapiv3::StatusCode::Code(code) => (200..300).contains(code),
            openapiv3::StatusCode::Range(range) => *range == 2,
        })
        .filter_map(|(_, response)| response.as_item())
        .flat_map(|response| response.content.keys().cloned());
    let first = media.next()?;
    (media.next().is_none() && first != "application/json").then_some(first)
}

/// The rules of an operation's JSON body schema.
fn body_rules(
    op: &openapiv3::Operation,
    schemas: &indexmap::IndexMap<String, ReferenceOr<openapiv3::Schema>>,
) -> Result<Vec<RuleFacts>, String> {
    let Some(schema) = op
        .request_body
        .as_ref()
        .and_then(ReferenceOr::as_item)
        .and_then(|body| body.content.get("application/json"))
        .and_then(|media| media.schema.as_ref())
    else {
        return Ok(Vec::new());
    };
    rules::body_rules(schema, schemas)
}

/// Where `send()` takes its builder apart (`let Self { client, a, b } = self;`): the
/// statement's index and the fields it names, but `client`.
pub(crate) fn destructuring(stmts: &[syn::Stmt]) -> Option<(usize, Vec<syn::Ident>)> {
    stmts
        .iter()
        .enumerate()
        .find_map(|(index, stmt)| match stmt {
            syn::Stmt::Local(syn::Local {
                pat: syn::Pat::Struct(pat),
                init: Some(init),
                ..
            }) if pat.path.is_ident("Self")
                && matches!(&*init.expr, syn::Expr::Path(p) if p.path.is_ident("self")) =>
            {
                let fields = pat
                    .fields
                    .iter()
                    .filter_map(|f| match &f.member {
                        syn::Member::Named(ident) if ident != "client" => Some(ident.clone()),
                        _ => None,
                    })
                    .collect();
                Some((index, fields))
            }
            _ => None,
        })
}

/// The items of the generated module `name` (`types`, `builder`), if progenitor wrote one.
pub(crate) fn generated_module<'f>(
    file: &'f mut syn::File,
    name: &str,
) -> Option<&'f mut Vec<syn::Item>> {
    file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(syn::ItemMod {
            ident,
            content: Some((_, items)),
            ..
        }) if ident == name => Some(items),
        _ => None,
    })
}

/// Adds `#[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]` to every model
/// in `mod types` (each struct and enum deriving serde's traits): progenitor's settings
/// can add a derive, but not one behind a feature.
fn derive_json_schema(file: &mut syn::File) {
    let Some(types) = generated_module(file, "types") else {
        return;
    };
    let is_model = |attrs: &[syn::Attribute]| {
        attrs.iter().any(|attr| {
            attr.path().is_ident("derive") && quote::quote!(#attr).to_string().contains("serde")
        })
    };
    for item in types.iter_mut() {
        let attrs = match item {
            syn::Item::Struct(s) => &mut s.attrs,
            syn::Item::Enum(e) => &mut e.attrs,
            _ => continue,
        };
        if is_model(attrs) {
            attrs.push(syn::parse_quote!(
                #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
            ));
        }
    }
}

fn format(tokens: TokenStream, what: &str) -> Result<String, Error> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| err(what, e))?;
    Ok(prettyplease::unparse(&file))
}

/// Generates the client, its types and the httpmock helpers from the spec at `path`.
pub fn generate(path: &Path) -> Result<Generated, Error> {
    let mut spec = load_spec(path)?;
    generate_from(&mut spec)
}

/// Generates from an already loaded spec (which is prepared in place).
pub fn generate_from(spec: &mut OpenAPI) -> Result<Generated, Error> {
    let handwritten = prepare_for_progenitor(spec);
    if !handwritten.rule_errors.is_empty() {
        return Err(Error(format!(
            "malformed rule extensions: {}",
            handwritten.rule_errors.join("; ")
        )));
    }
    let mut generator = Generator::new(&settings());
    let tokens = generator
        .generate_tokens(spec)
        .map_err(|e| err("generating the client", e))?;
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| err("reading the generated client", e))?;
    derive_json_schema(&mut file);
    unset::start_unset_fields(&mut file)?;
    let glue = glue::transform(&mut file, &handwritten.operations)?;
    let glue: syn::File = syn::parse2(glue).map_err(|e| err("the call glue", e))?;
    file.items.extend(glue.items);
    let client = prettyplease::unparse(&file);
    let mut mock_generator = Generator::new(&settings());
    let mock_tokens = mock_generator
        .httpmock(spec, "crate")
        .map_err(|e| err("generating httpmock helpers", e))?;
    let httpmock = format(mock_tokens, "formatting httpmock helpers")?;
    Ok(Generated {
        client,
        httpmock,
        handwritten,
    })
}
