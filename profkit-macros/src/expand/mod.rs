//! The expand step: `#[profile(args)] item` becomes the instrumented item. [`profile`] chooses
//! by the item's kind; `function` expands one function, `blocks` every function inside an
//! `impl` block, a `trait` or an inline `mod` (through `function`).

mod blocks;
mod function;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::spanned::Spanned;

use crate::parse::{Args, MaybeItemFn};

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
