//! The item under `#[profile]`: a function whose body is kept as tokens, so that a body with a
//! syntax error is still emitted unchanged and rustc reports the user's real error.

use proc_macro2::TokenStream;
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

/// Whether an attribute is `#[profile]`, `#[profile(..)]` or `#[profkit::profile(..)]`.
pub(crate) fn is_profile_attr(attr: &Attribute) -> bool {
    let segments: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    matches!(
        segments.iter().map(String::as_str).collect::<Vec<_>>()[..],
        ["profile"] | ["profkit", "profile"]
    )
}

/// Re-parses any function-shaped syntax node (`ImplItemFn`, `TraitItemFn` with a body, `ItemFn`)
/// as a [`MaybeItemFn`].
pub(crate) fn as_maybe_fn(node: &impl ToTokens) -> syn::Result<MaybeItemFn> {
    syn::parse2(node.to_token_stream())
}
