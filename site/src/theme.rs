//! The theme: Tera templates, interface strings and static files, embedded in
//! the binary so `hotline` works from any directory. A file of the same name
//! under `content/_theme/templates/` (or `static/`) replaces the built-in one.

use casework::Diagnostic;
use casework::diagnostic::Severity;
use include_dir::{Dir, include_dir};
use std::path::PathBuf;

static THEME: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/theme");

/// Where editors put their own templates and static files.
pub const OVERRIDE_DIR: &str = "content/_theme";

/// A template with the file it came from, for error messages.
#[derive(Debug, Clone)]
pub struct TemplateSource {
    pub name: String,
    pub file: PathBuf,
    pub text: String,
}

/// The built-in templates, each replaced by an override of the same name.
pub fn templates(overrides: &[(String, String)]) -> Vec<TemplateSource> {
    let mut out: Vec<TemplateSource> = Vec::new();
    if let Some(dir) = THEME.get_dir("templates") {
        collect(dir, &mut out);
    }
    for (name, text) in overrides {
        let source = TemplateSource {
            name: name.clone(),
            file: PathBuf::from(OVERRIDE_DIR).join("templates").join(name),
            text: text.clone(),
        };
        match out.iter_mut().find(|t| &t.name == name) {
            Some(t) => *t = source,
            None => out.push(source),
        }
    }
    out
}

fn collect(dir: &Dir<'static>, out: &mut Vec<TemplateSource>) {
    for file in dir.files() {
        let name = file
            .path()
            .strip_prefix("templates")
            .unwrap_or(file.path())
            .to_string_lossy()
            .replace('\\', "/");
        out.push(TemplateSource {
            file: PathBuf::from("site/theme").join(file.path()),
            name,
            text: file.contents_utf8().unwrap_or_default().to_string(),
        });
    }
    for sub in dir.dirs() {
        collect(sub, out);
    }
}

/// Built-in static files (path under `static/`, bytes), overrides applied.
pub fn static_files(overrides: &[(String, Vec<u8>)]) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = THEME
        .get_dir("static")
        .map(|d| {
            d.files()
                .map(|f| {
                    let name = f.path().strip_prefix("static").unwrap_or(f.path());
                    (name.to_string_lossy().into_owned(), f.contents().to_vec())
                })
                .collect()
        })
        .unwrap_or_default();
    for (name, bytes) in overrides {
        match out.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = bytes.clone(),
            None => out.push((name.clone(), bytes.clone())),
        }
    }
    out
}

/// The interface strings (`strings.toml`: one table per language).
pub fn strings() -> toml::Table {
    let text = THEME
        .get_file("strings.toml")
        .and_then(|f| f.contents_utf8())
        .unwrap_or_default();
    // The file is part of the binary and covered by a test, so a parse
    // failure cannot reach an editor.
    text.parse().unwrap_or_default()
}

/// Compiles the templates, reporting every syntax error with its position.
pub fn compile(sources: &[TemplateSource]) -> Result<tera::Tera, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    // Each template alone first, so that every broken one is reported.
    for t in sources {
        let mut alone = tera::Tera::new();
        if let Err(e) = alone.add_raw_template(&t.name, &t.text)
            && !matches!(e.kind(), tera::ErrorKind::MissingParent { .. })
        {
            errors.push(template_diagnostic(&e, sources));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut tera = tera::Tera::new();
    tera.autoescape_on([".html", ".xml"]);
    match tera.add_raw_templates(sources.iter().map(|t| (t.name.as_str(), t.text.as_str()))) {
        Ok(()) => Ok(tera),
        Err(e) => Err(vec![template_diagnostic(&e, sources)]),
    }
}

/// A Tera error as a diagnostic at the template's line and column.
pub fn template_diagnostic(error: &tera::Error, sources: &[TemplateSource]) -> Diagnostic {
    let report = match error.kind() {
        tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => Some(r),
        _ => None,
    };
    let (name, line, column, message) = match report {
        Some(r) => (
            r.filename().to_string(),
            r.span().start_line,
            r.span().start_col + 1,
            r.message().to_string(),
        ),
        None => (String::new(), 1, 1, error_chain(error)),
    };
    let file = sources
        .iter()
        .find(|t| t.name == name)
        .map(|t| t.file.clone())
        .unwrap_or_else(|| PathBuf::from(if name.is_empty() { "template" } else { &name }));
    Diagnostic {
        severity: Severity::Error,
        file,
        line: line.max(1),
        column,
        message: format!("template: {message}"),
        hint: None,
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_theme_compiles_and_has_both_languages() {
        let sources = templates(&[]);
        assert!(sources.iter().any(|t| t.name == "base.html"));
        compile(&sources).expect("the built-in templates compile");
        let strings = strings();
        let zh = strings["zh"].as_table().unwrap();
        let en = strings["en"].as_table().unwrap();
        let missing: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty(), "missing in English: {missing:?}");
        assert!(zh.len() > 20);
    }

    #[test]
    fn an_override_replaces_and_its_errors_point_to_it() {
        let sources = templates(&[("page.html".into(), "{% if %}".into())]);
        let errors = compile(&sources).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].file,
            PathBuf::from("content/_theme/templates/page.html")
        );
        assert_eq!(errors[0].line, 1);
    }

    #[test]
    fn static_assets_stay_small() {
        let total: usize = static_files(&[])
            .iter()
            .filter(|(n, _)| n.ends_with(".css") || n.ends_with(".js"))
            .map(|(_, b)| b.len())
            .sum();
        assert!(total > 0 && total <= 30 * 1024, "{total} bytes");
    }
}
