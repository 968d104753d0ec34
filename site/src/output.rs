//! Writing a rendered site to a folder, and printing diagnostics.

use crate::site::Output;
use casework::Diagnostic;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Replaces `dir` with the rendered files.
///
/// Each folder is created once (shallowest first, a level at a time), then
/// the files are written on every core: with one folder per page, creating
/// entries is most of the cost on a slow disk.
pub fn write(output: &Output, dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    let folders: BTreeSet<(usize, &str)> = output
        .files
        .keys()
        .filter_map(|path| path.rsplit_once('/'))
        .flat_map(|(folder, _)| {
            folder
                .match_indices('/')
                .map(|(i, _)| &folder[..i])
                .chain([folder])
        })
        .map(|folder| (folder.matches('/').count(), folder))
        .collect();
    let levels: BTreeMap<usize, Vec<&str>> =
        folders
            .into_iter()
            .fold(BTreeMap::new(), |mut levels, (depth, folder)| {
                levels.entry(depth).or_insert_with(Vec::new).push(folder);
                levels
            });
    for level in levels.values() {
        crate::parallel::map(level, |folder| std::fs::create_dir(dir.join(folder)))
            .into_iter()
            .collect::<std::io::Result<()>>()?;
    }
    let files: Vec<(&String, &Vec<u8>)> = output.files.iter().collect();
    crate::parallel::map(&files, |(path, bytes)| {
        std::fs::write(dir.join(path), bytes)
    })
    .into_iter()
    .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
