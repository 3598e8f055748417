//! `#[profile]` on an `impl` block, a `trait` or an inline `mod`: every function inside is
//! instrumented. A `#[profile(...)]` on an inner item gives its own options (and is consumed,
//! so it does not expand a second time); `#[profile(skip)]` leaves the item alone. `const fn`s
//! are left alone too (they may run at compile time), and so are trait methods without a body.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Attribute, ImplItem, Item, ItemImpl, ItemMod, ItemTrait, Signature, TraitItem};

use crate::parse::{Args, as_maybe_fn, is_profile_attr};

use super::function::function;

fn no_name(args: &Args, what: &str) -> syn::Result<()> {
    match &args.name {
        Some(name) => Err(syn::Error::new_spanned(
            name,
            format!(
                "`name` names one function and cannot apply to a whole {what}; put \
                 `#[profile(name = \"...\")]` on the function inside it"
            ),
        )),
        None => Ok(()),
    }
}

/// Removes this crate's attributes from `attrs`; returns their options within `outer`'s (see
/// [`Args::within`]), `None` if there were none.
fn take_profile_attrs(attrs: &mut Vec<Attribute>, outer: &Args) -> syn::Result<Option<Args>> {
    let mut found: Option<Args> = None;
    let mut error = None;
    attrs.retain(|attr| {
        if !is_profile_attr(attr, outer.krate.as_ref()) {
            return true;
        }
        match Args::from_attr(attr).map(|args| args.within(outer)) {
            Ok(_) if found.is_some() => {
                error.get_or_insert(syn::Error::new_spanned(attr, "duplicate #[profile]"));
            }
            Ok(args) => found = Some(args),
            Err(e) => {
                error.get_or_insert(e);
            }
        }
        false
    });
    error.map_or(Ok(found), Err)
}

/// The options to instrument an inner function with, or `None` to leave it as it is (its
/// `#[profile]` attributes are taken off either way).
fn inner_fn_options(
    outer: &Args,
    attrs: &mut Vec<Attribute>,
    sig: &Signature,
    has_body: bool,
) -> syn::Result<Option<Args>> {
    let explicit = take_profile_attrs(attrs, outer)?;
    let reason = if sig.constness.is_some() {
        Some("#[profile] cannot time a `const fn`; remove `const` or use `#[profile(skip)]`")
    } else if !has_body {
        Some("#[profile] needs a body to time; put it on the implementations of this method")
    } else {
        None
    };
    match (explicit, reason) {
        (Some(args), _) if args.skip.is_some() => Ok(None),
        (Some(_), Some(reason)) => Err(syn::Error::new_spanned(&sig.ident, reason)),
        (None, Some(_)) => Ok(None),
        (explicit, None) => Ok(Some(
            explicit.unwrap_or_else(|| Args::default().within(outer)),
        )),
    }
}

/// Options of a nested `impl`, `trait` or `mod`, or `None` when it says `skip`.
fn inner_block_options(outer: &Args, attrs: &mut Vec<Attribute>) -> syn::Result<Option<Args>> {
    Ok(match take_profile_attrs(attrs, outer)? {
        Some(args) if args.skip.is_some() => None,
        Some(args) => Some(args),
        None => Some(Args::default().within(outer)),
    })
}

/// `item` with every `#[profile]` on the items inside it removed (those of functions in an
/// `impl`, `trait` or `mod`, recursively); anything else is returned as it was.
pub(crate) fn strip_inner_attrs(item: TokenStream, krate: Option<&syn::Path>) -> TokenStream {
    let strip = |attrs: &mut Vec<Attribute>| attrs.retain(|a| !is_profile_attr(a, krate));
    fn visit(item: &mut Item, strip: &dyn Fn(&mut Vec<Attribute>)) {
        match item {
            Item::Impl(i) => {
                for inner in &mut i.items {
                    if let ImplItem::Fn(f) = inner {
                        strip(&mut f.attrs);
                    }
                }
            }
            Item::Trait(t) => {
                for inner in &mut t.items {
                    if let TraitItem::Fn(f) = inner {
                        strip(&mut f.attrs);
                    }
                }
            }
            Item::Mod(m) => {
                for inner in m.content.iter_mut().flat_map(|(_, items)| items) {
                    if let Item::Fn(f) = inner {
                        strip(&mut f.attrs);
                    } else {
                        if let Item::Impl(i) = inner {
                            strip(&mut i.attrs);
                        } else if let Item::Trait(t) = inner {
                            strip(&mut t.attrs);
                        } else if let Item::Mod(m) = inner {
                            strip(&mut m.attrs);
                        }
                        visit(inner, strip);
                    }
                }
            }
            _ => {}
        }
    }
    match syn::parse2::<Item>(item.clone()) {
        Ok(mut parsed @ (Item::Impl(_) | Item::Trait(_) | Item::Mod(_))) => {
            visit(&mut parsed, &strip);
            parsed.into_token_stream()
        }
        _ => item,
    }
}

fn expand_fn(args: &Args, node: &impl ToTokens) -> syn::Result<TokenStream> {
    Ok(function(args, as_maybe_fn(node)?))
}

pub(crate) fn impl_block(args: &Args, mut block: ItemImpl) -> syn::Result<TokenStream> {
    no_name(args, "impl block")?;
    for item in &mut block.items {
        if let ImplItem::Fn(f) = item
            && let Some(options) = inner_fn_options(args, &mut f.attrs, &f.sig, true)?
        {
            *item = ImplItem::Verbatim(expand_fn(&options, f)?);
        }
    }
    Ok(block.into_token_stream())
}

pub(crate) fn trait_block(args: &Args, mut block: ItemTrait) -> syn::Result<TokenStream> {
    no_name(args, "trait")?;
    for item in &mut block.items {
        if let TraitItem::Fn(f) = item
            && let Some(options) =
                inner_fn_options(args, &mut f.attrs, &f.sig, f.default.is_some())?
        {
            *item = TraitItem::Verbatim(expand_fn(&options, f)?);
        }
    }
    Ok(block.into_token_stream())
}

pub(crate) fn mod_block(args: &Args, mut block: ItemMod) -> syn::Result<TokenStream> {
    no_name(args, "module")?;
    let Some((_, items)) = &mut block.content else {
        return Err(syn::Error::new(
            block.ident.span(),
            "#[profile] cannot see into `mod name;`: put it on `mod name { .. }`, or on the \
             items of that module's file",
        ));
    };
    for item in items.iter_mut() {
        let expanded = match item {
            Item::Fn(f) => match inner_fn_options(args, &mut f.attrs, &f.sig, true)? {
                Some(options) => expand_fn(&options, f)?,
                None => continue,
            },
            Item::Impl(i) => match inner_block_options(args, &mut i.attrs)? {
                Some(options) => impl_block(&options, i.clone())?,
                None => continue,
            },
            Item::Trait(t) => match inner_block_options(args, &mut t.attrs)? {
                Some(options) => trait_block(&options, t.clone())?,
                None => continue,
            },
            Item::Mod(m) if m.content.is_some() => match inner_block_options(args, &mut m.attrs)? {
                Some(options) => mod_block(&options, m.clone())?,
                None => continue,
            },
            _ => continue,
        };
        *item = Item::Verbatim(expanded);
    }
    Ok(block.into_token_stream())
}
