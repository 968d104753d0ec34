//! Writing a rendered site to a folder, and printing diagnostics.

use crate::site::Output;
use casework::Diagnostic;
use std::path::Path;

/// Replaces `dir` with the rendered files.
pub fn write(output: &Output, dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    for (path, bytes) in &output.files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(target, bytes)?;
    }
    Ok(())
}

/// Every diagnostic, errors last so they stay on screen.
pub fn report(diagnostics: &[Diagnostic]) -> String {
    let mut sorted: Vec<&Diagnostic> = diagnostics.iter().collect();
    sorted.sort_by_key(|d| d.is_error());
    let mut text = String::new();
    for d in sorted {
        text.push_str(&d.to_string());
        text.push('\n');
    }
    text
}
