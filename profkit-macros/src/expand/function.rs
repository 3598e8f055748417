//! Code generation for one function: its call site, and a body that records each call (a
//! guard for a sync fn, `instrument` for an async fn or an `#[async_trait]` body).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, ReturnType, Stmt, Type};

use crate::parse::{Args, MaybeItemFn, is_instrumented};

/// The expression `&'static CallSite` for the function named `ident`.
///
/// ```text
/// {
///     fn __profkit_fn_name() -> &'static str {
///         ::profkit::__private::type_name_of_val(&__profkit_fn_name)
///     }
///     static __PROFKIT_SITE: ::profkit::__private::CallSite =
///         ::profkit::__private::CallSite::function(__profkit_fn_name, file!(), line!());
///     &__PROFKIT_SITE
/// }
/// ```
/// `type_name` of the nested fn is `path::to::f::__profkit_fn_name` (`S<_>::f::..` in a generic
/// impl); the runtime strips the last segment and `<_>` placeholders once, when the site
/// registers. With `name = "..."` the site is `CallSite::named("...", ..)`. `file!()` and
/// `line!()` carry the span of the function's name, so the row points at it. `::profkit` is
/// the `crate = "..."` path when one is given (here and in every expansion below).
///
/// Generated code calls nothing from `core` or `std` but `file!` and `line!`: what it needs
/// goes through `::profkit::__private`, so that clippy's `incompatible_msrv` never fires in a
/// crate whose `rust-version` is older than a std function profkit uses (`tests/msrv.rs`).
fn site(args: &Args, ident: &syn::Ident) -> TokenStream {
    let krate = args.krate();
    let span = ident.span();
    let file = quote_spanned!(span=> ::core::file!());
    let line = quote_spanned!(span=> ::core::line!());
    match &args.name {
        Some(name) => quote! {
            {
                static __PROFKIT_SITE: #krate::__private::CallSite =
                    #krate::__private::CallSite::named(#name, #file, #line);
                &__PROFKIT_SITE
            }
        },
        None => quote! {
            {
                fn __profkit_fn_name() -> &'static str {
                    #krate::__private::type_name_of_val(&__profkit_fn_name)
                }
                static __PROFKIT_SITE: #krate::__private::CallSite =
                    #krate::__private::CallSite::function(__profkit_fn_name, #file, #line);
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
    let krate = args.krate();
    let size = args.size.as_ref().map(|e| size_expr(&krate, e));
    let body = if is_instrumented(&body) {
        // An enclosing `#[profile]` did it already: it could not tell that this function's
        // attribute was this one under another name (`use profkit::profile as timed`).
        body
    } else if sig.asyncness.is_some() {
        async_fn_body(&krate, &sig.output, &site, size.as_ref(), body)
    } else if let Some(boxed) = boxed_async_body(&krate, &site, size.as_ref(), &body) {
        boxed
    } else {
        sync_body(&krate, &site, size.as_ref(), body)
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
///
/// With `size = items.len()` the guard is
/// `::profkit::__private::enter_sized(<site>, ::profkit::__private::size(items.len()))`: the
/// expression runs once, before the call starts and before the body can move an argument
/// (its time is not the call's), and its drop also records the size with the call's time.
fn sync_body(
    krate: &TokenStream,
    site: &TokenStream,
    size: Option<&TokenStream>,
    body: TokenStream,
) -> TokenStream {
    let guard = syn::Ident::new("__profkit_guard", Span::mixed_site());
    let enter = match size {
        None => quote!(#krate::__private::enter(#site)),
        Some(size) => quote!(#krate::__private::enter_sized(#site, #size)),
    };
    quote! {
        let #guard = #enter;
        #body
    }
}

/// `::profkit::__private::size(<expr>)`, spanned at the expression so that one of another type
/// than an integer is an error there (`Size` is implemented for the integer types).
fn size_expr(krate: &TokenStream, expr: &Expr) -> TokenStream {
    let span = expr.span();
    quote_spanned!(span=> #krate::__private::size(#expr))
}

/// `instrument(<site>, <future>)`, or with a size `instrument_sized(<site>, <size>, <future>)`:
/// call operands run left to right, so the size expression runs before the future (an
/// `async move` block) takes the arguments.
fn instrument_call(
    krate: &TokenStream,
    site: &TokenStream,
    size: Option<&TokenStream>,
    future: TokenStream,
) -> TokenStream {
    match size {
        None => quote!(#krate::__private::instrument(#site, #future)),
        Some(size) => quote!(#krate::__private::instrument_sized(#site, #size, #future)),
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
fn async_fn_body(
    krate: &TokenStream,
    output: &ReturnType,
    site: &TokenStream,
    size: Option<&TokenStream>,
    body: TokenStream,
) -> TokenStream {
    let ret = syn::Ident::new("__profkit_ret", Span::mixed_site());
    let inner = match output {
        ReturnType::Default => quote! { let #ret: () = { #body }; #ret },
        ReturnType::Type(_, ty) if !contains_impl_trait(ty) => {
            quote! { let #ret: #ty = { #body }; #ret }
        }
        ReturnType::Type(..) => body,
    };
    let call = instrument_call(krate, site, size, quote!(async move { #inner }));
    quote! { #call.await }
}

/// The shape `#[async_trait]` gives an `async fn`: a plain fn whose body is
/// `Box::pin(async move { .. })`. The async block is what must be timed, per poll.
///
/// Input: `fn f<'a>(&'a self) -> Pin<Box<dyn Future<Output = u64> + Send + 'a>> { Box::pin(async move { .. }) }`
/// Output: the same fn with body `Box::pin(::profkit::__private::instrument(<site>, async move { .. }))`.
fn boxed_async_body(
    krate: &TokenStream,
    site: &TokenStream,
    size: Option<&TokenStream>,
    body: &TokenStream,
) -> Option<TokenStream> {
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
    let call = instrument_call(krate, site, size, block.to_token_stream());
    Some(quote! { #func(#call) })
}

fn contains_impl_trait(ty: &Type) -> bool {
    ty.to_token_stream()
        .into_iter()
        .any(|t| matches!(&t, proc_macro2::TokenTree::Ident(i) if i == "impl"))
        || matches!(ty, Type::ImplTrait(_))
}
