//! Where rendered files go — a folder on disk or memory — and printing
//! diagnostics.

use casework::Diagnostic;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The files of a rendered site: path under the output folder → bytes.
#[derive(Debug, Clone, Default)]
pub struct Output {
    pub files: BTreeMap<String, Vec<u8>>,
    pub pages_zh: usize,
    pub pages_en: usize,
    pub fallbacks: usize,
}

/// Takes the rendered files one by one, from any worker thread.
pub trait Sink: Sync {
    /// Stores one file; `path` is relative to the site's root, with `/`.
    fn put(&self, path: &str, bytes: &[u8]) -> std::io::Result<()>;
}

/// The files kept in memory: the preview serves them, tests read them.
#[derive(Debug, Default)]
pub struct Memory(Mutex<BTreeMap<String, Vec<u8>>>);

impl Memory {
    pub fn into_files(self) -> BTreeMap<String, Vec<u8>> {
        self.0.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl Sink for Memory {
    fn put(&self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_string(), bytes.to_vec());
        Ok(())
    }
}

/// Drops every file: `hotline check` renders only to find errors.
#[derive(Debug, Default, Clone, Copy)]
pub struct Discard;

impl Sink for Discard {
    fn put(&self, _path: &str, _bytes: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
}

/// A site written straight to disk, into a staging folder beside the
/// target (`.public.partial` for `public`) that replaces the target only
/// when [`Staged::finish`] is called: a failed build leaves the last good
/// site in place, and its partial output is removed when this is dropped.
#[derive(Debug)]
pub struct Staged {
    target: PathBuf,
    staging: PathBuf,
    finished: bool,
}

impl Staged {
    pub fn new(target: &Path) -> std::io::Result<Staged> {
        let name = target.file_name().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the output folder needs a name of its own",
            )
        })?;
        let staging = target.with_file_name(format!(".{}.partial", name.to_string_lossy()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        std::fs::create_dir_all(&staging)?;
        Ok(Staged {
            target: target.to_path_buf(),
            staging,
            finished: false,
        })
    }

    /// Replaces the target with what was written.
    pub fn finish(mut self) -> std::io::Result<()> {
        if self.target.exists() {
            std::fs::remove_dir_all(&self.target)?;
        }
        std::fs::rename(&self.staging, &self.target)?;
        self.finished = true;
        Ok(())
    }
}

impl Sink for Staged {
    fn put(&self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        let file = self.staging.join(path);
        // One page per folder: creating it costs one call when its parent
        // exists, and racing workers creating the same parent is harmless.
        if let Some(folder) = file.parent() {
            std::fs::create_dir_all(folder)?;
        }
        std::fs::write(file, bytes)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Replaces `dir` with the files of a site rendered in memory.
pub fn write(output: &Output, dir: &Path) -> std::io::Result<()> {
    let staged = Staged::new(dir)?;
    let files: Vec<(&String, &Vec<u8>)> = output.files.iter().collect();
    crate::parallel::map(&files, |(path, bytes)| staged.put(path, bytes))
        .into_iter()
        .collect::<std::io::Result<()>>()?;
    staged.finish()
}

/// Every diagnostic, errors last so they stay on screen.
pub fn report(diagnostics: &[Diagnostic]) -> String {
    report_at_most(diagnostics, usize::MAX)
}

/// Like [`report`], but a warning repeated on many files (a large site with
/// no English translations yet) is shown on the first `alike` files and then
/// counted, so that the build's own lines stay in sight. Errors are always
/// all shown; `hotline check` shows every warning.
pub fn report_at_most(diagnostics: &[Diagnostic], alike: usize) -> String {
    let mut sorted: Vec<&Diagnostic> = diagnostics.iter().collect();
    sorted.sort_by_key(|d| d.is_error());
    let mut shown: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut text = String::new();
    let mut more: Vec<(&str, usize)> = Vec::new();
    for d in sorted {
        if !d.is_error() {
            let count = shown.entry(d.message.as_str()).or_default();
            *count += 1;
            if *count > alike {
                continue;
            }
        }
        text.push_str(&d.to_string());
        text.push('\n');
    }
    for (message, count) in shown {
        if count > alike {
            more.push((message, count - alike));
        }
    }
    more.sort();
    for (message, hidden) in more {
        text.push_str(&format!(
            "warning: {hidden} more files: {message}\n  hint: `hotline check` lists every one\n"
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warning(file: &str, message: &str) -> Diagnostic {
        Diagnostic {
            severity: casework::diagnostic::Severity::Warning,
            file: PathBuf::from(file),
            line: 1,
            column: 1,
            message: message.into(),
            hint: None,
        }
    }

    #[test]
    fn a_warning_on_many_files_is_counted_after_the_first_few() {
        let mut all: Vec<Diagnostic> = (0..12)
            .map(|n| warning(&format!("content/p{n}.md"), "no English translation"))
            .collect();
        all.push(warning("content/rules.toml", "provisional calendar"));
        let mut error = warning("content/bad.md", "unknown key");
        error.severity = casework::diagnostic::Severity::Error;
        all.push(error);
        let text = report_at_most(&all, 5);
        assert_eq!(
            text.matches(": no English translation").count(),
            6,
            "{text}"
        );
        assert!(text.contains("content/p4.md") && !text.contains("content/p5.md"));
        assert!(text.contains("warning: 7 more files: no English translation"));
        assert!(text.contains("provisional calendar") && text.contains("unknown key"));
        assert_eq!(report(&all).matches("no English translation").count(), 12);
    }

    #[test]
    fn writes_nested_files_and_replaces_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let out_dir = dir.path().join("public");
        std::fs::create_dir_all(out_dir.join("stale")).unwrap();
        let mut output = Output::default();
        for path in [
            "index.html",
            "a/index.html",
            "a/b/c/index.html",
            "en/a/index.html",
        ] {
            output.files.insert(path.into(), path.as_bytes().to_vec());
        }
        write(&output, &out_dir).unwrap();
        for path in output.files.keys() {
            assert_eq!(std::fs::read_to_string(out_dir.join(path)).unwrap(), *path);
        }
        assert!(!out_dir.join("stale").exists());
        assert!(!dir.path().join(".public.partial").exists());
    }

    #[test]
    fn an_unfinished_build_leaves_the_last_site_alone() {
        let dir = tempfile::tempdir().unwrap();
        let out_dir = dir.path().join("public");
        std::fs::create_dir_all(&out_dir).unwrap();
        std::fs::write(out_dir.join("index.html"), "last good").unwrap();
        {
            let staged = Staged::new(&out_dir).unwrap();
            staged.put("a/b/index.html", b"new").unwrap();
            staged.put("index.html", b"new").unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(out_dir.join("index.html")).unwrap(),
            "last good"
        );
        assert!(!dir.path().join(".public.partial").exists());
    }
}
