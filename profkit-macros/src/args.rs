//! The options of `#[profile(...)]`, one spanned error per misuse.

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Token};

/// Parsed `#[profile(...)]` options.
#[derive(Default)]
pub(crate) struct Args {
    /// `name = "..."`: the row name instead of the function's path.
    pub(crate) name: Option<LitStr>,
}

impl Args {
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Args> {
        Parser::parse2(Args::parse_options, tokens)
    }

    fn parse_options(input: ParseStream<'_>) -> syn::Result<Args> {
        let mut args = Args::default();
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated(input)?;
        for meta in metas {
            let path = meta.path();
            if path.is_ident("name") {
                let value = match &meta {
                    Meta::NameValue(nv) => &nv.value,
                    _ => {
                        return Err(syn::Error::new_spanned(&meta, "expected `name = \"...\"`"));
                    }
                };
                let Expr::Lit(ExprLit {
                    lit: Lit::Str(lit), ..
                }) = value
                else {
                    return Err(syn::Error::new_spanned(
                        value,
                        "`name` takes a string literal: `name = \"...\"`",
                    ));
                };
                if args.name.is_some() {
                    return Err(syn::Error::new_spanned(&meta, "duplicate `name` option"));
                }
                if lit.value().is_empty() {
                    return Err(syn::Error::new_spanned(lit, "`name` must not be empty"));
                }
                args.name = Some(lit.clone());
            } else {
                let shown = path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect::<Vec<_>>()
                    .join("::");
                return Err(syn::Error::new_spanned(
                    path,
                    format!(
                        "unknown `#[profile]` option `{shown}`; the option is `name = \"...\"`"
                    ),
                ));
            }
        }
        Ok(args)
    }
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        Args::parse_options(input)
    }
}
