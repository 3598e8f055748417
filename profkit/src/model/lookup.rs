//! Finding a function (or an edge) by name: the qualified name, or a suffix at a `::` boundary
//! that matches one item only; otherwise an error listing the close matches.

use std::sync::Arc;

use crate::data::names;
use crate::error::LookupError;

/// Whether `query` names `full`: equal, or a suffix starting at a `::` boundary, of the name
/// or of one of its other forms (`data::names::aliases`: the short form tables show, without
/// generics, a trait method by its type). The query may be spelled as rustc spells it
/// (`app::de::<impl Tr for V>::f`, `core::iter::traits::iterator::Iterator`).
pub(crate) fn name_matches(full: &str, query: &str) -> bool {
    if suffix_matches(full, query) {
        return true;
    }
    let query = names::canonical(query);
    if names::aliases(full)
        .iter()
        .any(|alias| suffix_matches(alias, &query))
    {
        return true;
    }
    // `<shapes::Value as Render>::render`: the type and the trait each a `::` suffix of
    // the function's (generics aside), the method the same.
    match (names::qualified_parts(full), names::qualified_parts(&query)) {
        (Some((ty, tr, rest)), Some((q_ty, q_tr, q_rest))) => {
            let plain = names::without_generics;
            rest == q_rest
                && suffix_matches(&plain(ty), &plain(q_ty))
                && suffix_matches(&plain(tr), &plain(q_tr))
        }
        _ => false,
    }
}

fn suffix_matches(full: &str, query: &str) -> bool {
    full == query
        || (full.len() > query.len()
            && full.ends_with(query)
            && full[..full.len() - query.len()].ends_with("::"))
}

pub(crate) fn find<'a, T>(
    items: &'a [T],
    query: &str,
    name: impl Fn(&T) -> &Arc<str>,
    label: impl Fn(&T) -> String,
) -> Result<&'a T, LookupError> {
    // An exact name wins over suffix matches, but two functions may share it (two scopes of
    // one name, `__init__` in a Python profile): then it is ambiguous too.
    let exact: Vec<&T> = items.iter().filter(|i| &**name(i) == query).collect();
    let matches: Vec<&T> = if exact.is_empty() {
        items
            .iter()
            .filter(|i| name_matches(name(i), query))
            .collect()
    } else {
        exact
    };
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(LookupError::Unknown {
            query: query.to_owned(),
            close: close_matches(items.iter().map(|i| &**name(i)), query),
        }),
        many => {
            // Candidates that share a name are told apart by where they are.
            let same = many.iter().all(|i| name(i) == name(many[0]));
            Err(LookupError::Ambiguous {
                query: query.to_owned(),
                candidates: many
                    .iter()
                    .map(|i| if same { label(i) } else { name(i).to_string() })
                    .collect(),
            })
        }
    }
}

/// Up to five names that contain the query or whose last segment is a few edits away.
pub(crate) fn close_matches<'a>(names: impl Iterator<Item = &'a str>, query: &str) -> Vec<String> {
    let q = query.to_lowercase();
    let q_last = q.rsplit("::").next().unwrap_or(&q);
    let mut scored: Vec<(usize, &str)> = names
        .filter_map(|n| {
            let lower = n.to_lowercase();
            let last = lower.rsplit("::").next().unwrap_or(&lower);
            let d = edit_distance(last, q_last);
            if lower.contains(&q) || last.contains(q_last) {
                Some((0, n))
            } else if d <= 2.max(q_last.len() / 3) {
                Some((d, n))
            } else {
                None
            }
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(5)
        .map(|(_, n)| n.to_owned())
        .collect()
}

pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_match_only_at_path_boundaries() {
        assert!(name_matches("app::db::fetch_row", "fetch_row"));
        assert!(name_matches("app::db::fetch_row", "db::fetch_row"));
        assert!(name_matches("app::db::fetch_row", "app::db::fetch_row"));
        assert!(!name_matches("app::db::fetch_row", "row"));
        assert!(!name_matches("app::db::fetch_row", "b::fetch_row"));
        assert!(name_matches("<app::Disk as app::Store>::get", "get"));
    }

    #[test]
    fn every_form_of_a_method_finds_it() {
        let full = "<serde_json::value::Value as serde_core::de::Deserialize>::deserialize";
        for query in [
            full,
            "<Value as Deserialize>::deserialize",
            "Value::deserialize",
            "value::Value::deserialize",
            "serde_json::value::de::<impl serde_core::de::Deserialize for serde_json::value::Value>::deserialize",
            "deserialize",
        ] {
            assert!(name_matches(full, query), "{query}");
        }
        assert!(!name_matches(full, "Deserialize::deserialize"));
        assert!(!name_matches(full, "Val::deserialize"));
        let generic = "serde_json::ser::Serializer<_, serde_json::ser::PrettyFormatter>::pretty";
        for query in [
            "Serializer::pretty",
            "Serializer<_, PrettyFormatter>::pretty",
            "ser::Serializer::pretty",
        ] {
            assert!(name_matches(generic, query), "{query}");
        }
        let iter = "<app::W as core::iter::Iterator>::next";
        assert!(name_matches(
            iter,
            "<app::W as core::iter::traits::iterator::Iterator>::next"
        ));
        assert!(name_matches(iter, "W::next"));
        assert!(name_matches(iter, "<app::W as iter::Iterator>::next"));
        assert!(!name_matches(iter, "<app::X as Iterator>::next"));
        assert!(!name_matches(iter, "<W as Iterator>::prev"));
    }

    #[test]
    fn close_matches_rank_containment_then_distance() {
        let names = [
            "a::fetch_row",
            "a::fetch_rows_all",
            "a::fetch_col",
            "a::unrelated",
        ];
        let close = close_matches(names.iter().copied(), "fetch_ro");
        assert_eq!(
            close,
            vec!["a::fetch_row", "a::fetch_rows_all", "a::fetch_col"]
        );
        let close = close_matches(names.iter().copied(), "fetch_rw");
        assert_eq!(close, vec!["a::fetch_row"]);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
