//! Where the bytes of a case's evidence are kept, by their fingerprint.
//!
//! A case describes its files (`casework::evidence::EvidenceItem`); the
//! checked copies are here, under the SHA-256 of their bytes, so a file
//! sent twice is kept once and a key says nothing about the case or the
//! sender. [`DirEvidence`] keeps them in a folder beside the SQLite store
//! (`hotline serve`), [`MemoryEvidence`] in memory (tests). Production keeps
//! them in a private S3 bucket, written by its own processing step, not
//! through this trait. Nothing here checks a file: that is the `evidence`
//! crate's job, before anything is stored.
//!
//! The methods are synchronous: the files are small (the rulebook caps
//! them) and local.

use crate::StoreError;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

/// Checked evidence files, by the SHA-256 of their bytes (lowercase hex).
pub trait EvidenceFiles: Send + Sync {
    /// Keeps `bytes` under `sha256`; keeping the same key twice is not an
    /// error. Returns only when the bytes are durable.
    fn put(&self, sha256: &str, bytes: &[u8]) -> Result<(), StoreError>;
    fn get(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError>;
}

/// The fingerprint evidence is kept under.
pub fn fingerprint(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A key is 64 lowercase hex digits, so it can never name a path outside
/// the folder.
fn checked_key(sha256: &str) -> Result<&str, StoreError> {
    let ok = sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        Ok(sha256)
    } else {
        Err(StoreError::Corrupt("not an evidence fingerprint".into()))
    }
}

/// Evidence in a folder: `<dir>/<first two digits>/<fingerprint>`.
#[derive(Debug, Clone)]
pub struct DirEvidence {
    dir: PathBuf,
}

impl DirEvidence {
    pub fn new(dir: impl Into<PathBuf>) -> DirEvidence {
        DirEvidence { dir: dir.into() }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(key)
    }
}

fn unavailable(e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("evidence folder: {}", e.kind()))
}

impl EvidenceFiles for DirEvidence {
    fn put(&self, sha256: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let key = checked_key(sha256)?;
        let path = self.path(key);
        if path.exists() {
            return Ok(());
        }
        let folder = path.parent().unwrap_or(&self.dir).to_path_buf();
        std::fs::create_dir_all(&folder).map_err(unavailable)?;
        // Written whole under a temporary name, then renamed: a crash
        // leaves either no file or the whole one, never half of it.
        let mut tmp = tempfile::NamedTempFile::new_in(&folder).map_err(unavailable)?;
        tmp.write_all(bytes).map_err(unavailable)?;
        tmp.as_file().sync_all().map_err(unavailable)?;
        tmp.persist(&path).map_err(|e| unavailable(e.error))?;
        Ok(())
    }

    fn get(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = checked_key(sha256)?;
        match std::fs::read(self.path(key)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// Evidence in memory, for tests.
#[derive(Debug, Default)]
pub struct MemoryEvidence {
    files: Mutex<HashMap<String, Vec<u8>>>,
}

impl MemoryEvidence {
    /// How many files are kept.
    pub fn len(&self) -> usize {
        self.files.lock().map(|f| f.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl EvidenceFiles for MemoryEvidence {
    fn put(&self, sha256: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let key = checked_key(sha256)?;
        let mut files = self
            .files
            .lock()
            .map_err(|_| StoreError::Unavailable("evidence lock".into()))?;
        files
            .entry(key.to_string())
            .or_insert_with(|| bytes.to_vec());
        Ok(())
    }

    fn get(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = checked_key(sha256)?;
        let files = self
            .files
            .lock()
            .map_err(|_| StoreError::Unavailable("evidence lock".into()))?;
        Ok(files.get(key).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(files: &dyn EvidenceFiles) {
        let bytes = b"not really a photo";
        let key = fingerprint(bytes);
        assert_eq!(files.get(&key).unwrap(), None);
        files.put(&key, bytes).unwrap();
        files.put(&key, bytes).unwrap();
        assert_eq!(files.get(&key).unwrap().as_deref(), Some(&bytes[..]));
        // A key that is not a fingerprint cannot reach outside the folder.
        for bad in ["../../etc/passwd", "", &key.to_uppercase(), &key[..63]] {
            assert!(files.get(bad).is_err(), "{bad}");
            assert!(files.put(bad, bytes).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_folder_keeps_files_by_fingerprint_and_refuses_other_keys() {
        let dir = tempfile::tempdir().unwrap();
        let files = DirEvidence::new(dir.path().join("evidence"));
        round_trip(&files);
        let key = fingerprint(b"not really a photo");
        assert!(
            dir.path()
                .join("evidence")
                .join(&key[..2])
                .join(&key)
                .is_file()
        );
    }

    #[test]
    fn memory_keeps_files_by_fingerprint_and_refuses_other_keys() {
        let files = MemoryEvidence::default();
        round_trip(&files);
        assert_eq!(files.len(), 1);
    }
}
