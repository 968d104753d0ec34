//! What a build reads: `content/` gathered into [`Sources`] (by the shell,
//! or written by a test), and the office's date by its rulebook.
//!
//! Not here: checking any of it, which is [`crate::site::Site::load`]'s.

use chrono::{DateTime, NaiveDate, Utc};
use std::path::{Path, PathBuf};

/// Everything the build reads, gathered by the shell (or written by a test).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// `content/site.toml`, if present.
    pub config: Option<String>,
    /// `content/rules.toml`, if present.
    pub rules: Option<String>,
    /// Markdown files: path inside `content/`, text.
    pub pages: Vec<(String, String)>,
    /// Template overrides: name, text.
    pub templates: Vec<(String, String)>,
    /// Static file overrides: name, bytes.
    pub static_files: Vec<(String, Vec<u8>)>,
}

impl Sources {
    /// Reads `content/` under the project root.
    pub fn read(root: &Path) -> std::io::Result<Sources> {
        let content = root.join("content");
        let read_opt = |p: PathBuf| match std::fs::read_to_string(&p) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        };
        let mut sources = Sources {
            config: read_opt(content.join("site.toml"))?,
            rules: read_opt(content.join("rules.toml"))?,
            ..Sources::default()
        };
        if !content.is_dir() {
            return Ok(sources);
        }
        let mut pages = Vec::new();
        for (rel, path) in walk(&content)? {
            if let Some(name) = rel.strip_prefix("_theme/templates/") {
                sources
                    .templates
                    .push((name.to_string(), std::fs::read_to_string(&path)?));
            } else if let Some(name) = rel.strip_prefix("_theme/static/") {
                sources
                    .static_files
                    .push((name.to_string(), std::fs::read(&path)?));
            } else if rel.ends_with(".md") && !rel.starts_with("_theme/") {
                pages.push((rel, path));
            }
        }
        // Thousands of small files: read on every core.
        sources.pages = crate::parallel::map(&pages, |(rel, path)| {
            Ok((rel.clone(), std::fs::read_to_string(path)?))
        })
        .into_iter()
        .collect::<std::io::Result<_>>()?;
        Ok(sources)
    }
}

/// Files under `dir`, as (path relative to `dir` with `/`, full path), sorted.
fn walk(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name();
            // Editors' backup and hidden files are not content.
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.push((rel.to_string_lossy().replace('\\', "/"), path));
            }
        }
    }
    out.sort();
    Ok(out)
}

impl Sources {
    /// Today's date at the office by the rulebook read with these sources
    /// (see [`office_today`]): a run takes it once, so a build that straddles
    /// midnight uses one date throughout.
    pub fn office_today(&self, now: DateTime<Utc>) -> NaiveDate {
        office_today(self.rules.as_deref(), now)
    }
}

/// Today's date at the office: `now` in the rulebook's time zone
/// (`[calendar] time_zone` in rules.toml), so notices expire by the office's
/// calendar wherever the build runs. Without a rulebook that parses, the
/// default calendar's zone stands in; loading the site reports what is wrong.
pub fn office_today(rules: Option<&str>, now: DateTime<Utc>) -> NaiveDate {
    let path = Path::new(casework::rules::RULES_PATH);
    let calendar = rules
        .and_then(|text| casework::rules::parse_rules(path, text).ok())
        .map(|(rules, _)| rules.calendar)
        .unwrap_or_default();
    calendar.local(now).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_the_date_in_the_rulebooks_time_zone() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny/content/rules.toml");
        let shanghai = std::fs::read_to_string(path).unwrap();
        assert!(shanghai.contains("time_zone = \"Asia/Shanghai\""));
        let new_york = shanghai.replace("Asia/Shanghai", "America/New_York");
        // 20:00 UTC on 1 March is 04:00 on 2 March in Shanghai, 15:00 on 1 March in New York.
        let now = DateTime::parse_from_rfc3339("2026-03-01T20:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        assert_eq!(office_today(Some(&shanghai), now), day(2));
        assert_eq!(office_today(Some(&new_york), now), day(1));
        // A rulebook that does not parse: the default zone, and load says why.
        assert_eq!(office_today(Some("not toml ["), now), day(2));
        assert_eq!(office_today(None, now), day(2));
    }
}
