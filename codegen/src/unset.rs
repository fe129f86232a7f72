//! Builders that start empty without allocating.
//!
//! progenitor's operation builders and typify's body builders hold each field as
//! `Result<T, String>` and start every required one as an error naming it:
//! `Err("signature_request_id was not initialized".to_string())`,
//! `Err("no value supplied for signer_email".to_string())`. Every call therefore allocates
//! and frees one message per required field, though a caller who sets the field never sees
//! it. This rewrite starts those fields as `Err(String::new())` (no allocation) and, where
//! the field is read, names what is missing with `crate::wire::unset(field, "…")`: an empty
//! error becomes the same message as before, so a builder used unset fails as it did.
//!
//! - Operation builders (`mod builder`): `new()` starts the fields; `send()` reads them
//!   right after `let Self { .. } = self;`, where the rewrite rebinds each one.
//! - Body builders (`mod types`, `mod builder` in it): `Default` starts the fields;
//!   `TryFrom<builder::X> for X` reads each as `value.field?`, which becomes
//!   `crate::wire::unset(value.field, "…")?`.
//!
//! Anything not in these shapes is an error, so that a progenitor or typify upgrade that
//! changes them fails the build instead of silently allocating again (or losing a message).

use std::collections::BTreeMap;

use syn::visit_mut::VisitMut;
use syn::{Expr, ImplItem, Item, ItemImpl, Type};

use crate::Error;

/// Rewrites both kinds of builder in `file`.
pub(crate) fn start_unset_fields(file: &mut syn::File) -> Result<(), Error> {
    let builders = crate::generated_module(file, "builder")
        .ok_or_else(|| Error("progenitor's output has no `mod builder`".to_owned()))?;
    let mut rewritten = 0;
    for item in builders.iter_mut() {
        if let Item::Impl(imp) = item
            && imp.trait_.is_none()
        {
            rewritten += operation_builder(imp)?;
        }
    }
    if rewritten == 0 {
        return Err(Error(
            "no operation builder starts a field with a message; progenitor's `new()` changed"
                .to_owned(),
        ));
    }
    let types = crate::generated_module(file, "types")
        .ok_or_else(|| Error("progenitor's output has no `mod types`".to_owned()))?;
    let body_builders = types
        .iter_mut()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == "builder" => m.content.as_mut().map(|(_, items)| items),
            _ => None,
        })
        .ok_or_else(|| Error("typify's output has no `mod types::builder`".to_owned()))?;
    let mut messages: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for item in body_builders.iter_mut() {
        if let Item::Impl(imp) = item
            && is_trait(imp, "Default")
        {
            let fields = start_fields(imp, "Default::default")?;
            if !fields.is_empty() {
                messages.insert(self_name(imp)?, fields);
            }
        }
    }
    if messages.is_empty() {
        return Err(Error(
            "no body builder starts a field with a message; typify's `Default` changed".to_owned(),
        ));
    }
    for item in body_builders.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        if !is_trait(imp, "TryFrom") {
            continue;
        }
        let Some(source) = try_from_source(imp) else {
            continue;
        };
        let Some(fields) = messages.remove(&source) else {
            continue;
        };
        let mut reads = FieldReads {
            messages: fields,
            seen: Vec::new(),
        };
        reads.visit_item_impl_mut(imp);
        if let Some((field, _)) = reads
            .messages
            .iter()
            .find(|(field, _)| !reads.seen.contains(field))
        {
            return Err(Error(format!(
                "`TryFrom<builder::{source}>` does not read `value.{field}?`"
            )));
        }
    }
    if let Some(source) = messages.keys().next() {
        return Err(Error(format!(
            "body builder `{source}` has no `TryFrom` that reads its fields"
        )));
    }
    Ok(())
}

/// One operation builder's inherent impl: starts the fields in `new()` and rebinds them in
/// `send()`. Returns how many fields it rewrote.
fn operation_builder(imp: &mut ItemImpl) -> Result<usize, Error> {
    let name = self_name(imp)?;
    let Some(new) = imp.items.iter_mut().find_map(|item| match item {
        ImplItem::Fn(f) if f.sig.ident == "new" => Some(f),
        _ => None,
    }) else {
        return Ok(0);
    };
    let fields = start_fields_in(&mut new.block, &format!("builder::{name}::new"))?;
    if fields.is_empty() {
        return Ok(0);
    }
    let send = imp
        .items
        .iter_mut()
        .find_map(|item| match item {
            ImplItem::Fn(f) if f.sig.ident == "send" => Some(f),
            _ => None,
        })
        .ok_or_else(|| Error(format!("`builder::{name}` has no `send()`")))?;
    let (destructure, _) = crate::destructuring(&send.block.stmts).ok_or_else(|| {
        Error(format!(
            "`builder::{name}::send` has no `let Self {{ .. }} = self;`"
        ))
    })?;
    let count = fields.len();
    for (offset, (field, message)) in fields.into_iter().enumerate() {
        let ident = syn::Ident::new(&field, proc_macro2::Span::call_site());
        send.block.stmts.insert(
            destructure + 1 + offset,
            syn::parse_quote!(let #ident = crate::wire::unset(#ident, #message);),
        );
    }
    Ok(count)
}

/// In an impl with one function, the rewrite of [`start_fields_in`].
fn start_fields(imp: &mut ItemImpl, what: &str) -> Result<BTreeMap<String, String>, Error> {
    let name = self_name(imp)?;
    let mut fns = imp.items.iter_mut().filter_map(|item| match item {
        ImplItem::Fn(f) => Some(f),
        _ => None,
    });
    match (fns.next(), fns.next()) {
        (Some(f), None) => start_fields_in(&mut f.block, &format!("{name}: {what}")),
        _ => Err(Error(format!("`{name}`: `{what}` is not one function"))),
    }
}

/// In a function whose body is `Self { field: value, .. }`, replaces each
/// `Err("…".to_string())` with `Err(String::new())`; returns field → message.
fn start_fields_in(block: &mut syn::Block, what: &str) -> Result<BTreeMap<String, String>, Error> {
    let shape = || Error(format!("`{what}` is not `Self {{ field: value, .. }}`"));
    let [syn::Stmt::Expr(Expr::Struct(init), None)] = block.stmts.as_mut_slice() else {
        return Err(shape());
    };
    let mut fields = BTreeMap::new();
    for field in init.fields.iter_mut() {
        let syn::Member::Named(ident) = &field.member else {
            return Err(shape());
        };
        if let Some(message) = message_of(&field.expr) {
            field.expr = syn::parse_quote!(Err(::std::string::String::new()));
            fields.insert(ident.to_string(), message);
        }
    }
    Ok(fields)
}

/// `"…"` in `Err("…".to_string())`.
fn message_of(expr: &Expr) -> Option<String> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Path(func) = &*call.func else {
        return None;
    };
    if !func.path.is_ident("Err") || call.args.len() != 1 {
        return None;
    }
    let Expr::MethodCall(to_string) = &call.args[0] else {
        return None;
    };
    if to_string.method != "to_string" || !to_string.args.is_empty() {
        return None;
    }
    match &*to_string.receiver {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) => Some(text.value()),
        _ => None,
    }
}

/// Rewrites `value.field?` for the fields of `messages`, noting each one seen.
struct FieldReads {
    messages: BTreeMap<String, String>,
    seen: Vec<String>,
}

impl VisitMut for FieldReads {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Expr::Try(tried) = expr
            && let Expr::Field(access) = &*tried.expr
            && let Expr::Path(base) = &*access.base
            && base.path.is_ident("value")
            && let syn::Member::Named(field) = &access.member
            && let Some(message) = self.messages.get(&field.to_string())
        {
            self.seen.push(field.to_string());
            let read = &tried.expr;
            *tried.expr = syn::parse_quote!(crate::wire::unset(#read, #message));
            return;
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }
}

fn is_trait(imp: &ItemImpl, name: &str) -> bool {
    imp.trait_
        .as_ref()
        .and_then(|(_, path, _)| path.segments.last())
        .is_some_and(|s| s.ident == name)
}

fn self_name(imp: &ItemImpl) -> Result<String, Error> {
    match &*imp.self_ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
    .ok_or_else(|| Error("an impl whose type is not a plain path".to_owned()))
}

/// `X` in `impl TryFrom<X> for …`.
fn try_from_source(imp: &ItemImpl) -> Option<String> {
    let (_, path, _) = imp.trait_.as_ref()?;
    let syn::PathArguments::AngleBracketed(args) = &path.segments.last()?.arguments else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        syn::GenericArgument::Type(Type::Path(p)) => {
            p.path.segments.last().map(|s| s.ident.to_string())
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    const OPERATION: &str = r#"
        pub struct Op<'a> { client: &'a Client, id: Result<String, String> }
        impl<'a> Op<'a> {
            pub fn new(client: &'a Client) -> Self {
                Self { client: client, id: Err("id was not initialized".to_string()) }
            }
            pub async fn send(self) -> Result<(), Error> {
                let Self { client, id } = self;
                let id = id.map_err(Error::InvalidRequest)?;
                Ok(())
            }
        }
    "#;

    /// An operation builder and a body builder whose `TryFrom` reads its field as `read`.
    fn file(read: &str) -> syn::File {
        let body = format!(
            r#"
            pub struct Body {{ name: Result<String, String> }}
            impl Default for Body {{
                fn default() -> Self {{
                    Self {{ name: Err("no value supplied for name".to_string()) }}
                }}
            }}
            impl TryFrom<Body> for super::Body {{
                type Error = ConversionError;
                fn try_from(value: Body) -> Result<Self, ConversionError> {{
                    Ok(Self {{ name: {read} }})
                }}
            }}
            "#
        );
        syn::parse_str(&format!(
            "pub mod builder {{ {OPERATION} }} pub mod types {{ pub mod builder {{ {body} }} }}"
        ))
        .unwrap()
    }

    #[test]
    fn fields_start_empty_and_are_named_where_read() {
        let mut file = file("value.name?");
        start_unset_fields(&mut file).unwrap();
        let text = quote!(#file).to_string();
        assert!(!text.contains("to_string"), "{text}");
        assert!(
            text.contains(
                "let Self { client , id } = self ; \
                 let id = crate :: wire :: unset (id , \"id was not initialized\") ;"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "name : crate :: wire :: unset (value . name , \"no value supplied for name\") ?"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_field_read_another_way_is_an_error() {
        let mut file = file("value.name.unwrap_or_default()");
        let error = start_unset_fields(&mut file).unwrap_err().to_string();
        assert!(error.contains("does not read `value.name?`"), "{error}");
    }
}
