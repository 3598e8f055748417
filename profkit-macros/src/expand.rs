//! Code generation for `#[profile]` on one function.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, ReturnType, Stmt, Type};

use crate::args::Args;
use crate::blocks;
use crate::item::MaybeItemFn;

/// Whether `#[profile]` generates code (cargo feature `enable`, on by default). When it is off,
/// the macro still validates its input and then returns the item unchanged.
const ENABLED: bool = cfg!(feature = "enable");

/// Expands `#[profile(args)] item`. On a misuse the result is the spanned error followed by the
/// item unchanged, so the user sees that one error and not a cascade from a missing item.
pub(crate) fn profile(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = match Args::parse(args) {
        Ok(args) => args,
        Err(e) => return with_item(e, item),
    };
    let expanded = if let Ok(func) = syn::parse2::<MaybeItemFn>(item.clone()) {
        top_level_function(&args, func)
    } else {
        match syn::parse2::<syn::Item>(item.clone()) {
            Ok(syn::Item::Impl(block)) => blocks::impl_block(&args, block),
            Ok(syn::Item::Trait(block)) => blocks::trait_block(&args, block),
            Ok(syn::Item::Mod(block)) => blocks::mod_block(&args, block),
            Ok(other) => Err(syn::Error::new(
                first_span(&other.to_token_stream()),
                "#[profile] applies to a function, an `impl` block, a `trait` or an inline `mod`; \
                 to time a closure or a block, put `profkit::profile_scope!(\"name\");` inside it",
            )),
            // Not parseable as an item (a syntax error inside it): give it back unchanged so
            // that rustc reports the user's own error.
            Err(_) => return item,
        }
    };
    match expanded {
        Ok(_) if !ENABLED || args.skip.is_some() => item,
        Ok(tokens) => tokens,
        // The item goes back without the `#[profile]`s inside it, which would otherwise
        // expand on their own and repeat the error.
        Err(e) => with_item(e, blocks::strip_inner_attrs(item)),
    }
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

fn top_level_function(args: &Args, func: MaybeItemFn) -> syn::Result<TokenStream> {
    if let Some(constness) = &func.sig.constness {
        return Err(syn::Error::new(
            constness.span(),
            "#[profile] cannot time a `const fn`: it may run at compile time, where there is \
             no clock; remove `const` or profile its callers",
        ));
    }
    Ok(function(args, func))
}

/// The expression `&'static CallSite` for the function named `ident`.
///
/// ```text
/// {
///     fn __profkit_fn_name() -> &'static str {
///         ::core::any::type_name_of_val(&__profkit_fn_name)
///     }
///     static __PROFKIT_SITE: ::profkit::__private::CallSite =
///         ::profkit::__private::CallSite::function(__profkit_fn_name, file!(), line!());
///     &__PROFKIT_SITE
/// }
/// ```
/// `type_name` of the nested fn is `path::to::f::__profkit_fn_name` (`S<_>::f::..` in a generic
/// impl); the runtime strips the last segment and `<_>` placeholders once, when the site
/// registers. With `name = "..."` the site is `CallSite::named("...", ..)`. `file!()` and
/// `line!()` carry the span of the function's name, so the row points at it.
fn site(args: &Args, ident: &syn::Ident) -> TokenStream {
    let span = ident.span();
    let file = quote_spanned!(span=> ::core::file!());
    let line = quote_spanned!(span=> ::core::line!());
    match &args.name {
        Some(name) => quote! {
            {
                static __PROFKIT_SITE: ::profkit::__private::CallSite =
                    ::profkit::__private::CallSite::named(#name, #file, #line);
                &__PROFKIT_SITE
            }
        },
        None => quote! {
            {
                fn __profkit_fn_name() -> &'static str {
                    ::core::any::type_name_of_val(&__profkit_fn_name)
                }
                static __PROFKIT_SITE: ::profkit::__private::CallSite =
                    ::profkit::__private::CallSite::function(__profkit_fn_name, #file, #line);
                &__PROFKIT_SITE
            }
        },
    }
}

/// Expands one function; its signature, attributes, docs and visibility are re-emitted as
/// they were.
pub(crate) fn function(args: &Args, func: MaybeItemFn) -> TokenStream {
    let MaybeItemFn {
        outer_attrs,
        vis,
        sig,
        inner_attrs,
        body,
        brace_span,
    } = func;
    let site = site(args, &sig.ident);
    let body = if sig.asyncness.is_some() {
        async_fn_body(&sig.output, &site, body)
    } else if let Some(boxed) = boxed_async_body(&site, &body) {
        boxed
    } else {
        sync_body(&site, body)
    };
    let mut out = TokenStream::new();
    for attr in &outer_attrs {
        attr.to_tokens(&mut out);
    }
    vis.to_tokens(&mut out);
    sig.to_tokens(&mut out);
    let mut block = proc_macro2::Group::new(
        proc_macro2::Delimiter::Brace,
        quote! {
            #(#inner_attrs)*
            #body
        },
    );
    block.set_span(brace_span);
    out.extend(std::iter::once(proc_macro2::TokenTree::Group(block)));
    out
}

/// A synchronous function.
///
/// Input: `fn f(x: u64) -> u64 { body }`
/// Output:
/// ```text
/// fn f(x: u64) -> u64 {
///     let __profkit_guard = ::profkit::__private::enter(<site>);
///     body
/// }
/// ```
/// The guard's binding is `mixed_site`, invisible to the body; dropping it at the end of the
/// function, on return or during unwinding, ends the call.
fn sync_body(site: &TokenStream, body: TokenStream) -> TokenStream {
    let guard = syn::Ident::new("__profkit_guard", Span::mixed_site());
    quote! {
        let #guard = ::profkit::__private::enter(#site);
        #body
    }
}

/// An `async fn`: the body becomes a future that `instrument` polls, entering the call tree of
/// the polling thread inside each poll and leaving it before the poll returns, so no guard is
/// ever held across an `.await`.
///
/// Input: `async fn f(x: u64) -> Result<u64, E> { body }`
/// Output:
/// ```text
/// async fn f(x: u64) -> Result<u64, E> {
///     ::profkit::__private::instrument(<site>, async move {
///         let __profkit_ret: Result<u64, E> = { body };
///         __profkit_ret
///     })
///     .await
/// }
/// ```
/// The annotated `let` keeps the return type known inside the block (so `?` can convert
/// errors); it is left out when the return type holds an `impl Trait`.
fn async_fn_body(output: &ReturnType, site: &TokenStream, body: TokenStream) -> TokenStream {
    let ret = syn::Ident::new("__profkit_ret", Span::mixed_site());
    let inner = match output {
        ReturnType::Default => quote! { let #ret: () = { #body }; #ret },
        ReturnType::Type(_, ty) if !contains_impl_trait(ty) => {
            quote! { let #ret: #ty = { #body }; #ret }
        }
        ReturnType::Type(..) => body,
    };
    quote! {
        ::profkit::__private::instrument(#site, async move { #inner }).await
    }
}

/// The shape `#[async_trait]` gives an `async fn`: a plain fn whose body is
/// `Box::pin(async move { .. })`. The async block is what must be timed, per poll.
///
/// Input: `fn f<'a>(&'a self) -> Pin<Box<dyn Future<Output = u64> + Send + 'a>> { Box::pin(async move { .. }) }`
/// Output: the same fn with body `Box::pin(::profkit::__private::instrument(<site>, async move { .. }))`.
fn boxed_async_body(site: &TokenStream, body: &TokenStream) -> Option<TokenStream> {
    let stmts = syn::parse::Parser::parse2(syn::Block::parse_within, body.clone()).ok()?;
    let [Stmt::Expr(Expr::Call(call), None)] = stmts.as_slice() else {
        return None;
    };
    let Expr::Path(func) = &*call.func else {
        return None;
    };
    let segments: Vec<String> = func
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let is_box_pin = segments.len() >= 2 && segments[segments.len() - 2..] == ["Box", "pin"];
    let [Expr::Async(block)] = call.args.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    if !is_box_pin {
        return None;
    }
    let func = &call.func;
    Some(quote! {
        #func(::profkit::__private::instrument(#site, #block))
    })
}

fn contains_impl_trait(ty: &Type) -> bool {
    ty.to_token_stream()
        .into_iter()
        .any(|t| matches!(&t, proc_macro2::TokenTree::Ident(i) if i == "impl"))
        || matches!(ty, Type::ImplTrait(_))
}
