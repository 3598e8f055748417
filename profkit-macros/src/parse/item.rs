//! The item under `#[profile]`: a function whose body is kept as tokens, so that a body with a
//! syntax error is still emitted unchanged and rustc reports the user's real error.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Signature, Visibility, braced};

/// A function item with an unparsed body.
pub(crate) struct MaybeItemFn {
    pub(crate) outer_attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// `#![...]` attributes at the top of the body; they must stay first.
    pub(crate) inner_attrs: Vec<Attribute>,
    pub(crate) body: TokenStream,
    /// The span of the body's braces, which the new body keeps (so diagnostics about the
    /// function point at it, not at the attribute).
    pub(crate) brace_span: proc_macro2::Span,
}

impl Parse for MaybeItemFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let outer_attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        let content;
        let brace = braced!(content in input);
        let inner_attrs = content.call(Attribute::parse_inner)?;
        let body: TokenStream = content.parse()?;
        Ok(MaybeItemFn {
            outer_attrs,
            vis,
            sig,
            inner_attrs,
            body,
            brace_span: brace.span.join(),
        })
    }
}

/// Whether an attribute is this one, as an enclosing `#[profile]` can tell: `#[profile]`,
/// `#[profkit::profile]` (`::profkit::profile` too), or `#[<path>::profile]` where `path` is the
/// enclosing attribute's `crate = "path"`, each with or without options. Under another name
/// (`use profkit::profile as timed`) it is not recognised, but it finds its function already
/// instrumented ([`is_instrumented`]) and leaves it as it is.
pub(crate) fn is_profile_attr(attr: &Attribute, krate: Option<&syn::Path>) -> bool {
    let names = |path: &syn::Path| -> Vec<String> {
        path.segments.iter().map(|s| s.ident.to_string()).collect()
    };
    let segments = names(attr.path());
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    if matches!(segments[..], ["profile"] | ["profkit", "profile"]) {
        return true;
    }
    krate.is_some_and(|k| {
        let mut own = names(k);
        own.push("profile".to_owned());
        own == segments
    })
}

/// Whether a function body is already instrumented by `#[profile]`: its first statement
/// declares profkit's call site (`static __PROFKIT_SITE`), which only this macro writes there.
/// Then an enclosing `#[profile]` got to it first, under a name that attribute could not
/// recognise, and the body is left as it is rather than timed twice.
pub(crate) fn is_instrumented(body: &TokenStream) -> bool {
    /// The site sits a few groups deep: `enter({ .. })`, `instrument({ .. }, ..)`,
    /// `Box::pin(instrument({ .. }, ..))`; the user's own code is never searched further.
    const MAX_DEPTH: usize = 3;
    fn declares_site(tokens: TokenStream, depth: usize) -> bool {
        let mut after_static = false;
        for token in tokens {
            match token {
                TokenTree::Ident(i) if after_static && i == "__PROFKIT_SITE" => return true,
                TokenTree::Ident(i) => after_static = i == "static",
                TokenTree::Group(g) if depth < MAX_DEPTH => {
                    if declares_site(g.stream(), depth + 1) {
                        return true;
                    }
                    after_static = false;
                }
                _ => after_static = false,
            }
        }
        false
    }
    let first: TokenStream = body
        .clone()
        .into_iter()
        .take_while(|t| !matches!(t, TokenTree::Punct(p) if p.as_char() == ';'))
        .collect();
    declares_site(first, 0)
}

/// Re-parses any function-shaped syntax node (`ImplItemFn`, `TraitItemFn` with a body, `ItemFn`)
/// as a [`MaybeItemFn`].
pub(crate) fn as_maybe_fn(node: &impl ToTokens) -> syn::Result<MaybeItemFn> {
    syn::parse2(node.to_token_stream())
}
