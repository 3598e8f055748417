//! Items `#[profile]` cannot time. Each refusal names the item's kind and what to do instead,
//! and points at the item's name (or its keyword when it has none), never at its doc comment.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::Item;

/// A function without a body, `fn get(&self) -> u32;`: a trait method without a default body
/// or a function of an `extern` block (from the tokens alone the two look the same).
pub(super) fn bodiless_fn(name: &syn::Ident) -> syn::Error {
    syn::Error::new(
        name.span(),
        format!(
            "#[profile] needs a body to time, and `{name}` has none (a trait method without a \
             default body, or a function of an `extern` block); put #[profile] on the trait's \
             implementations of `{name}`, or on a Rust function that calls the foreign one"
        ),
    )
}

/// The error for an item that is not a function, an `impl` block, a `trait` or an inline `mod`.
pub(super) fn not_timeable(item: &Item) -> syn::Error {
    let (span, message): (Span, String) = match item {
        Item::Const(c) => (
            c.ident.span(),
            "#[profile] cannot time a `const`: its value is computed at compile time; to time \
             a closure or a block, put `profkit::profile_scope!(\"name\");` inside it"
                .into(),
        ),
        Item::Static(s) => (
            s.ident.span(),
            "#[profile] cannot time a `static`: its value is computed at compile time; to time \
             a closure stored in it, put `profkit::profile_scope!(\"name\");` inside the closure"
                .into(),
        ),
        Item::Struct(s) => (s.ident.span(), data_type("struct")),
        Item::Enum(e) => (e.ident.span(), data_type("enum")),
        Item::Union(u) => (u.ident.span(), data_type("union")),
        Item::Type(t) => (
            t.ident.span(),
            "#[profile] cannot time a `type` alias: it runs no code; put #[profile] on the \
             `impl` blocks of the type it names"
                .into(),
        ),
        Item::Use(u) => (
            first_span(&u.tree.to_token_stream()),
            "#[profile] cannot time a `use` declaration: it imports names and runs no code; put \
             #[profile] on the function where it is defined"
                .into(),
        ),
        Item::ExternCrate(e) => (
            e.ident.span(),
            "#[profile] cannot time an `extern crate`: it runs no code; put #[profile] on the \
             functions of that crate you write, or profile the functions that call it"
                .into(),
        ),
        Item::ForeignMod(f) => (
            f.abi.extern_token.span,
            "#[profile] cannot time an `extern` block: its functions are defined outside Rust, \
             with no body to time; put #[profile] on a Rust function that calls them"
                .into(),
        ),
        Item::Macro(m) => match &m.ident {
            Some(name) => (
                name.span(),
                "#[profile] cannot time a `macro_rules!` macro: it expands at compile time; put \
                 #[profile] on the functions its expansion defines, or \
                 `profkit::profile_scope!(\"name\");` in the code it expands to"
                    .into(),
            ),
            None => (
                first_span(&m.mac.path.to_token_stream()),
                "#[profile] cannot time a macro invocation: it expands before the attribute \
                 could see its functions; put #[profile] on the functions inside the macro's \
                 expansion"
                    .into(),
            ),
        },
        Item::TraitAlias(t) => (
            t.ident.span(),
            "#[profile] cannot time a trait alias: it runs no code; put #[profile] on the \
             `trait` or its `impl` blocks"
                .into(),
        ),
        other => (
            name_span(&other.to_token_stream()),
            "#[profile] applies to a function, an `impl` block, a `trait` or an inline `mod`; \
             to time a closure or a block, put `profkit::profile_scope!(\"name\");` inside it"
                .into(),
        ),
    };
    syn::Error::new(span, message)
}

fn data_type(kind: &str) -> String {
    format!(
        "#[profile] cannot time a {kind}: it holds data and runs no code; put #[profile] on its \
         `impl` block to time its methods"
    )
}

/// The first token of `tokens`, or the call site when there is none.
pub(super) fn first_span(tokens: &TokenStream) -> Span {
    tokens
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}

/// The first identifier after the attributes of an item given as tokens (its keyword or its
/// name), so that an error never points at a doc comment.
pub(super) fn name_span(tokens: &TokenStream) -> Span {
    let mut after_pound = false;
    for token in tokens.clone() {
        match token {
            TokenTree::Punct(p) if p.as_char() == '#' => after_pound = true,
            // `#[...]` and `#![...]`: the group after `#` (and `!`) is an attribute.
            TokenTree::Punct(p) if p.as_char() == '!' && after_pound => {}
            TokenTree::Group(_) if after_pound => after_pound = false,
            TokenTree::Ident(i) if i != "pub" => return i.span(),
            _ => after_pound = false,
        }
    }
    first_span(tokens)
}
