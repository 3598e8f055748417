//! Function names as a person reads them. [`canonical`] turns the ways rustc's `type_name`
//! spells a method into one form (`<path::Type as path::Trait>::method`, `path::Type::method`)
//! with std's public trait paths; [`short`] is what tables show (`<Type as Trait>::method`);
//! [`aliases`] are the names a look-up accepts for a function.

use std::borrow::Cow;

/// std's internal modules that `type_name` prints, and the public module that re-exports
/// everything in them (`core::iter::traits::iterator::Iterator` is `core::iter::Iterator`).
const STD_PUBLIC_PATHS: &[(&str, &str)] = &[
    ("core::iter::traits::iterator::", "core::iter::"),
    ("core::iter::traits::collect::", "core::iter::"),
    ("core::iter::traits::double_ended::", "core::iter::"),
    ("core::iter::traits::exact_size::", "core::iter::"),
    ("core::iter::traits::accum::", "core::iter::"),
    ("core::iter::traits::marker::", "core::iter::"),
    ("core::ops::arith::", "core::ops::"),
    ("core::ops::bit::", "core::ops::"),
    ("core::ops::deref::", "core::ops::"),
    ("core::ops::drop::", "core::ops::"),
    ("core::ops::function::", "core::ops::"),
    ("core::ops::index::", "core::ops::"),
    ("core::ops::range::", "core::ops::"),
    ("core::ops::try_trait::", "core::ops::"),
    ("core::ops::control_flow::", "core::ops::"),
    ("core::str::traits::", "core::str::"),
    ("core::future::future::", "core::future::"),
    ("core::future::into_future::", "core::future::"),
    ("core::slice::index::", "core::slice::"),
];

/// The one form of a function path that `type_name` may spell several ways:
/// - a trait impl written outside its type's module, `app::de::<impl app::Tr for app::V>::f`,
///   becomes `<app::V as app::Tr>::f`, as one in the type's module is already spelled;
/// - an inherent impl written elsewhere, `app::de::<impl app::V>::f`, becomes `app::V::f`;
/// - std's internal module paths become the public ones (`core::ops::arith::Add` is
///   `core::ops::Add`).
///
/// Anything else is returned as it was.
pub(crate) fn canonical(path: &str) -> String {
    let mut out = impl_blocks(path);
    for (internal, public) in STD_PUBLIC_PATHS {
        if out.contains(internal) {
            out = replace_at_path_start(&out, internal, public);
        }
    }
    out
}

/// `prefix::<impl Trait for Type>::rest` to `<Type as Trait>::rest`, `prefix::<impl Type>::rest`
/// to `Type::rest`.
fn impl_blocks(path: &str) -> String {
    let Some(open) = find_impl_open(path) else {
        return path.to_owned();
    };
    let Some(close) = matching_close(path, open) else {
        return path.to_owned();
    };
    let inner = &path[open + "<impl ".len()..close];
    let rest = &path[close + 1..];
    match split_top_level(inner, " for ") {
        Some((tr, ty)) => format!("<{ty} as {tr}>{rest}"),
        None => format!("{inner}{rest}"),
    }
}

/// Where `<impl ` opens a path segment (at the start or after `::`).
fn find_impl_open(path: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = path[from..].find("<impl ") {
        let at = from + i;
        if at == 0 || path[..at].ends_with("::") {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The index of the `>` that closes the `<` at `open`.
fn matching_close(s: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s[open..].char_indices() {
        match c {
            '<' => depth += 1,
            '>' if i > 0 && s[..open + i].ends_with('-') => {} // `-> T` in a fn pointer type
            '>' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `s` split at the first `sep` outside brackets.
fn split_top_level<'a>(s: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' if s[..i].ends_with('-') => {}
            '>' | ')' | ']' => depth -= 1,
            _ if depth == 0 && s[i..].starts_with(sep) => {
                return Some((&s[..i], &s[i + sep.len()..]));
            }
            _ => {}
        }
    }
    None
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `s` with `from` replaced by `to` where `from` starts a path (not in the middle of one).
fn replace_at_path_start(s: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut prev: Option<char> = None;
    while let Some(i) = rest.find(from) {
        let before = rest[..i].chars().next_back().or(prev);
        out.push_str(&rest[..i]);
        if before.is_some_and(|c| is_ident_char(c) || c == ':') {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        prev = from.chars().next_back();
        rest = &rest[i + from.len()..];
    }
    out.push_str(rest);
    out
}

/// Whether `name` looks like a Rust path that [`short`] may rewrite: identifiers, `::`,
/// generics and the punctuation of types. Other names (a Python profile's
/// `{built-in method builtins.len}`, a scope named `"GET /users"`) are left as they are.
fn is_rust_path(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| is_ident_char(c) || ":<>,&'[];()* !=+-".contains(c))
}

/// The form tables show: every type and trait path keeps the segments from its first type
/// (a segment starting with an upper-case letter) on, so
/// `<serde_json::value::Value as serde_core::de::Deserialize>::deserialize` reads
/// `<Value as Deserialize>::deserialize` and
/// `serde_json::ser::Serializer<_, serde_json::ser::PrettyFormatter>::pretty` reads
/// `Serializer<_, PrettyFormatter>::pretty`; a free function keeps its module,
/// `app::db::fetch_row` reads `db::fetch_row`; a path inside brackets without a type keeps its
/// last segment (`core::primitive::u8` reads `u8`). A name that is not a Rust path is kept.
pub(crate) fn short(name: &str) -> Cow<'_, str> {
    if !is_rust_path(name) {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    let mut first = true;
    while !rest.is_empty() {
        // A path run: identifiers joined by `::`.
        let run_len = path_run_len(rest);
        if run_len == 0 {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
            first = false;
            continue;
        }
        let run = &rest[..run_len];
        let continues = out.ends_with("::") || run.starts_with("::");
        out.push_str(if continues {
            run
        } else {
            short_run(run, first)
        });
        rest = &rest[run_len..];
        first = false;
    }
    if out == name {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(out)
    }
}

/// The length of the path (identifiers and `::`) at the start of `s`.
fn path_run_len(s: &str) -> usize {
    let mut len = 0;
    let bytes = s.as_bytes();
    while len < s.len() {
        let c = s[len..].chars().next().unwrap_or(' ');
        if is_ident_char(c) {
            len += c.len_utf8();
        } else if bytes[len..].starts_with(b"::") {
            len += 2;
        } else {
            break;
        }
    }
    len
}

fn short_run(run: &str, leading: bool) -> &str {
    let segments: Vec<(usize, &str)> = segment_starts(run);
    if let Some(&(start, _)) = segments
        .iter()
        .find(|(_, s)| s.starts_with(|c: char| c.is_uppercase()))
    {
        return &run[start..];
    }
    let keep = if leading { 2 } else { 1 };
    match segments.len().checked_sub(keep) {
        Some(i) if i > 0 => &run[segments[i].0..],
        _ => run,
    }
}

/// The `::`-separated segments of a path with their byte offsets.
fn segment_starts(run: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, _) in run.match_indices("::") {
        out.push((start, &run[start..i]));
        start = i + 2;
    }
    out.push((start, &run[start..]));
    out
}

/// `name` without generic argument lists (`Serializer<_, PrettyFormatter>::pretty` is
/// `Serializer::pretty`); the `<` of a qualified path (`<T as Tr>::f`) is kept.
pub(crate) fn without_generics(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut depth = 0usize;
    let mut prev: Option<char> = None;
    for c in name.chars() {
        match c {
            '<' if depth > 0 || prev.is_some_and(is_ident_char) => depth += 1,
            '>' if depth > 0 && prev != Some('-') => depth -= 1,
            _ if depth > 0 => {}
            _ => out.push(c),
        }
        prev = Some(c);
    }
    out
}

/// The type, the trait and what follows of a qualified path `<T as Tr>::rest`.
pub(crate) fn qualified_parts(name: &str) -> Option<(&str, &str, &str)> {
    if !name.starts_with('<') {
        return None;
    }
    let close = matching_close(name, 0)?;
    let (ty, tr) = split_top_level(&name[1..close], " as ")?;
    Some((ty, tr, &name[close + 1..]))
}

/// `<T as Tr>::rest` as `T::rest`, the name of a trait method by its type alone.
fn by_type(name: &str) -> Option<String> {
    let (ty, _, rest) = qualified_parts(name)?;
    Some(format!("{ty}{rest}"))
}

/// Every name a look-up may give for the function `full`: itself, its [`short`] form, both
/// without generics, and for a trait method each of these by its type alone
/// (`<app::V as app::Tr>::f` also answers to `app::V::f` and `V::f`).
pub(crate) fn aliases(full: &str) -> Vec<String> {
    let mut out: Vec<String> = vec![full.to_owned()];
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    let short = short(full).into_owned();
    for base in [full.to_owned(), short] {
        let plain = without_generics(&base);
        for name in [base, plain] {
            if let Some(t) = by_type(&name) {
                push(t);
            }
            push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impl_blocks_written_elsewhere_become_qualified_paths() {
        let cases = [
            (
                "serde_json::value::de::<impl serde_core::de::Deserialize for serde_json::value::Value>::deserialize",
                "<serde_json::value::Value as serde_core::de::Deserialize>::deserialize",
            ),
            ("m::b::<impl m::a::W>::inh", "m::a::W::inh"),
            (
                "m::b::<impl core::iter::traits::iterator::Iterator for m::a::W>::next",
                "<m::a::W as core::iter::Iterator>::next",
            ),
            (
                "m::b::<impl core::ops::arith::Add for m::a::W>::add",
                "<m::a::W as core::ops::Add>::add",
            ),
            (
                "m::b::<impl core::convert::From<u8> for m::a::W>::from",
                "<m::a::W as core::convert::From<u8>>::from",
            ),
            (
                "m::b::<impl m::a::Plain for &[u8]>::p",
                "<&[u8] as m::a::Plain>::p",
            ),
            (
                "m::b::<impl m::a::Plain for (_, m::a::W)>::p",
                "<(_, m::a::W) as m::a::Plain>::p",
            ),
            (
                "m::<impl m::a::Plain for m::a::V<alloc::vec::Vec<_>>>::p",
                "<m::a::V<alloc::vec::Vec<_>> as m::a::Plain>::p",
            ),
            (
                "m::<impl m::a::Plain for fn(u8) -> u8>::p",
                "<fn(u8) -> u8 as m::a::Plain>::p",
            ),
            // Already canonical, or not a method: unchanged.
            (
                "<app::Disk as app::Store>::get",
                "<app::Disk as app::Store>::get",
            ),
            ("app::db::fetch_row", "app::db::fetch_row"),
            ("my_core::ops::arith::x", "my_core::ops::arith::x"),
        ];
        for (rustc, expected) in cases {
            assert_eq!(canonical(rustc), expected, "{rustc}");
        }
    }

    #[test]
    fn short_names_keep_types_from_their_first_capital() {
        let cases = [
            (
                "<serde_json::value::Value as serde_core::de::Deserialize>::deserialize",
                "<Value as Deserialize>::deserialize",
            ),
            (
                "serde_json::ser::Serializer<_, serde_json::ser::PrettyFormatter>::pretty",
                "Serializer<_, PrettyFormatter>::pretty",
            ),
            ("app::db::fetch_row", "db::fetch_row"),
            ("fetch_row", "fetch_row"),
            ("app::Db::get", "Db::get"),
            ("<u8 as app::Number>::as_u32", "<u8 as Number>::as_u32"),
            ("<&[core::primitive::u8] as a::P>::p", "<&[u8] as P>::p"),
            (
                "<app::W as core::convert::From<u8>>::from",
                "<W as From<u8>>::from",
            ),
            // Not Rust paths: kept.
            (
                "{built-in method builtins.len}",
                "{built-in method builtins.len}",
            ),
            ("<listcomp>", "<listcomp>"),
            ("GET /users", "GET /users"),
            ("a scope", "a scope"),
        ];
        for (full, expected) in cases {
            assert_eq!(short(full), expected, "{full}");
        }
    }

    #[test]
    fn aliases_cover_the_type_the_trait_and_the_short_forms() {
        let a = aliases("<serde_json::value::Value as serde_core::de::Deserialize>::deserialize");
        for expected in [
            "<serde_json::value::Value as serde_core::de::Deserialize>::deserialize",
            "serde_json::value::Value::deserialize",
            "<Value as Deserialize>::deserialize",
            "Value::deserialize",
        ] {
            assert!(a.iter().any(|n| n == expected), "{expected} not in {a:?}");
        }
        let a = aliases("serde_json::ser::Serializer<_, serde_json::ser::PrettyFormatter>::pretty");
        for expected in [
            "Serializer<_, PrettyFormatter>::pretty",
            "serde_json::ser::Serializer::pretty",
            "Serializer::pretty",
        ] {
            assert!(a.iter().any(|n| n == expected), "{expected} not in {a:?}");
        }
    }
}
