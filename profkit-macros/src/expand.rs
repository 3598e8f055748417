//! Code generation for `#[profile]`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::args::Args;
use crate::item::MaybeItemFn;

/// Expands `#[profile(args)] item`. On a misuse the result is the spanned error followed by the
/// item unchanged, so the user sees that one error and not a cascade from a missing item.
pub(crate) fn profile(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = match Args::parse(args) {
        Ok(args) => args,
        Err(e) => return with_item(e, item),
    };
    let func: MaybeItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            let e = syn::Error::new(
                first_span(&item),
                "#[profile] applies to a function (`fn`); for a block or a closure body use \
                 `profkit::profile_scope!(\"name\")` inside it",
            );
            return with_item(e, item);
        }
    };
    if let Some(constness) = &func.sig.constness {
        let e = syn::Error::new(
            constness.span(),
            "#[profile] cannot time a `const fn`: it may run at compile time, where there is \
             no clock; remove `const` or profile its callers",
        );
        return with_item(e, item);
    }
    if let Some(asyncness) = &func.sig.asyncness {
        let e = syn::Error::new(
            asyncness.span(),
            "#[profile] on an `async fn` is not supported yet; use \
             `profkit::profile_scope!` between `.await` points",
        );
        return with_item(e, item);
    }
    function(&args, func)
}

fn with_item(error: syn::Error, item: TokenStream) -> TokenStream {
    let mut out = error.to_compile_error();
    out.extend(item);
    out
}

fn first_span(tokens: &TokenStream) -> Span {
    tokens
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}

/// Input:
/// ```text
/// #[inline]
/// pub fn fetch_row(id: u64) -> Row {
///     #![allow(unused)]
///     body...
/// }
/// ```
/// Output:
/// ```text
/// #[inline]
/// pub fn fetch_row(id: u64) -> Row {
///     #![allow(unused)]
///     let __profkit_guard = {
///         fn __profkit_fn_name() -> &'static str {
///             ::core::any::type_name_of_val(&__profkit_fn_name)
///         }
///         static __PROFKIT_SITE: ::profkit::__private::CallSite =
///             ::profkit::__private::CallSite::function(__profkit_fn_name, file!(), line!());
///         ::profkit::__private::enter(&__PROFKIT_SITE)
///     };
///     body...
/// }
/// ```
/// `type_name` of the nested fn is `path::to::fetch_row::__profkit_fn_name`, from which the
/// runtime strips the last segment once, when the site registers; with `name = "..."` the site
/// is `CallSite::named("...", ..)`. `file!()` and `line!()` carry the span of the function's
/// name, so the row points at it. The guard's binding is `mixed_site`, invisible to the body.
fn function(args: &Args, func: MaybeItemFn) -> TokenStream {
    let MaybeItemFn {
        outer_attrs,
        vis,
        sig,
        inner_attrs,
        body,
    } = func;
    let ident_span = sig.ident.span();
    let file = quote_spanned!(ident_span=> ::core::file!());
    let line = quote_spanned!(ident_span=> ::core::line!());
    let guard = syn::Ident::new("__profkit_guard", Span::mixed_site());
    let site = match &args.name {
        Some(name) => quote! {
            ::profkit::__private::CallSite::named(#name, #file, #line)
        },
        None => quote! {
            ::profkit::__private::CallSite::function(__profkit_fn_name, #file, #line)
        },
    };
    let name_fn = args.name.is_none().then(|| {
        quote! {
            fn __profkit_fn_name() -> &'static str {
                ::core::any::type_name_of_val(&__profkit_fn_name)
            }
        }
    });
    let mut out = TokenStream::new();
    for attr in &outer_attrs {
        attr.to_tokens(&mut out);
    }
    vis.to_tokens(&mut out);
    sig.to_tokens(&mut out);
    let block = quote! {
        {
            #(#inner_attrs)*
            let #guard = {
                #name_fn
                static __PROFKIT_SITE: ::profkit::__private::CallSite = #site;
                ::profkit::__private::enter(&__PROFKIT_SITE)
            };
            #body
        }
    };
    out.extend(block);
    out
}
