//! The options of `#[profile(...)]`, one spanned error per misuse.

use proc_macro2::{Span, TokenStream};
use quote::quote;
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
    /// `crate = "path"`: the path generated code names profkit by (a renamed dependency).
    pub(crate) krate: Option<syn::Path>,
    /// `size = <expr>`: the size of each call's input, an integer expression over the
    /// arguments, recorded with the call's time (its complexity is fitted from them).
    pub(crate) size: Option<Expr>,
}

const OPTIONS: &str =
    "the options are `name = \"...\"`, `size = <expr>`, `skip` and `crate = \"path\"`";

/// The string of an `option = "..."`; `form` is how it is written (`name = "..."`), and
/// `given` whether the option came before.
fn string_value<'a>(meta: &'a Meta, given: bool, form: &str) -> syn::Result<&'a LitStr> {
    let option = form.split(' ').next().unwrap_or(form);
    let Meta::NameValue(nv) = meta else {
        return Err(syn::Error::new_spanned(meta, format!("expected `{form}`")));
    };
    let Expr::Lit(ExprLit {
        lit: Lit::Str(lit), ..
    }) = &nv.value
    else {
        return Err(syn::Error::new_spanned(
            &nv.value,
            format!("`{option}` takes a string literal: `{form}`"),
        ));
    };
    if given {
        return Err(syn::Error::new_spanned(
            meta,
            format!("duplicate `{option}` option"),
        ));
    }
    Ok(lit)
}

/// The expression of `size = <expr>`; `given`: the option came before.
fn size_value(meta: &Meta, given: bool) -> syn::Result<Expr> {
    let Meta::NameValue(nv) = meta else {
        return Err(syn::Error::new_spanned(
            meta,
            "expected `size = <expr>`, an integer expression over the arguments such as \
             `size = items.len()`",
        ));
    };
    if given {
        return Err(syn::Error::new_spanned(meta, "duplicate `size` option"));
    }
    Ok(nv.value.clone())
}

impl Args {
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Args> {
        Parser::parse2(Args::parse_options, tokens)
    }

    /// The path of the profkit crate in generated code: `crate = "..."`, or `::profkit`.
    pub(crate) fn krate(&self) -> TokenStream {
        match &self.krate {
            Some(path) => quote!(#path),
            None => quote!(::profkit),
        }
    }

    /// These options for an item inside a block with `outer`'s options: the crate path is
    /// inherited unless the item names its own.
    pub(crate) fn within(mut self, outer: &Args) -> Args {
        if self.krate.is_none() {
            self.krate.clone_from(&outer.krate);
        }
        self
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
                let lit = string_value(&meta, args.name.is_some(), "name = \"...\"")?;
                if lit.value().trim().is_empty() {
                    return Err(syn::Error::new_spanned(lit, "`name` must not be empty"));
                }
                args.name = Some(lit.clone());
            } else if path.is_ident("crate") {
                let lit = string_value(&meta, args.krate.is_some(), "crate = \"prof\"")?;
                let krate = lit.parse::<syn::Path>().map_err(|_| {
                    syn::Error::new_spanned(
                        lit,
                        format!(
                            "`crate` takes a path such as \"prof\" or \"::my::profkit\", not {:?}",
                            lit.value()
                        ),
                    )
                })?;
                args.krate = Some(krate);
            } else if path.is_ident("size") {
                args.size = Some(size_value(&meta, args.size.is_some())?);
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
        if let (Some(skip), Some(_)) = (args.skip, &args.size) {
            return Err(syn::Error::new(
                skip,
                "`skip` and `size` contradict each other",
            ));
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
