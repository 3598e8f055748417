//! The `#[profile]` attribute of [profkit](https://docs.rs/profkit). Use it through
//! `profkit::profile`, whose documentation lists every form it takes; this crate only parses
//! (`args`, `item`) and expands (`expand` for one function, `blocks` for `impl`, `trait` and
//! `mod`).

mod args;
mod blocks;
mod expand;
mod item;

use proc_macro::TokenStream;

/// Records every call of the function it is placed on, or of every function in the `impl`
/// block, `trait` or inline `mod` it is placed on; see `profkit::profile`.
#[proc_macro_attribute]
pub fn profile(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::profile(args.into(), item.into()).into()
}
