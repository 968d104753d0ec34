//! The site's look for the pages the API writes itself.
//!
//! `hotline build` writes one "shell" per language: the site's base layout
//! with `<!--hotline:title-->` inside `<title>` and `<!--hotline:main-->`
//! where the main content goes (`_shell/index.html`, `en/_shell/index.html`
//! in the build output). The API fills them in, so its pages (the form shown
//! again, status, action and survey pages) look like the rest of the site.
//! Without shells, a small built-in page stands in. Reading files is the
//! callers' business ([`PageShells::from_dir`] is a convenience for them);
//! wrapping is pure.

use casework::Lang;
use casework::letter::escape_html as escape;
use std::path::Path;

pub const TITLE_MARKER: &str = "<!--hotline:title-->";
pub const MAIN_MARKER: &str = "<!--hotline:main-->";

/// Where each language's shell lies in the build output.
pub const SHELL_PATHS: [(Lang, &str); 2] = [
    (Lang::Zh, "_shell/index.html"),
    (Lang::En, "en/_shell/index.html"),
];

/// One shell per language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageShells {
    pub zh: String,
    pub en: String,
}

impl Default for PageShells {
    fn default() -> Self {
        PageShells::builtin()
    }
}

impl PageShells {
    /// A plain, self-contained page (no scripts, no external styles).
    pub fn builtin() -> PageShells {
        PageShells {
            zh: builtin(Lang::Zh),
            en: builtin(Lang::En),
        }
    }

    /// Shells from the files `read` returns for each of [`SHELL_PATHS`];
    /// a missing or unusable one is replaced by the built-in shell, with a
    /// warning to log.
    pub fn from_files(read: impl Fn(&str) -> Option<String>) -> (PageShells, Vec<String>) {
        let mut shells = PageShells::builtin();
        let mut warnings = Vec::new();
        for (lang, path) in SHELL_PATHS {
            let slot = match lang {
                Lang::Zh => &mut shells.zh,
                Lang::En => &mut shells.en,
            };
            match read(path) {
                None => warnings.push(format!(
                    "no page shell at {path}: the API's pages use the built-in look"
                )),
                Some(text) => match missing_marker(&text) {
                    Some(marker) => warnings.push(format!(
                        "the page shell {path} has no {marker}: the API's pages use the built-in look"
                    )),
                    None => *slot = text,
                },
            }
        }
        (shells, warnings)
    }

    /// Shells from a build output folder (or a copy of its `_shell` files).
    pub fn from_dir(dir: &Path) -> (PageShells, Vec<String>) {
        PageShells::from_files(|path| std::fs::read_to_string(dir.join(path)).ok())
    }

    /// A whole page: `title` (escaped here) and `main` (HTML, already
    /// escaped by its writer) put into the language's shell. The markers
    /// are looked for in the shell only, so text in `main` that looks like a
    /// marker stays text.
    pub fn wrap(&self, lang: Lang, title: &str, main: &str) -> String {
        let shell = match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        };
        let title = escape(title);
        let (before, after) = shell.split_once(MAIN_MARKER).unwrap_or((shell, ""));
        let mut page = String::with_capacity(shell.len() + main.len() + title.len());
        page.push_str(&before.replacen(TITLE_MARKER, &title, 1));
        page.push_str(main);
        page.push_str(&after.replacen(TITLE_MARKER, &title, 1));
        page
    }
}

fn missing_marker(text: &str) -> Option<&'static str> {
    [TITLE_MARKER, MAIN_MARKER]
        .into_iter()
        .find(|m| !text.contains(m))
}

fn builtin(lang: Lang) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{TITLE_MARKER}</title>\n<style>body{{font-family:sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;line-height:1.5}}\
         label{{display:block;margin-top:1rem;font-weight:bold}}input,textarea{{width:100%;font:inherit}}\
         input[type=checkbox],input[type=radio]{{width:auto}}.error{{color:#a00000}}\
         .summary{{border:3px solid #a00000;padding:0 1rem}}.hp{{position:absolute;left:-9999px}}</style>\n</head>\n<body>\n<main>\n{MAIN_MARKER}</main>\n</body>\n</html>\n",
        lang.html_tag()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_fills_the_shell_and_markers_in_the_content_stay_text() {
        let shells = PageShells {
            zh: format!("<title>{TITLE_MARKER} · 热线</title><main>{MAIN_MARKER}</main>"),
            en: String::new(),
        };
        let page = shells.wrap(Lang::Zh, "<进度>", &format!("<p>{TITLE_MARKER}</p>"));
        assert_eq!(
            page,
            format!("<title>&lt;进度&gt; · 热线</title><main><p>{TITLE_MARKER}</p></main>")
        );
        let builtin = PageShells::builtin().wrap(Lang::En, "Status", "<p>x</p>");
        assert!(builtin.contains("<html lang=\"en\">"));
        assert!(builtin.contains("<title>Status</title>"));
        assert!(builtin.contains("<main>\n<p>x</p></main>"));
    }

    #[test]
    fn missing_or_markerless_shells_fall_back_with_a_warning() {
        let themed = format!("<html><title>{TITLE_MARKER}</title>{MAIN_MARKER}</html>");
        let (shells, warnings) = PageShells::from_files(|path| match path {
            "_shell/index.html" => Some(themed.clone()),
            "en/_shell/index.html" => Some("<html>no markers</html>".into()),
            _ => None,
        });
        assert_eq!(shells.zh, themed);
        assert_eq!(shells.en, PageShells::builtin().en);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("en/_shell/index.html"), "{warnings:?}");
        let (_, warnings) = PageShells::from_files(|_| None);
        assert_eq!(warnings.len(), 2);
    }
}
