//! The wording of the mails and of the API's own pages: one strings table,
//! `site/theme/messages.toml`, beside the site's `strings.toml`, so a
//! translator edits one place.
//!
//! The table is compiled in and parsed once. Every entry holds `zh` and
//! `en`; `{name}` marks a value filled in by the code ([`say_with`]). Every
//! look-up goes through [`say`]: a key the table does not have is a bug,
//! which panics in debug builds (so rendering every mail and page in the
//! tests finds a typo) and renders as nothing in release builds. What the
//! table says is not checked here against how it is used: the tests of the
//! crates that ask for the keys do that.

use crate::localized::{Lang, Localized};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// The table's text, as compiled in.
pub const SOURCE: &str = include_str!("../../../site/theme/messages.toml");

/// Where the table lives, for messages.
pub const PATH: &str = "site/theme/messages.toml";

/// The parsed table: `section.key` to both languages.
#[derive(Debug, Default)]
pub struct Table {
    pub entries: BTreeMap<String, Localized>,
    /// What is wrong with the file: an entry without both languages, a
    /// field other than `zh` and `en`, a value that is not text.
    pub problems: Vec<String>,
}

/// Parses the strings table. Never fails: a broken file gives an empty
/// table and says why in [`Table::problems`].
pub fn parse(text: &str) -> Table {
    let mut table = Table::default();
    match text.parse::<toml::Table>() {
        Ok(root) => collect("", &root, &mut table),
        Err(e) => table.problems.push(format!("{PATH}: {e}")),
    }
    table
}

fn collect(prefix: &str, t: &toml::Table, out: &mut Table) {
    for (key, value) in t {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let Some(inner) = value.as_table() else {
            out.problems
                .push(format!("{PATH}: `{path}` is not a table of zh and en"));
            continue;
        };
        let is_entry = inner.contains_key("zh") || inner.contains_key("en");
        if !is_entry {
            collect(&path, inner, out);
            continue;
        }
        for field in inner.keys().filter(|k| !matches!(k.as_str(), "zh" | "en")) {
            out.problems
                .push(format!("{PATH}: `{path}` has an unknown field `{field}`"));
        }
        let text = |lang: &str| inner.get(lang).and_then(|v| v.as_str()).map(str::to_string);
        match (text("zh"), text("en")) {
            (Some(zh), Some(en)) => {
                out.entries.insert(path, Localized::new(zh, en));
            }
            _ => out
                .problems
                .push(format!("{PATH}: `{path}` needs both zh and en as text")),
        }
    }
}

/// The table, parsed on first use.
pub fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| parse(SOURCE))
}

/// The entry for `key`, both languages. Keys are written out in full where
/// they are asked for (`"mail.reply"`), never built, so the tests can find
/// every one ([`keys_named_in`]).
pub fn say(key: &str) -> &'static Localized {
    static MISSING: Localized = Localized {
        zh: String::new(),
        en: None,
    };
    match table().entries.get(key) {
        Some(entry) => entry,
        None => {
            if cfg!(debug_assertions) {
                panic!("no `{key}` in {PATH}");
            }
            &MISSING
        }
    }
}

/// The entry for `key` in `lang`, with each `{name}` replaced by its value.
pub fn say_with(key: &str, lang: Lang, args: &[(&str, String)]) -> String {
    fill(say(key).get(lang), args)
}

/// The entry for `key` in both languages, each filled with the values
/// `args` gives for that language (an office's name, say, in each).
pub fn say_both(key: &str, args: impl Fn(Lang) -> Vec<(&'static str, String)>) -> Localized {
    let entry = say(key);
    Localized::new(
        fill(entry.get(Lang::Zh), &args(Lang::Zh)),
        fill(entry.get(Lang::En), &args(Lang::En)),
    )
}

/// `template` with each `{name}` replaced by its value; other braces stay.
pub fn fill(template: &str, args: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            args.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}` markers in `text`, sorted.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = text
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
        .filter(|name| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The keys of `section` that `source` names: every string literal of the
/// form `"section.key"`. The tests of each crate compare these with the
/// table's entries of the sections it owns, so a key the table lacks and an
/// entry no code asks for are both reported.
pub fn keys_named_in(source: &str, section: &str) -> BTreeSet<String> {
    let open = format!("\"{section}.");
    let mut keys = BTreeSet::new();
    for (at, _) in source.match_indices(&open) {
        let rest = &source[at + open.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end > 0 && rest[end..].starts_with('"') {
            keys.insert(format!("{section}.{}", &rest[..end]));
        }
    }
    keys
}

/// The table's keys in `section`.
pub fn keys_of_section(section: &str) -> BTreeSet<String> {
    let prefix = format!("{section}.");
    table()
        .entries
        .keys()
        .filter(|k| k.starts_with(&prefix))
        .cloned()
        .collect()
}

/// Whether `sections` of the table hold exactly the keys `sources` name:
/// the text of what is wrong otherwise (a key the table lacks, an entry no
/// source asks for). Each crate's test calls it with the sources and
/// sections it owns.
pub fn sections_match(sources: &[&str], sections: &[&str]) -> Result<(), String> {
    for section in sections {
        let asked: BTreeSet<String> = sources
            .iter()
            .flat_map(|s| keys_named_in(s, section))
            .collect();
        let table = keys_of_section(section);
        let missing: Vec<_> = asked.difference(&table).collect();
        if !missing.is_empty() {
            return Err(format!("not in {PATH}: {missing:?}"));
        }
        let unused: Vec<_> = table.difference(&asked).collect();
        if !unused.is_empty() {
            return Err(format!("in {PATH} but never asked for: {unused:?}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_every_entry_has_both_languages_with_the_same_values() {
        let t = table();
        assert!(t.problems.is_empty(), "{:?}", t.problems);
        assert!(!t.entries.is_empty());
        for (key, entry) in &t.entries {
            assert!(entry.has(Lang::En), "{key}");
            assert!(!entry.get(Lang::Zh).trim().is_empty(), "{key} has no zh");
            assert!(!entry.get(Lang::En).trim().is_empty(), "{key} has no en");
            assert_eq!(
                placeholders(entry.get(Lang::Zh)),
                placeholders(entry.get(Lang::En)),
                "{key}: both languages fill in the same values"
            );
        }
    }

    #[test]
    fn the_mail_sections_hold_exactly_the_keys_casework_asks_for() {
        let sources = [
            include_str!("letter.rs"),
            include_str!("messages.rs"),
            include_str!("notices.rs"),
            include_str!("stats.rs"),
        ];
        if let Err(problem) = sections_match(&sources, &["mail", "notice", "stats"]) {
            panic!("{problem}");
        }
    }

    #[test]
    fn broken_entries_are_reported() {
        let t =
            parse("[a]\nx = { zh = \"中\" }\ny = { zh = \"中\", en = \"E\", fr = \"F\" }\nz = 3\n");
        assert_eq!(t.entries.len(), 1, "{:?}", t.entries);
        assert_eq!(t.problems.len(), 3, "{:?}", t.problems);
        assert!(parse("[").problems[0].contains(PATH));
    }

    #[test]
    fn filling_replaces_named_values_only() {
        let args = [("a", "1".to_string())];
        assert_eq!(fill("x{a}y{b}z{", &args), "x1y{b}z{");
        assert_eq!(placeholders("{b} {a} {a} {}"), ["a", "b"]);
        let named = keys_named_in("say(\"k.a\") x(\"k.b\") \"k.a\" \"k.\" \"k.c d\"", "k");
        assert_eq!(named.into_iter().collect::<Vec<_>>(), ["k.a", "k.b"]);
    }
}
