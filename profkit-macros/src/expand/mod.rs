//! The expand step: `#[profile(args)] item` becomes the instrumented item. [`profile`] chooses
//! by the item's kind; `function` expands one function, `blocks` every function inside an
//! `impl` block, a `trait` or an inline `mod` (through `function`).

mod blocks;
mod function;
mod refuse;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::spanned::Spanned;

use crate::parse::{self, Args, MaybeItemFn, is_instrumented};

use function::function;

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
        if is_instrumented(&func.body) {
            // An enclosing `#[profile]` instrumented this function already, not seeing that
            // this attribute was `#[profile]` under another name: options it would have
            // applied are refused rather than ignored.
            return match options_given(&args) {
                Some(span) => with_item(already_instrumented(span), item),
                None => item,
            };
        }
        top_level_function(&args, func)
    } else if let Some(name) = bodiless_fn_name(&item) {
        Err(refuse::bodiless_fn(&name))
    } else if let Some(size) = &args.size {
        // What an input size is depends on one function's arguments.
        Err(syn::Error::new(
            size.span(),
            "`size = ..` applies to a function: put `#[profile(size = ..)]` on each function \
             inside whose calls have a size",
        ))
    } else {
        match syn::parse2::<syn::Item>(item.clone()) {
            Ok(syn::Item::Impl(block)) => blocks::impl_block(&args, block),
            Ok(syn::Item::Trait(block)) => blocks::trait_block(&args, block),
            Ok(syn::Item::Mod(block)) => blocks::mod_block(&args, block),
            Ok(other) => Err(refuse::not_timeable(&other)),
            // Not parseable as an item (a syntax error inside it): give it back unchanged so
            // that rustc reports the user's own error.
            Err(_) => return item,
        }
    };
    match expanded {
        Ok(_) if args.skip.is_some() && ENABLED && holds_instrumented_fn(&item) => with_item(
            already_instrumented(args.skip.unwrap_or_else(Span::call_site)),
            item,
        ),
        Ok(_) if !ENABLED || args.skip.is_some() => item,
        Ok(tokens) => tokens,
        // The item goes back without the `#[profile]`s inside it, which would otherwise
        // expand on their own and repeat the error.
        Err(e) => with_item(e, blocks::strip_inner_attrs(item, args.krate.as_ref())),
    }
}

/// Where `name`, `skip` or `size` was given, if one was.
fn options_given(args: &Args) -> Option<Span> {
    args.name
        .as_ref()
        .map(|n| n.span())
        .or(args.skip)
        .or_else(|| args.size.as_ref().map(|s| s.span()))
}

fn already_instrumented(span: Span) -> syn::Error {
    syn::Error::new(
        span,
        "this item is already instrumented by an enclosing #[profile], which did not recognise \
         this attribute under its other name (it sees `profile`, `profkit::profile` and its \
         `crate` path's `profile`); write the attribute under one of those names so that the \
         enclosing one applies these options",
    )
}

/// Whether an `impl`, `trait` or `mod` holds a function an enclosing `#[profile]` already
/// instrumented.
fn holds_instrumented_fn(item: &TokenStream) -> bool {
    fn instrumented(node: &impl ToTokens) -> bool {
        parse::as_maybe_fn(node).is_ok_and(|f| is_instrumented(&f.body))
    }
    fn any_fn(item: &syn::Item) -> bool {
        match item {
            syn::Item::Impl(i) => i.items.iter().any(|f| match f {
                syn::ImplItem::Fn(f) => instrumented(f),
                _ => false,
            }),
            syn::Item::Trait(t) => t.items.iter().any(|f| match f {
                syn::TraitItem::Fn(f) if f.default.is_some() => instrumented(f),
                _ => false,
            }),
            syn::Item::Mod(m) => m
                .content
                .iter()
                .flat_map(|(_, items)| items)
                .any(|i| match i {
                    syn::Item::Fn(f) => instrumented(f),
                    other => any_fn(other),
                }),
            _ => false,
        }
    }
    syn::parse2::<syn::Item>(item.clone()).is_ok_and(|i| any_fn(&i))
}

fn with_item(error: syn::Error, item: TokenStream) -> TokenStream {
    let mut out = error.to_compile_error();
    out.extend(item);
    out
}

/// The name of a function declared without a body (`fn get(&self) -> u32;`, `safe fn f();`):
/// `fn` then a name, and the item ends with `;`.
fn bodiless_fn_name(item: &TokenStream) -> Option<syn::Ident> {
    use proc_macro2::TokenTree;
    let tokens: Vec<TokenTree> = item.clone().into_iter().collect();
    if !matches!(tokens.last(), Some(TokenTree::Punct(p)) if p.as_char() == ';') {
        return None;
    }
    // Attributes are `#` and a bracketed group; a `fn` ident inside them is not seen here.
    tokens.windows(2).find_map(|pair| match pair {
        [TokenTree::Ident(kw), TokenTree::Ident(name)] if kw == "fn" => Some(name.clone()),
        _ => None,
    })
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
