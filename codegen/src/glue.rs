//! The call glue: what turns progenitor's output into the `lumin` call style.
//!
//! progenitor emits, for every operation, a builder in `mod builder` whose `send()` returns
//! `Result<ResponseValue<T>, progenitor_client::Error<E>>`, and a method on `Client` that
//! makes it. This module reads those builders back from the generated syntax tree (it
//! finds each builder struct, its setters, the `T` of its `send()` and the operation id it
//! reports to the hooks), splits each `send()` into the request it builds and the
//! decoding of the response (the call layer runs what comes between: see
//! [`split_sends`]), removes progenitor's `Client` methods, and emits in their place:
//!
//! - `pub mod operations`: one public builder per operation wrapping progenitor's, with the
//!   same setters (conversion failures kept as typed errors), per-call options, `send()`
//!   returning `lumin::Result<ResponseValue<T>>`, and `IntoFuture` so that awaiting the
//!   builder yields `lumin::Result<T>`;
//! - the `Client` methods that make them, with progenitor's documentation;
//! - `mod operation_facts`: one `crate::operation::Operation` per operation with what the
//!   spec says about it (method, path, default headers, body rules, success statuses,
//!   retry safety, pagination), handed to the call layer with each call.
//!
//! It also opens every string enum reachable from a response type (see [`open_enums`]).

use std::collections::BTreeMap;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{
    Attribute, FnArg, GenericArgument, Ident, ImplItem, ImplItemFn, Item, ItemImpl, PathArguments,
    ReturnType, Type, WherePredicate,
};

use crate::{CheckFacts, Error, OperationFacts, PaginationFacts, RuleFacts};

/// One operation's builder as progenitor generated it.
struct Builder {
    /// The struct name (`GetUserInformation`).
    name: Ident,
    /// The operation id progenitor reports to the hooks (`get_user_information`).
    operation_id: String,
    /// The `T` of `ResponseValue<T>` that `send()` returns.
    response: Type,
    /// The setters, as generated.
    setters: Vec<ImplItemFn>,
}

/// Options every builder has; an operation parameter with one of these names would clash.
const OPTION_SETTERS: &[&str] = &["timeout", "retry", "send", "run", "into_future", "stream"];

/// Rewrites the generated client in place and returns the glue to append to it.
pub(crate) fn transform(
    file: &mut syn::File,
    facts: &BTreeMap<String, OperationFacts>,
) -> Result<TokenStream, Error> {
    let builders = read_builders(file)?;
    split_sends(file)?;
    let docs = take_client_methods(file);
    remove_panicking_constructor(file);
    let opened = crate::open_enums::open_response_enums(
        file,
        builders.iter().map(|b| &b.response).collect::<Vec<_>>(),
    );
    let open_enum_checks = opened.iter().map(|name| {
        let ty = Ident::new(name, Span::call_site());
        quote! {
            let value: super::types::#ty = ::serde_json::from_str(UNDOCUMENTED_JSON)
                .unwrap_or_else(|e| panic!("{} refused an undocumented value: {e}", #name));
            assert!(
                matches!(&value, super::types::#ty::Unknown(v) if v == UNDOCUMENTED),
                "{} decoded an undocumented value as {value:?}", #name
            );
            assert_eq!(::serde_json::to_string(&value).unwrap(), UNDOCUMENTED_JSON, "{}", #name);
            assert_eq!(value.to_string(), UNDOCUMENTED, "{}", #name);
            assert_eq!(UNDOCUMENTED.parse::<super::types::#ty>().ok(), Some(value), "{}", #name);
            opened.push(#name);
        }
    });
    let opened_count = opened.len();

    let mut wrappers = Vec::new();
    let mut methods = Vec::new();
    let mut tables = Vec::new();
    for builder in &builders {
        let op = facts.get(&builder.operation_id).ok_or_else(|| {
            Error(format!(
                "generated operation `{}` has no entry in the spec's operation facts",
                builder.operation_id
            ))
        })?;
        let name = &builder.name;
        let method_name = Ident::new(&builder.operation_id, Span::call_site());
        let table = format_ident!("{}", builder.operation_id.to_uppercase());
        let response = &builder.response;
        let setters = builder
            .setters
            .iter()
            .map(wrap_setter)
            .collect::<Result<Vec<_>, _>>()?;
        for setter in &builder.setters {
            if OPTION_SETTERS.contains(&setter.sig.ident.to_string().as_str()) {
                return Err(Error(format!(
                    "operation `{}` has a parameter `{}`, which clashes with a builder option",
                    builder.operation_id, setter.sig.ident
                )));
            }
        }
        let doc = format!(
            "Builder for [`Client::{0}`](super::Client::{0}).\n\n\
             Set its parameters, then `.await` it for the decoded body, or `.send().await` \
             for the body with the response's status and headers. Both give \
             [`lumin::Result`](crate::Result).",
            builder.operation_id
        );
        wrappers.push(quote! {
            #[doc = #doc]
            #[derive(Debug, Clone)]
            #[must_use = "a request is sent only when the builder is awaited or sent"]
            pub struct #name<'a> {
                inner: super::builder::#name<'a>,
                options: crate::call::CallOptions,
            }
            impl<'a> #name<'a> {
                pub(crate) fn new(client: &'a super::Client) -> Self {
                    Self {
                        inner: super::builder::#name::new(client),
                        options: crate::call::CallOptions::default(),
                    }
                }
                #(#setters)*
                /// Overrides the client's total timeout for this call.
                pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
                    self.options.set_timeout(timeout);
                    self
                }
                /// Overrides the client's retry policy for this call.
                pub fn retry(mut self, policy: crate::retry::RetryPolicy) -> Self {
                    self.options.set_retry(policy);
                    self
                }
                /// Sends the request: the decoded body, with the response's status and headers.
                pub async fn send(self) -> crate::Result<ResponseValue<#response>> {
                    self.run(::std::convert::identity).await
                }
                /// The call, keeping what `keep` takes of the decoded response.
                fn run<O: 'a>(
                    self,
                    keep: impl FnOnce(ResponseValue<#response>) -> O + Send + 'a,
                ) -> impl ::std::future::Future<Output = crate::Result<O>> + Send + 'a {
                    crate::call::run(
                        &super::operation_facts::#table,
                        self.options,
                        self.inner,
                        super::builder::#name::request,
                        super::builder::#name::decode,
                        keep,
                    )
                }
            }
            impl<'a> ::std::future::IntoFuture for #name<'a> {
                type Output = crate::Result<#response>;
                type IntoFuture = crate::call::CallFuture<'a, #response>;
                fn into_future(self) -> Self::IntoFuture {
                    ::std::boxed::Box::pin(self.run(ResponseValue::into_inner))
                }
            }
        });
        if let Some(pagination) = &op.pagination {
            let stream_method = paged_stream(file, builder, pagination)?;
            wrappers.push(stream_method);
        }
        let doc_attrs = docs.get(&builder.operation_id).cloned().unwrap_or_default();
        methods.push(quote! {
            #(#doc_attrs)*
            pub fn #method_name(&self) -> operations::#name<'_> {
                operations::#name::new(self)
            }
        });
        tables.push(operation_table(&table, op));
    }
    Ok(quote! {
        /// One builder per operation, made by the method of the same name on [`Client`].
        ///
        /// Awaiting a builder sends the request and yields [`lumin::Result<T>`](crate::Result)
        /// with the decoded body; `send()` yields the body with the status and headers.
        /// Generated from `openapi.yaml` by `lumin-codegen`.
        pub mod operations {
            #[allow(unused_imports)]
            use super::{types, ByteStream, ResponseValue};
            #(#wrappers)*
        }
        impl Client {
            #(#methods)*
        }
        /// What the spec says about each operation, read by the call layer.
        pub(crate) mod operation_facts {
            #(#tables)*
        }
        /// Every enum `lumin-codegen` opened (each one reachable from a response) decodes,
        /// prints and re-encodes a value the spec does not list.
        #[cfg(test)]
        mod open_enum_tests {
            const UNDOCUMENTED: &str = "LUMIN_UNDOCUMENTED_VALUE";
            const UNDOCUMENTED_JSON: &str = "\"LUMIN_UNDOCUMENTED_VALUE\"";
            #[test]
            fn every_response_enum_keeps_an_undocumented_value() {
                let mut opened: Vec<&str> = Vec::new();
                #(#open_enum_checks)*
                assert_eq!(opened.len(), #opened_count);
            }
        }
    })
}

/// For an operation with `x-lumin-pagination`: implements `crate::pages::Paged` for its
/// response type (inside `mod types`, from the fields the extension names) and returns
/// the `.stream()` method of its builder.
fn paged_stream(
    file: &mut syn::File,
    builder: &Builder,
    pagination: &PaginationFacts,
) -> Result<TokenStream, Error> {
    let what = |detail: &str| {
        Error(format!(
            "operation `{}` has x-lumin-pagination but {detail}",
            builder.operation_id
        ))
    };
    let Type::Path(response) = &builder.response else {
        return Err(what("its response is not a named type"));
    };
    let response_name = response
        .path
        .segments
        .last()
        .map(|s| s.ident.clone())
        .ok_or_else(|| what("its response is not a named type"))?;
    let types = crate::generated_module(file, "types")
        .ok_or_else(|| Error("progenitor's output has no `mod types`".to_owned()))?;
    let fields = types
        .iter()
        .find_map(|item| match item {
            Item::Struct(s) if s.ident == response_name => Some(s.fields.clone()),
            _ => None,
        })
        .ok_or_else(|| what(&format!("`types::{response_name}` is not a struct")))?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|f| f.ident.as_ref().is_some_and(|i| i == name))
            .ok_or_else(|| what(&format!("`types::{response_name}` has no field `{name}`")))
    };
    let items_field = field(&pagination.items)?;
    let item_ty = match &items_field.ty {
        Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Vec") => {
            p.path.segments.last().and_then(|s| match &s.arguments {
                PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
                    GenericArgument::Type(ty) => Some(ty.clone()),
                    _ => None,
                }),
                _ => None,
            })
        }
        _ => None,
    }
    .ok_or_else(|| what(&format!("its field `{}` is not a Vec", pagination.items)))?;
    field(&pagination.total)?;
    let items_ident = Ident::new(&pagination.items, Span::call_site());
    let total_ident = Ident::new(&pagination.total, Span::call_site());
    let paged: Item = syn::parse_quote! {
        impl crate::pages::Paged for #response_name {
            type Item = #item_ty;
            fn into_page(self) -> (::std::vec::Vec<Self::Item>, ::std::option::Option<crate::wire::Count>) {
                (self.#items_ident, crate::pages::IntoTotal::into_total(self.#total_ident))
            }
        }
    };
    types.push(paged);
    let name = &builder.name;
    let response = &builder.response;
    let doc = format!(
        "Every item of the list, page after page: a [`Stream`](::futures::Stream) that \
         fetches each page with [`send`](Self::send) (so the retry policy applies per page) \
         only when the items before are used up, from page 1 until `{}` items were \
         received. See [`crate::pages`].",
        pagination.total
    );
    Ok(quote! {
        impl<'a> #name<'a> {
            #[doc = #doc]
            pub fn stream(self) -> crate::pages::Items<'a, <#response as crate::pages::Paged>::Item> {
                crate::pages::items(self, |builder: Self, page: crate::limits::Page| {
                    ::std::boxed::Box::pin(async move {
                        builder.page(page).send().await.map(ResponseValue::into_inner)
                    })
                })
            }
        }
    })
}

/// The builders in progenitor's `mod builder`.
fn read_builders(file: &mut syn::File) -> Result<Vec<Builder>, Error> {
    let module = crate::generated_module(file, "builder")
        .ok_or_else(|| Error("progenitor's output has no `mod builder`".to_owned()))?;
    let mut builders = Vec::new();
    for item in module.iter() {
        let Item::Impl(imp) = item else { continue };
        let Type::Path(self_ty) = &*imp.self_ty else {
            continue;
        };
        let Some(name) = self_ty.path.segments.last().map(|s| s.ident.clone()) else {
            continue;
        };
        let mut send = None;
        let mut setters = Vec::new();
        for item in &imp.items {
            let ImplItem::Fn(f) = item else { continue };
            match f.sig.ident.to_string().as_str() {
                "new" => {}
                "send" => send = Some(f),
                _ => setters.push(f.clone()),
            }
        }
        let Some(send) = send else { continue };
        let response = response_type(&send.sig.output).ok_or_else(|| {
            Error(format!(
                "cannot read the response type of `builder::{name}::send`"
            ))
        })?;
        let operation_id = operation_id_in(send).ok_or_else(|| {
            Error(format!(
                "cannot find the operation id in `builder::{name}::send`"
            ))
        })?;
        builders.push(Builder {
            name,
            operation_id,
            response,
            setters,
        });
    }
    Ok(builders)
}

/// `T` in `Result<ResponseValue<T>, _>`.
fn response_type(output: &ReturnType) -> Option<Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let first_generic = |ty: &Type| -> Option<Type> {
        let Type::Path(path) = ty else { return None };
        let PathArguments::AngleBracketed(args) = &path.path.segments.last()?.arguments else {
            return None;
        };
        args.args.iter().find_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty.clone()),
            _ => None,
        })
    };
    first_generic(&first_generic(ty)?)
}

/// The string progenitor puts in `OperationInfo { operation_id: "…" }`.
fn operation_id_in(send: &ImplItemFn) -> Option<String> {
    let tokens: Vec<proc_macro2::TokenTree> = send
        .block
        .stmts
        .iter()
        .flat_map(|stmt| quote!(#stmt))
        .collect();
    find_operation_id(&tokens)
}

fn find_operation_id(tokens: &[proc_macro2::TokenTree]) -> Option<String> {
    use proc_macro2::TokenTree;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Ident(ident) if ident == "operation_id" => {
                if let Some(TokenTree::Literal(lit)) = tokens.get(i + 2) {
                    let text = lit.to_string();
                    return Some(text.trim_matches('"').to_owned());
                }
            }
            TokenTree::Group(group) => {
                let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                if let Some(id) = find_operation_id(&inner) {
                    return Some(id);
                }
            }
            _ => {}
        }
    }
    None
}

/// Removes progenitor's `impl Client` block of operation methods, returning each method's
/// documentation by operation id, reworded for the `lumin` call style.
fn take_client_methods(file: &mut syn::File) -> BTreeMap<String, Vec<Attribute>> {
    let mut docs = BTreeMap::new();
    file.items.retain(|item| {
        let Item::Impl(imp) = item else { return true };
        if !is_impl_of(imp, "Client") || imp.trait_.is_some() {
            return true;
        }
        let all_make_builders = !imp.items.is_empty()
            && imp.items.iter().all(|item| match item {
                ImplItem::Fn(f) => quote!(#f).to_string().contains("builder ::"),
                _ => false,
            });
        if !all_make_builders {
            return true;
        }
        for item in &imp.items {
            if let ImplItem::Fn(f) = item {
                let attrs = f
                    .attrs
                    .iter()
                    .filter(|a| a.path().is_ident("doc"))
                    .map(reword_doc)
                    .collect();
                docs.insert(f.sig.ident.to_string(), attrs);
            }
        }
        false
    });
    docs
}

/// progenitor's example ends in `.send().await`; a `lumin` builder is awaited directly.
fn reword_doc(attr: &Attribute) -> Attribute {
    let syn::Meta::NameValue(nv) = &attr.meta else {
        return attr.clone();
    };
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(text),
        ..
    }) = &nv.value
    else {
        return attr.clone();
    };
    let reworded = text
        .value()
        .replace("    .send()\n    .await;", "    .await?;")
        .replace("let response = ", "let body = ");
    syn::parse_quote!(#[doc = #reworded])
}

/// `Client::new` builds its own `reqwest::Client` and panics when that fails; clients
/// are made by `ClientBuilder`, which reports the failure.
fn remove_panicking_constructor(file: &mut syn::File) {
    for item in &mut file.items {
        let Item::Impl(imp) = item else { continue };
        if is_impl_of(imp, "Client") && imp.trait_.is_none() {
            imp.items
                .retain(|item| !matches!(item, ImplItem::Fn(f) if f.sig.ident == "new"));
        }
    }
}

fn is_impl_of(imp: &ItemImpl, name: &str) -> bool {
    matches!(&*imp.self_ty, Type::Path(p) if p.path.is_ident(name))
}

/// A setter of the wrapper: the same name, generics and argument as progenitor's. A value
/// that must be converted (`V: TryInto<T>`) is converted here, so that a failure keeps its
/// typed error (`LimitError`, a length rule, …) instead of progenitor's text.
fn wrap_setter(setter: &ImplItemFn) -> Result<TokenStream, Error> {
    let name = &setter.sig.ident;
    let field = name.to_string();
    let generics = &setter.sig.generics;
    let args: Vec<&syn::PatType> = setter
        .sig
        .inputs
        .iter()
        .filter_map(|arg| match arg {
            FnArg::Typed(arg) => Some(arg),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let [arg] = args.as_slice() else {
        return Err(Error(format!("setter `{name}` does not take one argument")));
    };
    let arg_name = &arg.pat;
    let arg_ty = &arg.ty;
    if let Some(target) = try_into_target(setter) {
        let doc = format!(
            "Sets `{field}`. A value that does not convert is reported when the request is \
             awaited, as [`Error::InvalidInput`](crate::Error::InvalidInput) naming `{field}`."
        );
        return Ok(quote! {
            #[doc = #doc]
            pub fn #name<V>(mut self, value: V) -> Self
            where
                V: ::std::convert::TryInto<#target>,
                <V as ::std::convert::TryInto<#target>>::Error:
                    ::std::error::Error + ::std::marker::Send + ::std::marker::Sync + 'static,
            {
                match value.try_into() {
                    Ok(value) => self.inner = self.inner.#name(value),
                    Err(error) => self.options.reject(#field, error),
                }
                self
            }
        });
    }
    let where_clause = &generics.where_clause;
    let doc = format!("Changes `{field}` with a function of its builder.");
    Ok(quote! {
        #[doc = #doc]
        pub fn #name #generics (mut self, #arg_name: #arg_ty) -> Self #where_clause {
            self.inner = self.inner.#name(#arg_name);
            self
        }
    })
}

/// `T` when the setter is `fn x<V>(self, value: V) where V: TryInto<T>`.
fn try_into_target(setter: &ImplItemFn) -> Option<Type> {
    let where_clause = setter.sig.generics.where_clause.as_ref()?;
    where_clause.predicates.iter().find_map(|predicate| {
        let WherePredicate::Type(predicate) = predicate else {
            return None;
        };
        if !matches!(&predicate.bounded_ty, Type::Path(p) if p.path.is_ident("V")) {
            return None;
        }
        predicate.bounds.iter().find_map(|bound| {
            let syn::TypeParamBound::Trait(bound) = bound else {
                return None;
            };
            let last = bound.path.segments.last()?;
            if last.ident != "TryInto" {
                return None;
            }
            let PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            args.args.iter().find_map(|arg| match arg {
                GenericArgument::Type(ty) => Some(ty.clone()),
                _ => None,
            })
        })
    })
}

/// `pub(crate) static GET_USER_INFORMATION: crate::operation::Operation = …;`
fn operation_table(name: &Ident, op: &OperationFacts) -> TokenStream {
    let id = &op.operation_id;
    let method = Ident::new(&op.method.to_uppercase(), Span::call_site());
    let path = &op.path;
    let headers = op.default_headers.iter().map(|(name, value)| {
        let name = name.to_ascii_lowercase();
        quote!((#name, #value))
    });
    let rules = if op.rules.is_empty() {
        quote!(None)
    } else {
        let rules = op.rules.iter().map(rule_tokens);
        quote!(Some(&[#(#rules),*]))
    };
    let success = op
        .success_statuses
        .iter()
        .map(|(lo, hi)| quote!((#lo, #hi)));
    let retry_safe = op.retry_safe;
    let pagination = match &op.pagination {
        Some(p) => {
            let items = &p.items;
            let total = &p.total;
            quote!(Some(crate::operation::Pagination { items: #items, total: #total }))
        }
        None => quote!(None),
    };
    quote! {
        pub(crate) static #name: crate::operation::Operation = crate::operation::Operation {
            id: #id,
            method: ::reqwest::Method::#method,
            path: #path,
            default_headers: &[#(#headers),*],
            rules: #rules,
            success_statuses: &[#(#success),*],
            retry_safe: #retry_safe,
            pagination: #pagination,
        };
    }
}

/// `crate::rules::Rule { at: "…", check: crate::rules::Check::… }`
fn rule_tokens(rule: &RuleFacts) -> TokenStream {
    let at = &rule.at;
    let check = match &rule.check {
        CheckFacts::AtMostOne(fields) => quote!(AtMostOne(&[#(#fields),*])),
        CheckFacts::AtLeastOne(fields) => quote!(AtLeastOne(&[#(#fields),*])),
        CheckFacts::MinItems { field, min } => {
            let min = usize::try_from(*min).unwrap_or(usize::MAX);
            quote!(MinItems { field: #field, min: #min })
        }
        CheckFacts::RequiredIf { when, then } => {
            let when = when.iter().map(|(field, value)| quote!((#field, #value)));
            quote!(RequiredIf { when: &[#(#when),*], then: &[#(#then),*] })
        }
        CheckFacts::Includes { field, values } => {
            quote!(Includes { field: #field, values: &[#(#values),*] })
        }
    };
    quote!(crate::rules::Rule { at: #at, check: crate::rules::Check::#check })
}

/// Splits each builder's `send()` in `mod builder` into the two halves the call layer
/// runs, and removes it:
///
/// - `request(self)`: the statements before progenitor's hooks, which check the
///   parameters and build the `reqwest::Request`; returns it with the client;
/// - `decode(response)`: the final `match` on the status, which decodes the body.
///
/// What progenitor put between them (the `pre`, `exec` and `post` hooks) is the call
/// layer's job (`crate::call::run`), so nothing of it is kept. The `api-version` header
/// progenitor adds to every request (the spec's document version, not a header Lumin
/// defines) is dropped here rather than removed from every request at run time.
fn split_sends(file: &mut syn::File) -> Result<(), Error> {
    let module = crate::generated_module(file, "builder")
        .ok_or_else(|| Error("progenitor's output has no `mod builder`".to_owned()))?;
    for item in module.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let Some(index) = imp
            .items
            .iter()
            .position(|item| matches!(item, ImplItem::Fn(f) if f.sig.ident == "send"))
        else {
            continue;
        };
        let ImplItem::Fn(send) = imp.items.remove(index) else {
            continue;
        };
        let name = match &*imp.self_ty {
            Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        }
        .unwrap_or_default();
        let (request, decode) = split_send(&send)
            .map_err(|detail| Error(format!("`builder::{name}::send`: {detail}")))?;
        imp.items.push(ImplItem::Fn(request));
        imp.items.push(ImplItem::Fn(decode));
    }
    Ok(())
}

/// `request` and `decode` from one `send()` (see [`split_sends`]).
fn split_send(send: &ImplItemFn) -> Result<(ImplItemFn, ImplItemFn), String> {
    let stmts = &send.block.stmts;
    let is_local = |stmt: &syn::Stmt, name: &str| {
        matches!(stmt, syn::Stmt::Local(local)
            if matches!(&local.pat, syn::Pat::Ident(p) if p.ident == name))
    };
    let hooks_at = stmts
        .iter()
        .position(|stmt| is_local(stmt, "info"))
        .ok_or("no `let info = OperationInfo { .. }`")?;
    // `info`, then the `pre`, `exec` and `post` hooks, then `let response = result?;`,
    // then the `match` on the status.
    let [_info, _pre, _exec, _post, response, tail] = &stmts[hooks_at..] else {
        return Err("the statements after the hooks are not the expected ones".to_owned());
    };
    if !is_local(response, "response") {
        return Err("no `let response = result?;` after the hooks".to_owned());
    }
    let syn::Stmt::Expr(tail, None) = tail else {
        return Err("it does not end in an expression".to_owned());
    };
    let mut build: Vec<syn::Stmt> = stmts[..hooks_at].to_vec();
    if !build.iter().any(|stmt| is_local(stmt, "request")) {
        return Err("no `let request = …` before the hooks".to_owned());
    }
    drop_generator_version(&mut build)?;
    encode_paths_in_place(&mut build)?;
    url_from_base(&mut build)?;
    let ReturnType::Type(_, output) = &send.sig.output else {
        return Err("it returns nothing".to_owned());
    };
    let error = nth_generic(output, 1).ok_or("its return type is not `Result<_, E>`")?;
    let (_, fields) = crate::destructuring(&build).ok_or("no `let Self { .. } = self;`")?;
    let kept = fields.iter().map(|field| {
        // Each field's local now holds its checked value (the body as its model); the
        // builder form is `From` it (typify's body builders, or the value itself).
        quote!(#field: Ok(::std::convert::From::from(#field)))
    });
    let request: ImplItemFn = syn::parse_quote! {
        /// Checks the parameters and builds the request, without sending it; returns the
        /// builder again, made from the checked values the request borrowed, for a retry.
        pub(crate) fn request(
            self,
        ) -> ::std::result::Result<(&'a super::Client, ::reqwest::Request, Self), #error> {
            #(#build)*
            let again = Self { client, #(#kept),* };
            Ok((client, request, again))
        }
    };
    let mut success = success_arm(tail)?;
    syn::visit_mut::VisitMut::visit_expr_mut(&mut MoveHeaders, &mut success);
    // `decoder(response).await` becomes the decoder's future; a value, a ready one.
    let future = match success {
        syn::Expr::Await(awaited) => *awaited.base,
        value => syn::parse_quote!(::std::future::ready(#value)),
    };
    let value = nth_generic(output, 0).ok_or("its return type is not `Result<T, _>`")?;
    let decode: ImplItemFn = syn::parse_quote! {
        /// Decodes a success response as the spec documents it (the call layer has
        /// turned every other status into an error).
        pub(crate) fn decode(
            response: ::reqwest::Response,
        ) -> impl ::std::future::Future<
            Output = ::std::result::Result<#value, crate::call::Undecoded>,
        > + Send {
            #future
        }
    };
    Ok((request, decode))
}

/// The body of the one arm of `match response.status().as_u16() { … }` that takes a
/// success status (`200u16`, `201u16`, `200..=299`).
fn success_arm(tail: &syn::Expr) -> Result<syn::Expr, String> {
    let syn::Expr::Match(matched) = tail else {
        return Err("it does not end in a `match` on the status".to_owned());
    };
    let first_status = |pat: &syn::Pat| -> Option<u16> {
        let lit = match pat {
            syn::Pat::Lit(lit) => &lit.lit,
            syn::Pat::Range(range) => match range.start.as_deref() {
                Some(syn::Expr::Lit(lit)) => &lit.lit,
                _ => return None,
            },
            _ => return None,
        };
        match lit {
            syn::Lit::Int(n) => n.base10_parse().ok(),
            _ => None,
        }
    };
    let mut success = matched
        .arms
        .iter()
        .filter(|arm| first_status(&arm.pat).is_some_and(|s| (200..300).contains(&s)));
    match (success.next(), success.next()) {
        (Some(arm), None) => Ok(unblock(&arm.body)),
        (None, _) => Err("no arm for a success status".to_owned()),
        (Some(_), Some(_)) => {
            Err("more than one success response, which the call glue does not split".to_owned())
        }
    }
}

/// `{ e }` as `e`.
fn unblock(expr: &syn::Expr) -> syn::Expr {
    match expr {
        syn::Expr::Block(block) if block.attrs.is_empty() && block.label.is_none() => {
            match block.block.stmts.as_slice() {
                [syn::Stmt::Expr(inner, None)] => unblock(inner),
                _ => expr.clone(),
            }
        }
        _ => expr.clone(),
    }
}

/// Replaces `ResponseValue::from_response`, which copies the response's headers, with
/// `crate::call::decode_json`, which does the same but moves them.
struct MoveHeaders;

impl syn::visit_mut::VisitMut for MoveHeaders {
    fn visit_expr_path_mut(&mut self, expr: &mut syn::ExprPath) {
        let names: Vec<String> = expr
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        if names.ends_with(&["ResponseValue".to_owned(), "from_response".to_owned()]) {
            *expr = syn::parse_quote!(crate::call::decode_json);
        }
    }
}

/// Removes `header_map.append("api-version", …)` and the room reserved for it; a map
/// left empty goes entirely.
fn drop_generator_version(stmts: &mut Vec<syn::Stmt>) -> Result<(), String> {
    let mentions = |stmt: &syn::Stmt| quote!(#stmt).to_string().contains("\"api-version\"");
    let before = stmts.len();
    stmts.retain(|stmt| !mentions(stmt) || matches!(stmt, syn::Stmt::Local(_)));
    if stmts.len() + 1 != before {
        return Err("no single `api-version` header to drop".to_owned());
    }
    let capacity = stmts
        .iter_mut()
        .find_map(|stmt| match stmt {
            syn::Stmt::Local(local)
                if matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "header_map") =>
            {
                match local.init.as_mut().map(|init| &mut *init.expr) {
                    Some(syn::Expr::Call(call)) => match call.args.first_mut() {
                        Some(syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Int(n),
                            ..
                        })) => Some(n),
                        _ => None,
                    },
                    _ => None,
                }
            }
            _ => None,
        })
        .ok_or("no `let mut header_map = HeaderMap::with_capacity(n)`")?;
    let n: usize = capacity.base10_parse().map_err(|e| e.to_string())?;
    let n = n
        .checked_sub(1)
        .ok_or("the header map has no room for `api-version`")?;
    *capacity = syn::LitInt::new(&format!("{n}usize"), capacity.span());
    if n == 0 {
        // Nothing else is added to it: no map, and nothing merged into the request.
        stmts.retain(|stmt| {
            !matches!(stmt, syn::Stmt::Local(local)
                if matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "header_map"))
        });
        let mut unmerge = Unmerge(0);
        for stmt in stmts.iter_mut() {
            syn::visit_mut::VisitMut::visit_stmt_mut(&mut unmerge, stmt);
        }
        if unmerge.0 != 1 {
            return Err(format!(
                "expected one `.headers(header_map)`, found {}",
                unmerge.0
            ));
        }
    }
    Ok(())
}

/// Writes path parameters into the URL percent-encoded as they are formatted:
/// `encode_path(&x.to_string())` (two strings made and dropped for each parameter)
/// becomes `x.path_segment()` (`crate::call::PathText`), which encodes the same way.
fn encode_paths_in_place(stmts: &mut [syn::Stmt]) -> Result<(), String> {
    let mut rewrite = PathSegments(Ok(()));
    for stmt in stmts.iter_mut() {
        syn::visit_mut::VisitMut::visit_stmt_mut(&mut rewrite, stmt);
    }
    rewrite.0
}

/// Makes the URL from the client's parsed base URL: progenitor's
/// `let url = format!("{}/path/{}", client.baseurl, …);` becomes
/// `let url = client.inner.base.with_path(format_args!("/path/{}", …));`
/// (`crate::endpoint::BaseUrl`). Formatting the whole URL made reqwest parse its scheme and
/// host again on every call; the path is the only part that changes.
fn url_from_base(stmts: &mut [syn::Stmt]) -> Result<(), String> {
    let mut found = 0;
    for stmt in stmts.iter_mut() {
        let syn::Stmt::Local(local) = stmt else {
            continue;
        };
        if !matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "url") {
            continue;
        }
        let Some(init) = local.init.as_mut() else {
            return Err("`let url;` has no value".to_owned());
        };
        let syn::Expr::Macro(mac) = &*init.expr else {
            return Err("`let url = …` is not a `format!`".to_owned());
        };
        if !mac.mac.path.is_ident("format") {
            return Err("`let url = …` is not a `format!`".to_owned());
        }
        let args = mac
            .mac
            .parse_body_with(
                syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
            )
            .map_err(|e| format!("the URL's `format!` does not parse: {e}"))?;
        let mut args = args.into_iter();
        let (
            Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            })),
            Some(base),
        ) = (args.next(), args.next())
        else {
            return Err("the URL's `format!` has no text and base URL".to_owned());
        };
        let is_base = matches!(&base, syn::Expr::Field(field)
            if matches!(&field.member, syn::Member::Named(m) if m == "baseurl")
            && matches!(&*field.base, syn::Expr::Path(p) if p.path.is_ident("client")));
        if !is_base {
            return Err("the URL's first argument is not `client.baseurl`".to_owned());
        }
        let path = text.value();
        let Some(path) = path.strip_prefix("{}").filter(|p| p.starts_with('/')) else {
            return Err(format!(
                "the URL's format text {path:?} does not start with `{{}}/`"
            ));
        };
        let path = syn::LitStr::new(path, text.span());
        let rest: Vec<syn::Expr> = args.collect();
        *init.expr = syn::parse_quote! {
            client.inner.base.with_path(::std::format_args!(#path #(, #rest)*))
        };
        found += 1;
    }
    match found {
        1 => Ok(()),
        n => Err(format!("expected one `let url = format!(…)`, found {n}")),
    }
}

/// The rewrite of [`encode_paths_in_place`], in every macro's tokens (the URL is a
/// `format!`); any `encode_path` not in the expected shape is an error.
struct PathSegments(Result<(), String>);

impl syn::visit_mut::VisitMut for PathSegments {
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        match path_segments(std::mem::take(&mut mac.tokens)) {
            Ok(tokens) => mac.tokens = tokens,
            Err(e) => self.0 = Err(e),
        }
    }
}

fn path_segments(tokens: TokenStream) -> Result<TokenStream, String> {
    use proc_macro2::{Delimiter, Group, TokenTree};
    let mut out = Vec::new();
    let mut iter = tokens.into_iter();
    while let Some(token) = iter.next() {
        match token {
            TokenTree::Ident(ident) if ident == "encode_path" => {
                let Some(TokenTree::Group(args)) = iter.next() else {
                    return Err("`encode_path` without its arguments".to_owned());
                };
                let inner: Vec<TokenTree> = args.stream().into_iter().collect();
                // `& <value> . to_string ( )`
                let shape = match inner.as_slice() {
                    [
                        TokenTree::Punct(amp),
                        value @ ..,
                        TokenTree::Punct(dot),
                        TokenTree::Ident(call),
                        TokenTree::Group(empty),
                    ] if amp.as_char() == '&'
                        && dot.as_char() == '.'
                        && call == "to_string"
                        && empty.delimiter() == Delimiter::Parenthesis
                        && empty.stream().is_empty()
                        && !value.is_empty() =>
                    {
                        Some(value.iter().cloned().collect::<TokenStream>())
                    }
                    _ => None,
                };
                let Some(value) = shape else {
                    return Err(format!(
                        "`encode_path({})` is not `&x.to_string()`",
                        args.stream()
                    ));
                };
                // A method call, so that it derefs as `to_string` did (typify's string
                // newtypes are not `Display`; the `String` inside is).
                let mut group = Group::new(
                    Delimiter::Brace,
                    quote!(use crate::call::PathText as _; (#value).path_segment()),
                );
                group.set_span(args.span());
                out.push(TokenTree::Group(group));
            }
            TokenTree::Group(group) => {
                let mut inner = Group::new(group.delimiter(), path_segments(group.stream())?);
                inner.set_span(group.span());
                out.push(TokenTree::Group(inner));
            }
            other => out.push(other),
        }
    }
    Ok(out.into_iter().collect())
}

/// Replaces `builder.headers(header_map)` with `builder`, counting the replacements.
struct Unmerge(usize);

impl syn::visit_mut::VisitMut for Unmerge {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        if let syn::Expr::MethodCall(call) = expr
            && call.method == "headers"
            && matches!(call.args.first(), Some(syn::Expr::Path(p)) if p.path.is_ident("header_map"))
            && call.args.len() == 1
        {
            *expr = (*call.receiver).clone();
            self.0 += 1;
        }
    }
}

/// The `n`th type argument of the last segment of a path type (`Result<A, B>` → `B`).
fn nth_generic(ty: &Type, n: usize) -> Option<Type> {
    let Type::Path(path) = ty else { return None };
    let PathArguments::AngleBracketed(args) = &path.path.segments.last()?.arguments else {
        return None;
    };
    args.args
        .iter()
        .filter_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty.clone()),
            _ => None,
        })
        .nth(n)
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn statements(code: &str) -> Vec<syn::Stmt> {
        syn::parse_str::<syn::Block>(&format!("{{ {code} }}"))
            .unwrap()
            .stmts
    }

    /// `code` with its URL rewritten, printed.
    fn rewritten(code: &str) -> String {
        let mut stmts = statements(code);
        url_from_base(&mut stmts).unwrap();
        stmts.iter().map(|s| quote!(#s).to_string()).collect()
    }

    #[test]
    fn the_url_is_the_base_with_the_path_set() {
        let text = rewritten(
            r#"let Self { client, id } = self;
               let url = format!("{}/signature_request/{}/cancel", client.baseurl, { (id).path_segment() },);
               let request = client.client.post(url);"#,
        );
        assert!(
            text.contains(
                "let url = client . inner . base . with_path (:: std :: format_args ! \
                 (\"/signature_request/{}/cancel\" , { (id) . path_segment () })) ;"
            ),
            "{text}"
        );
        let text = rewritten(r#"let url = format!("{}/user/info", client.baseurl);"#);
        assert!(
            text.contains("with_path (:: std :: format_args ! (\"/user/info\"))"),
            "{text}"
        );
    }

    #[test]
    fn a_url_made_another_way_is_an_error() {
        for (code, why) in [
            (
                r#"let url = format!("{}/x", other.baseurl);"#,
                "not `client.baseurl`",
            ),
            (
                r#"let url = format!("https://h/{}", client.baseurl);"#,
                "does not start with `{}/`",
            ),
            (r#"let url = client.baseurl.clone();"#, "not a `format!`"),
            (r#"let request = 1;"#, "found 0"),
        ] {
            let error = url_from_base(&mut statements(code)).unwrap_err();
            assert!(error.contains(why), "{code}: {error}");
        }
    }
}
