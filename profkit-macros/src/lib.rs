//! The `#[profile]` attribute of [profkit](https://docs.rs/profkit). Use it through
//! `profkit::profile`, whose documentation lists every form it takes. This crate reads in two
//! steps, each a module: `parse` (the options and the item) then `expand` (one function, or
//! every function of an `impl`, `trait` or `mod` block).

mod expand;
mod parse;

use proc_macro::TokenStream;

/// Records every call of the function it is placed on, or of every function in the `impl`
/// block, `trait` or inline `mod` it is placed on; see `profkit::profile`.
#[proc_macro_attribute]
pub fn profile(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::profile(args.into(), item.into()).into()
}
