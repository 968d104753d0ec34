//! `hotline new <kind> <path>`: a new page with the front matter its kind needs.

use crate::frontmatter::Kind;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("unknown kind `{0}`; the kinds are page, policy, channel, hotline and notice")]
    UnknownKind(String),
    #[error("{0} already exists; hotline new never overwrites a page")]
    Exists(PathBuf),
    #[error("a page path ends in .md, e.g. policies/refunds.md")]
    NotMarkdown,
    #[error("cannot write {0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// The text of a new page of `kind`, dated `today`.
pub fn template(kind: Kind, today: chrono::NaiveDate) -> String {
    let mut text = String::from("+++\ntitle = \"\"\ndescription = \"\"\n");
    let extra = match kind {
        Kind::Page => "",
        Kind::Policy => "kind = \"policy\"\n",
        Kind::Channel => {
            "kind = \"channel\"\nchannel = { type = \"email\", hours = \"\", address = \"\", contact = \"\" }\n"
        }
        Kind::Hotline => {
            "kind = \"hotline\"\nhotline = { number = \"12345\", hours = \"{{ calendar.hours }}\", after_hours = \"\" }\n"
        }
        Kind::Notice => "kind = \"notice\"\nvalid_until = ",
    };
    text.push_str(extra);
    if kind == Kind::Notice {
        let until = today + chrono::Days::new(30);
        text.push_str(&format!("{}\n", until.format("%Y-%m-%d")));
    }
    text.push_str(&format!("date = {}\n+++\n\n", today.format("%Y-%m-%d")));
    text
}

/// Creates `content/<path>`; refuses to overwrite.
pub fn create(
    root: &Path,
    kind: &str,
    path: &str,
    today: chrono::NaiveDate,
) -> Result<PathBuf, ScaffoldError> {
    let kind = Kind::from_name(kind).ok_or_else(|| ScaffoldError::UnknownKind(kind.to_string()))?;
    if !path.ends_with(".md") {
        return Err(ScaffoldError::NotMarkdown);
    }
    let rel = path.strip_prefix("content/").unwrap_or(path);
    let target = root.join("content").join(rel);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| ScaffoldError::Io(parent.to_path_buf(), e))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&target)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => ScaffoldError::Exists(target.clone()),
            _ => ScaffoldError::Io(target.clone(), e),
        })?;
    std::io::Write::write_all(&mut file, template(kind, today).as_bytes())
        .map_err(|e| ScaffoldError::Io(target.clone(), e))?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontmatter;

    #[test]
    fn every_scaffold_passes_the_schema_once_titled() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        for kind in [
            Kind::Page,
            Kind::Policy,
            Kind::Channel,
            Kind::Hotline,
            Kind::Notice,
        ] {
            let text = template(kind, today).replacen("title = \"\"", "title = \"x\"", 1);
            let path = Path::new("content/new.md");
            let split = frontmatter::split(path, &text).unwrap();
            let fm = frontmatter::parse(path, &split).unwrap_or_else(|e| panic!("{kind:?}: {e:?}"));
            assert_eq!(fm.kind, kind);
        }
    }

    #[test]
    fn refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        create(dir.path(), "notice", "notices/a.md", today).unwrap();
        assert!(matches!(
            create(dir.path(), "notice", "notices/a.md", today),
            Err(ScaffoldError::Exists(_))
        ));
        assert!(matches!(
            create(dir.path(), "poster", "b.md", today),
            Err(ScaffoldError::UnknownKind(_))
        ));
    }
}
