//! Forward-compatible response enums.
//!
//! Lumin may add a value to any enum it sends (a new signature request status, say). A
//! closed Rust enum would then fail to decode the whole response. Every string enum
//! reachable from an operation's response type therefore gets one more variant,
//! `Unknown(String)`, marked `#[serde(untagged)]`: an undocumented value decodes into it
//! and serializes back unchanged. Enums only ever sent (request enums) stay closed, so
//! sending an undocumented value remains the caller's error.

use std::collections::{BTreeMap, BTreeSet};

use quote::quote;
use syn::{Fields, Item, ItemEnum, Type};

/// Opens, in the generated `mod types`, every unit-only enum reachable from `roots`.
/// Returns the names of the enums opened.
pub(crate) fn open_response_enums(file: &mut syn::File, roots: Vec<&Type>) -> BTreeSet<String> {
    let Some(types) = crate::generated_module(file, "types") else {
        return BTreeSet::new();
    };
    let mut fields_of: BTreeMap<String, Vec<Type>> = BTreeMap::new();
    let mut string_enums = BTreeSet::new();
    for item in types.iter() {
        match item {
            Item::Struct(s) => {
                fields_of.insert(
                    s.ident.to_string(),
                    s.fields.iter().map(|f| f.ty.clone()).collect(),
                );
            }
            Item::Enum(e) => {
                if is_string_enum(e) {
                    string_enums.insert(e.ident.to_string());
                } else {
                    fields_of.insert(
                        e.ident.to_string(),
                        e.variants
                            .iter()
                            .flat_map(|v| v.fields.iter().map(|f| f.ty.clone()))
                            .collect(),
                    );
                }
            }
            _ => {}
        }
    }
    // Walk from the response types through every field type.
    let mut seen = BTreeSet::new();
    let mut queue: Vec<String> = roots.iter().flat_map(|ty| idents_in(ty)).collect();
    let mut reached = BTreeSet::new();
    while let Some(name) = queue.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if string_enums.contains(&name) {
            reached.insert(name.clone());
        }
        if let Some(fields) = fields_of.get(&name) {
            queue.extend(fields.iter().flat_map(idents_in));
        }
    }
    for item in types.iter_mut() {
        if let Item::Enum(e) = item
            && reached.contains(&e.ident.to_string())
        {
            open(e);
        }
    }
    // Display and FromStr know every variant by name; rewrite them for the new one.
    for item in types.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let Type::Path(self_ty) = &*imp.self_ty else {
            continue;
        };
        let Some(name) = self_ty.path.get_ident().map(ToString::to_string) else {
            continue;
        };
        if !reached.contains(&name) {
            continue;
        }
        let Some((_, trait_path, _)) = &imp.trait_ else {
            continue;
        };
        let trait_name = trait_path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        for item in &mut imp.items {
            let syn::ImplItem::Fn(f) = item else { continue };
            match (trait_name.as_str(), f.sig.ident.to_string().as_str()) {
                ("Display", "fmt") => {
                    add_unknown_arm(f, quote!(Self::Unknown(value) => f.write_str(value)))
                }
                ("FromStr", "from_str") => replace_wildcard_arm(f),
                _ => {}
            }
        }
    }
    reached
}

/// An enum whose variants are all unit variants (typify's string enums).
fn is_string_enum(e: &ItemEnum) -> bool {
    !e.variants.is_empty() && e.variants.iter().all(|v| matches!(v.fields, Fields::Unit))
}

fn idents_in(ty: &Type) -> Vec<String> {
    let mut out = Vec::new();
    let tokens = quote!(#ty);
    collect_idents(tokens, &mut out);
    out
}

fn collect_idents(tokens: proc_macro2::TokenStream, out: &mut Vec<String>) {
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Ident(ident) => out.push(ident.to_string()),
            proc_macro2::TokenTree::Group(group) => collect_idents(group.stream(), out),
            _ => {}
        }
    }
}

/// Adds `Unknown(String)`, drops `Copy` (a `String` is not `Copy`).
fn open(e: &mut ItemEnum) {
    for attr in &mut e.attrs {
        if !attr.path().is_ident("derive") {
            continue;
        }
        if let Ok(list) = attr.parse_args_with(
            syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
        ) {
            let kept: Vec<&syn::Path> = list.iter().filter(|p| !p.is_ident("Copy")).collect();
            *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
        }
    }
    e.variants.push(syn::parse_quote! {
        /// A value this version of the crate does not know, kept as Lumin sent it.
        #[serde(untagged)]
        Unknown(::std::string::String)
    });
}

/// `match *self { … }` becomes `match self { …, <arm> }`.
fn add_unknown_arm(f: &mut syn::ImplItemFn, arm: proc_macro2::TokenStream) {
    let arm: syn::Arm = syn::parse_quote!(#arm,);
    visit_match(&mut f.block, &mut |m| {
        if let syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Deref(_),
            expr,
            ..
        }) = &*m.expr
        {
            m.expr = expr.clone();
        }
        m.arms.push(arm.clone());
    });
}

/// The `_ => Err(..)` arm of `from_str` becomes `other => Ok(Self::Unknown(other.to_owned()))`.
fn replace_wildcard_arm(f: &mut syn::ImplItemFn) {
    visit_match(&mut f.block, &mut |m| {
        for arm in &mut m.arms {
            if matches!(arm.pat, syn::Pat::Wild(_)) {
                *arm = syn::parse_quote!(other => Ok(Self::Unknown(other.to_owned())),);
            }
        }
    });
}

fn visit_match(block: &mut syn::Block, f: &mut dyn FnMut(&mut syn::ExprMatch)) {
    for stmt in &mut block.stmts {
        if let syn::Stmt::Expr(syn::Expr::Match(m), _) = stmt {
            f(m);
        }
    }
}
