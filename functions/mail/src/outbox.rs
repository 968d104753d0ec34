//! The local mailer: each message becomes one `.eml` file in a folder, for
//! `hotline serve` and for looking at what would have been sent.

use crate::eml::{file_stem, render_eml_at};
use crate::{MailError, Mailer};
use casework::outgoing::Message;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes `<folder>/<notification id>.eml`; sending the same notification
/// again replaces its file rather than adding a second one. Every send is
/// also a line of `<folder>/sent.log` (time and notification id), so a
/// mail sent twice — after a crash between sending and recording — shows
/// as what it would be for a real recipient: two mails.
#[derive(Debug)]
pub struct OutboxMailer {
    dir: PathBuf,
    from: String,
    /// Makes temporary names unique between concurrent sends in one process.
    counter: AtomicU64,
}

/// The file, in the outbox folder, that lists every send.
pub const SENT_LOG: &str = "sent.log";

impl OutboxMailer {
    /// `from` is the sender as it appears in the `From` header, e.g.
    /// `Hotline <noreply@example.org>`. The folder is created when needed.
    pub fn new(dir: impl Into<PathBuf>, from: impl Into<String>) -> OutboxMailer {
        OutboxMailer {
            dir: dir.into(),
            from: from.into(),
            counter: AtomicU64::new(0),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the message of notification `id` is written.
    pub fn path_for(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{}.eml", file_stem(id)))
    }

    fn write(&self, id: &str, bytes: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let target = self.path_for(id);
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        // A dot name is skipped by anything listing `*.eml`, and the rename
        // makes the finished file appear whole or not at all.
        let tmp = self
            .dir
            .join(format!(".{}.{}-{n}.tmp", file_stem(id), std::process::id()));
        let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, &target));
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
            return result;
        }
        self.log_sent(id);
        Ok(())
    }

    /// The send log's path.
    pub fn sent_log(&self) -> PathBuf {
        self.dir.join(SENT_LOG)
    }

    /// One line per send, written in one append. A failure here is not a
    /// failed send (the mail is in the folder), so it is only reported.
    fn log_sent(&self, id: &str) {
        use std::io::Write as _;
        let line = format!("{} {id}\n", chrono::Utc::now().to_rfc3339());
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.sent_log())
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = appended {
            eprintln!(
                "warning: could not add to the outbox's send log: {}",
                e.kind()
            );
        }
    }
}

impl Mailer for OutboxMailer {
    async fn send(&self, id: &str, message: &Message) -> Result<(), MailError> {
        let bytes = render_eml_at(id, &self.from, message, Some(chrono::Utc::now()));
        // Plain blocking writes: this mailer is for one local user, the files
        // are small, and it keeps the crate free of a runtime dependency.
        self.write(id, &bytes).map_err(|e| {
            MailError::Temporary(format!(
                "could not write to the outbox folder {}: {}",
                self.dir.display(),
                e.kind()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eml::read;

    fn message(subject: &str) -> Message {
        Message {
            to: vec!["housing@example.org".into()],
            subject: subject.into(),
            text: "text".into(),
            html: "<p>html</p>".into(),
            medium: casework::outgoing::Medium::Mail,
            attachments: vec![],
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(f)
    }

    fn fresh_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "hotline-outbox-{name}-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn writes_one_file_per_notification_and_overwrites_on_resend() {
        let dir = fresh_dir("resend");
        let outbox = OutboxMailer::new(dir.join("nested"), "Hotline <noreply@example.org>");
        let id = "SL-2611-K7Q-X9M-3DZ/new-case/housing";
        block_on(outbox.send(id, &message("第一次"))).unwrap();
        block_on(outbox.send(id, &message("第二次"))).unwrap();
        block_on(outbox.send("other", &message("x"))).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(outbox.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec![
                "SL-2611-K7Q-X9M-3DZ_2Fnew-case_2Fhousing.eml",
                "other.eml",
                SENT_LOG
            ]
        );
        // The resend replaced the file, and the log shows both sends.
        let log = std::fs::read_to_string(outbox.sent_log()).unwrap();
        let sends: Vec<&str> = log
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(_, id)| id)
            .collect();
        assert_eq!(sends, vec![id, id, "other"]);
        let raw = std::fs::read_to_string(outbox.path_for(id)).unwrap();
        assert_eq!(read::header(&raw, "Subject").as_deref(), Some("第二次"));
        assert!(read::header(&raw, "Date").is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_unwritable_folder_is_a_temporary_error_not_a_panic() {
        let dir = fresh_dir("blocked");
        std::fs::create_dir_all(&dir).unwrap();
        // A file where the folder should be.
        let blocked = dir.join("file");
        std::fs::write(&blocked, b"x").unwrap();
        let outbox = OutboxMailer::new(&blocked, "noreply@example.org");
        let err = block_on(outbox.send("id", &message("s"))).unwrap_err();
        assert!(matches!(err, MailError::Temporary(_)), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
