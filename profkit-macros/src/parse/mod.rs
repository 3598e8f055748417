//! The parse step: what the user wrote. `args` reads `#[profile(...)]`'s options, with one
//! spanned error per misuse; `item` reads the function under it, keeping its body as tokens.

mod args;
mod item;

pub(crate) use args::Args;
pub(crate) use item::{MaybeItemFn, as_maybe_fn, is_instrumented, is_profile_attr};
