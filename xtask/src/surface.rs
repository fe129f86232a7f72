//! `cargo xtask surface`: the public surface of the generated client as stable text.
//!
//! Built from [`lumin_codegen::generate`]'s output, the very code `build.rs` writes, parsed
//! with `syn`: every operation (method, path, Rust function, parameters and their types,
//! body type, success and error types, and what handwritten code adds to it) and every
//! model (fields, Rust types, serde names, and the constraints the generated code checks).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use lumin_codegen::Generated;
use quote::ToTokens;
use syn::visit::Visit;
use syn::{Attribute, Fields, ImplItem, Item, ItemImpl, Type};

/// Renders the surface of `generated`.
pub fn render(generated: &Generated) -> Result<String, String> {
    let file = syn::parse_file(&generated.client).map_err(|e| format!("generated client: {e}"))?;
    let mut out = String::new();
    render_operations(&file.items, generated, &mut out);
    let types = file.items.iter().find_map(|item| match item {
        Item::Mod(m) if m.ident == "types" => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    });
    if let Some(items) = types {
        render_models(items, &mut out);
    }
    Ok(out)
}

/// A type written compactly: `Option<String>` rather than `::std::option::Option<…>`.
pub fn type_text(ty: &impl ToTokens) -> String {
    let mut text = ty.to_token_stream().to_string();
    for (from, to) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" ::", "::"),
        (" < ", "<"),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        (" ,", ","),
        ("& '", "&'"),
        ("' _", "'_"),
    ] {
        while text.contains(from) {
            text = text.replace(from, to);
        }
    }
    for (from, to) in [
        ("::std::string::String", "String"),
        ("::std::option::Option", "Option"),
        ("::std::vec::Vec", "Vec"),
        ("::std::collections::BTreeMap", "BTreeMap"),
        ("::std::primitive::", ""),
        ("std::convert::", ""),
        ("::serde_json::", "serde_json::"),
        (",", ", "),
        (",  ", ", "),
        (", >", ">"),
    ] {
        text = text.replace(from, to);
    }
    text
}

fn docs(attrs: &[Attribute]) -> String {
    let mut text = String::new();
    for attr in attrs {
        if let syn::Meta::NameValue(nv) = &attr.meta
            && nv.path.is_ident("doc")
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
        {
            text.push_str(&s.value());
            text.push('\n');
        }
    }
    text
}

/// The `#[serde(...)]` arguments of an item, as text.
fn serde_args(attrs: &[Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .filter_map(|a| a.meta.require_list().ok())
        .map(|list| type_text(&list.tokens))
        .collect()
}

fn serde_rename(attrs: &[Attribute]) -> Option<String> {
    for args in serde_args(attrs) {
        for part in args.split(", ") {
            if let Some(rest) = part.strip_prefix("rename = ") {
                return Some(rest.trim_matches('"').to_owned());
            }
        }
    }
    None
}

/// `"Sends a `GET` request to `/path`"` → (`GET`, `/path`).
fn method_and_path(doc: &str) -> Option<(String, String)> {
    let rest = doc.split("Sends a `").nth(1)?;
    let (method, rest) = rest.split_once('`')?;
    let path = rest.split('`').nth(1)?;
    Some((method.to_owned(), path.to_owned()))
}

/// The first generic argument of the last segment of a path type.
fn generic_args(ty: &Type) -> Vec<Type> {
    let Type::Path(path) = ty else {
        return Vec::new();
    };
    let Some(last) = path.path.segments.last() else {
        return Vec::new();
    };
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return Vec::new();
    };
    args.args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn impls_of<'a>(items: &'a [Item], name: &str) -> Vec<&'a ItemImpl> {
    items
        .iter()
        .filter_map(|item| match item {
            Item::Impl(i) if last_ident(&i.self_ty).as_deref() == Some(name) => Some(i),
            _ => None,
        })
        .collect()
}

fn render_operations(items: &[Item], generated: &Generated, out: &mut String) {
    let builders: &[Item] = items
        .iter()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|(_, i)| i.as_slice()),
            _ => None,
        })
        .unwrap_or(&[]);
    let hand = &generated.handwritten;
    let _ = writeln!(out, "# Operations\n");
    for item in items {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || last_ident(&imp.self_ty).as_deref() != Some("Client") {
            continue;
        }
        for impl_item in &imp.items {
            let ImplItem::Fn(f) = impl_item else { continue };
            let Some((method, path)) = method_and_path(&docs(&f.attrs)) else {
                continue;
            };
            let name = f.sig.ident.to_string();
            let id = name.replace('_', "-");
            let _ = writeln!(out, "{name}: {method} {path}");
            let syn::ReturnType::Type(_, ret) = &f.sig.output else {
                continue;
            };
            let Some(builder) = last_ident(ret) else {
                continue;
            };
            render_builder(builders, &builder, out);
            let facts = hand.operations.get(&name);
            if let Some(facts) = facts {
                let ranges: Vec<String> = facts
                    .success_statuses
                    .iter()
                    .map(|(a, b)| {
                        if a == b {
                            a.to_string()
                        } else {
                            format!("{a}-{b}")
                        }
                    })
                    .collect();
                let _ = writeln!(out, "  success statuses: {}", ranges.join(", "));
            }
            if let Some(facts) = facts {
                let _ = writeln!(
                    out,
                    "  call: awaited -> lumin::Result<body>; send() -> lumin::Result<ResponseValue<body>>"
                );
                let _ = writeln!(
                    out,
                    "  sent again after an unknown outcome: {}",
                    if facts.retry_safe {
                        "yes"
                    } else {
                        "no (outcome unknown is an error)"
                    }
                );
                if let Some(p) = &facts.pagination {
                    let _ = writeln!(
                        out,
                        "  pages: items in `{}`, total in `{}`",
                        p.items, p.total
                    );
                }
            }
            if let Some(media) = hand.other_request_media.get(&id) {
                let _ = writeln!(out, "  handwritten body: {}", media.join(", "));
            }
            if let Some(facts) = facts {
                if !facts.default_headers.is_empty() {
                    let headers: Vec<String> = facts
                        .default_headers
                        .iter()
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect();
                    let _ = writeln!(out, "  headers set by the client: {}", headers.join(", "));
                }
                for rule in &facts.rules {
                    let _ = writeln!(out, "  checked before sending: {rule}");
                }
            }
            out.push('\n');
        }
    }
}

fn render_builder(builders: &[Item], name: &str, out: &mut String) {
    let fields: Vec<(String, Type)> = builders
        .iter()
        .find_map(|item| match item {
            Item::Struct(s) if s.ident == name => Some(
                s.fields
                    .iter()
                    .filter_map(|f| Some((f.ident.as_ref()?.to_string(), f.ty.clone())))
                    .filter(|(n, _)| n != "client")
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default();
    let mut setters: BTreeMap<String, String> = BTreeMap::new();
    let mut decoded = None;
    let mut built = None;
    for imp in impls_of(builders, name) {
        for item in &imp.items {
            let ImplItem::Fn(f) = item else { continue };
            let fname = f.sig.ident.to_string();
            // What the response decodes to: `decode`, the half of progenitor's `send()`
            // that `lumin-codegen` keeps for it.
            if fname == "decode" {
                if let syn::ReturnType::Type(_, ty) = &f.sig.output {
                    decoded = Some(future_output(ty).unwrap_or_else(|| (**ty).clone()));
                }
                continue;
            }
            // The documented error body: `request`, the other half, returns progenitor's
            // `Error<E>`.
            if fname == "request" {
                if let syn::ReturnType::Type(_, ty) = &f.sig.output {
                    built = Some((**ty).clone());
                }
                continue;
            }
            // `V: std::convert::TryInto<T>` names the type the setter takes.
            let bound = f.sig.generics.where_clause.as_ref().and_then(|w| {
                w.predicates.iter().find_map(|p| match p {
                    syn::WherePredicate::Type(t) => t.bounds.iter().find_map(|b| match b {
                        syn::TypeParamBound::Trait(tb) => {
                            let last = tb.path.segments.last()?;
                            (last.ident == "TryInto").then(|| type_text(&last.arguments))
                        }
                        _ => None,
                    }),
                    _ => None,
                })
            });
            if let Some(bound) = bound {
                let inner = bound
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned();
                setters.insert(fname, inner);
            }
        }
    }
    for (field, ty) in &fields {
        let stored = generic_args(ty).into_iter().next();
        let optional = stored
            .as_ref()
            .and_then(last_ident)
            .is_some_and(|i| i == "Option");
        let shown = setters
            .get(field)
            .cloned()
            .unwrap_or_else(|| stored.as_ref().map(type_text).unwrap_or_default());
        let kind = if field == "body" { "body" } else { "param" };
        let need = if optional || field == "body" {
            ""
        } else {
            ", required"
        };
        let _ = writeln!(out, "  {kind} {field}: {shown}{need}");
    }
    if let Some(ret) = decoded {
        // Result<ResponseValue<S>, Undecoded>, and Result<(&Client, Request, Self), Error<E>>
        let ok = generic_args(&ret)
            .first()
            .and_then(|t| generic_args(t).into_iter().next());
        let err = built
            .as_ref()
            .and_then(|ty| generic_args(ty).get(1).cloned())
            .and_then(|t| generic_args(&t).into_iter().next());
        let _ = writeln!(
            out,
            "  success: {}",
            ok.as_ref().map(type_text).unwrap_or_else(|| "?".to_owned())
        );
        let _ = writeln!(
            out,
            "  error: {}",
            err.as_ref()
                .map(type_text)
                .unwrap_or_else(|| "?".to_owned())
        );
    }
}

/// The messages of `Err("…".into())` in the impls of a type: the checks the generated
/// code makes (lengths, patterns, ranges).
#[derive(Default)]
struct Checks(Vec<String>);

impl<'ast> Visit<'ast> for Checks {
    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        let is_err = matches!(&*call.func, syn::Expr::Path(p) if p.path.is_ident("Err"));
        if let (true, Some(syn::Expr::MethodCall(m))) = (is_err, call.args.first())
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &*m.receiver
        {
            let message = s.value();
            if message != "invalid value" && !self.0.contains(&message) {
                self.0.push(message);
            }
        }
        syn::visit::visit_expr_call(self, call);
    }
}

fn render_models(items: &[Item], out: &mut String) {
    let _ = writeln!(out, "# Models\n");
    for item in items {
        match item {
            Item::Struct(s) => {
                let serde = serde_args(&s.attrs);
                let attrs = if serde.is_empty() {
                    String::new()
                } else {
                    format!(" #[serde({})]", serde.join("; "))
                };
                match &s.fields {
                    Fields::Named(named) => {
                        let _ = writeln!(out, "struct {}{attrs}", s.ident);
                        for field in &named.named {
                            let Some(ident) = &field.ident else { continue };
                            let rust = ident.to_string();
                            let wire = serde_rename(&field.attrs)
                                .unwrap_or_else(|| rust.trim_start_matches("r#").to_owned());
                            let rename = if wire == rust {
                                String::new()
                            } else {
                                format!(" as {wire:?}")
                            };
                            let _ = writeln!(out, "  {rust}: {}{rename}", type_text(&field.ty));
                        }
                    }
                    Fields::Unnamed(unnamed) => {
                        let inner: Vec<String> =
                            unnamed.unnamed.iter().map(|f| type_text(&f.ty)).collect();
                        let _ = writeln!(out, "newtype {}({}){attrs}", s.ident, inner.join(", "));
                    }
                    Fields::Unit => {
                        let _ = writeln!(out, "struct {}{attrs}", s.ident);
                    }
                }
                render_checks(items, &s.ident.to_string(), out);
            }
            Item::Enum(e) => {
                let serde = serde_args(&e.attrs);
                let attrs = if serde.is_empty() {
                    String::new()
                } else {
                    format!(" #[serde({})]", serde.join("; "))
                };
                let _ = writeln!(out, "enum {}{attrs}", e.ident);
                for variant in &e.variants {
                    let payload = match &variant.fields {
                        Fields::Unnamed(u) => format!(
                            "({})",
                            u.unnamed
                                .iter()
                                .map(|f| type_text(&f.ty))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        Fields::Named(n) => format!(
                            " {{ {} }}",
                            n.named
                                .iter()
                                .filter_map(|f| Some(format!(
                                    "{}: {}",
                                    f.ident.as_ref()?,
                                    type_text(&f.ty)
                                )))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        Fields::Unit => String::new(),
                    };
                    let wire = serde_rename(&variant.attrs)
                        .map(|w| format!(" as {w:?}"))
                        .unwrap_or_default();
                    let _ = writeln!(out, "  {}{payload}{wire}", variant.ident);
                }
                render_checks(items, &e.ident.to_string(), out);
            }
            _ => continue,
        }
        out.push('\n');
    }
}

fn render_checks(items: &[Item], name: &str, out: &mut String) {
    let mut checks = Checks::default();
    for imp in impls_of(items, name) {
        checks.visit_item_impl(imp);
    }
    for message in checks.0 {
        let _ = writeln!(out, "  check: {message}");
    }
}

/// `X` in `impl Future<Output = X> + …`.
fn future_output(ty: &syn::Type) -> Option<syn::Type> {
    let syn::Type::ImplTrait(imp) = ty else {
        return None;
    };
    imp.bounds.iter().find_map(|bound| {
        let syn::TypeParamBound::Trait(bound) = bound else {
            return None;
        };
        let last = bound.path.segments.last()?;
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        args.args.iter().find_map(|arg| match arg {
            syn::GenericArgument::AssocType(assoc) if assoc.ident == "Output" => {
                Some(assoc.ty.clone())
            }
            _ => None,
        })
    })
}
