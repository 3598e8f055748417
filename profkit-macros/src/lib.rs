//! The `#[profile]` attribute of [profkit](https://docs.rs/profkit). Use it through
//! `profkit::profile`; this crate only parses and expands.

mod args;
mod expand;
mod item;

use proc_macro::TokenStream;

/// Records every call of the function it is placed on; see `profkit::profile`.
#[proc_macro_attribute]
pub fn profile(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::profile(args.into(), item.into()).into()
}
