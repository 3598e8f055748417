//! The options of `#[profile(...)]`, one spanned error per misuse.

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Token};

/// Parsed `#[profile(...)]` options.
#[derive(Clone, Default)]
pub(crate) struct Args {
    /// `name = "..."`: the row name instead of the function's path.
    pub(crate) name: Option<LitStr>,
    /// `skip`: inside an instrumented `impl`, `trait` or `mod`, leave this function alone.
    pub(crate) skip: Option<Span>,
}

const OPTIONS: &str = "the options are `name = \"...\"` and `skip`";

impl Args {
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Args> {
        Parser::parse2(Args::parse_options, tokens)
    }

    /// The options of an attribute found on an item inside an instrumented block.
    pub(crate) fn from_attr(attr: &syn::Attribute) -> syn::Result<Args> {
        match &attr.meta {
            Meta::Path(_) => Ok(Args::default()),
            Meta::List(list) => Args::parse(list.tokens.clone()),
            Meta::NameValue(nv) => Err(syn::Error::new_spanned(
                nv,
                format!("expected `#[profile]` or `#[profile(...)]`; {OPTIONS}"),
            )),
        }
    }

    fn parse_options(input: ParseStream<'_>) -> syn::Result<Args> {
        let mut args = Args::default();
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated(input)?;
        for meta in metas {
            let path = meta.path();
            if path.is_ident("name") {
                let Meta::NameValue(nv) = &meta else {
                    return Err(syn::Error::new_spanned(&meta, "expected `name = \"...\"`"));
                };
                let Expr::Lit(ExprLit {
                    lit: Lit::Str(lit), ..
                }) = &nv.value
                else {
                    return Err(syn::Error::new_spanned(
                        &nv.value,
                        "`name` takes a string literal: `name = \"...\"`",
                    ));
                };
                if args.name.is_some() {
                    return Err(syn::Error::new_spanned(&meta, "duplicate `name` option"));
                }
                if lit.value().trim().is_empty() {
                    return Err(syn::Error::new_spanned(lit, "`name` must not be empty"));
                }
                args.name = Some(lit.clone());
            } else if path.is_ident("skip") {
                if !matches!(meta, Meta::Path(_)) {
                    return Err(syn::Error::new_spanned(&meta, "`skip` takes no value"));
                }
                if args.skip.is_some() {
                    return Err(syn::Error::new_spanned(&meta, "duplicate `skip` option"));
                }
                args.skip = Some(meta.span());
            } else {
                let shown = path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect::<Vec<_>>()
                    .join("::");
                return Err(syn::Error::new_spanned(
                    path,
                    format!("unknown `#[profile]` option `{shown}`; {OPTIONS}"),
                ));
            }
        }
        if let (Some(skip), Some(_)) = (args.skip, &args.name) {
            return Err(syn::Error::new(
                skip,
                "`skip` and `name` contradict each other",
            ));
        }
        Ok(args)
    }
}
