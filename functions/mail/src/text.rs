//! Sending text messages (SMS), behind one small trait, and the pair of
//! senders the outbox delivers through.
//!
//! A text arrives rendered ([`casework::outgoing::Message`] with
//! [`Medium::Text`]: one E.164 number in `to`, the plain `text`); a
//! texter only delivers it. Adapters: a local outbox folder of `.txt`
//! files (always built; `hotline serve`'s) and AWS End User Messaging SMS
//! (feature `sms`, see `sms.rs`). [`Post`] puts a mailer and a texter
//! together as one [`Mailer`], so everything that delivers the outbox
//! takes one sender and each message goes the way its medium says.
//!
//! Errors never carry the number or any part of the text.

use crate::{MailError, Mailer};
use casework::outgoing::{Medium, Message};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, thiserror::Error)]
pub enum TextError {
    /// Worth trying again later (throttled, unreachable, outside a quota).
    #[error("text could not be sent now: {0}")]
    Temporary(String),
    /// Will never work as it is (not a mobile number, opted out, refused,
    /// or no texter configured).
    #[error("text was refused: {0}")]
    Permanent(String),
}

impl From<TextError> for MailError {
    /// The outbox keeps one failure type: a text's failure is recorded
    /// and retried as a mail's is.
    fn from(e: TextError) -> MailError {
        match e {
            TextError::Temporary(why) => MailError::Temporary(format!("text: {why}")),
            TextError::Permanent(why) => MailError::Permanent(format!("text: {why}")),
        }
    }
}

pub trait Texter: Send + Sync {
    /// Delivers one text; `id` is the notification id.
    fn send(
        &self,
        id: &str,
        message: &Message,
    ) -> impl Future<Output = Result<(), TextError>> + Send;
}

/// A mailer and a texter as one sender: mail to the mailer, texts to the
/// texter, by the message's [`Medium`].
#[derive(Debug)]
pub struct Post<M, T> {
    pub mailer: M,
    pub texter: T,
}

impl<M: Mailer, T: Texter> Post<M, T> {
    pub fn new(mailer: M, texter: T) -> Post<M, T> {
        Post { mailer, texter }
    }
}

impl<M: Mailer, T: Texter> Mailer for Post<M, T> {
    async fn send(&self, id: &str, message: &Message) -> Result<(), MailError> {
        match message.medium {
            Medium::Mail => self.mailer.send(id, message).await,
            Medium::Text => self.texter.send(id, message).await.map_err(MailError::from),
        }
    }
}

/// The texter of a deployment that sends no texts: every text is refused
/// for good, so the office's failure summary says so rather than the
/// outbox retrying for days.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTexter;

impl Texter for NoTexter {
    async fn send(&self, _id: &str, _message: &Message) -> Result<(), TextError> {
        Err(TextError::Permanent("no text sender is configured".into()))
    }
}

/// The local texter: each text becomes `<folder>/<notification id>.txt`
/// (the number on the first line, a blank line, the text); sending the
/// same notification again replaces its file.
#[derive(Debug)]
pub struct OutboxTexter {
    dir: PathBuf,
    counter: AtomicU64,
}

impl OutboxTexter {
    pub fn new(dir: impl Into<PathBuf>) -> OutboxTexter {
        OutboxTexter {
            dir: dir.into(),
            counter: AtomicU64::new(0),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the text of notification `id` is written.
    pub fn path_for(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{}.txt", crate::eml::file_stem(id)))
    }
}

impl Texter for OutboxTexter {
    async fn send(&self, id: &str, message: &Message) -> Result<(), TextError> {
        if message.medium != Medium::Text || message.to.len() != 1 {
            return Err(TextError::Permanent("not a text to one number".into()));
        }
        let body = format!("To: {}\n\n{}\n", message.to[0], message.text);
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let stem = crate::eml::file_stem(id);
        let tmp = self
            .dir
            .join(format!(".{stem}.{}-{n}.tmp", std::process::id()));
        // Written whole, then renamed: a reader never sees half a text.
        let result = std::fs::create_dir_all(&self.dir)
            .and_then(|()| std::fs::write(&tmp, body))
            .and_then(|()| std::fs::rename(&tmp, self.path_for(id)));
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(|e| {
            TextError::Temporary(format!(
                "could not write to the text outbox folder {}: {}",
                self.dir.display(),
                e.kind()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(body: &str) -> Message {
        Message {
            to: vec!["+8613812345678".into()],
            subject: "[SL-2612-K7Q-X9M-3DZ] 短信 / text: acknowledgment".into(),
            text: body.into(),
            html: String::new(),
            attachments: vec![],
            medium: Medium::Text,
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
            "hotline-texts-{name}-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[derive(Default)]
    struct Counting(std::sync::Mutex<Vec<String>>);

    impl Mailer for Counting {
        async fn send(&self, id: &str, _message: &Message) -> Result<(), MailError> {
            self.0.lock().unwrap().push(id.to_string());
            Ok(())
        }
    }

    #[test]
    fn one_file_per_text_replaced_on_resend() {
        let dir = fresh_dir("resend");
        let texter = OutboxTexter::new(dir.join("texts"));
        let id = "SL-2612-K7Q-X9M-3DZ/text-ack";
        block_on(texter.send(id, &text("第一次"))).unwrap();
        block_on(texter.send(id, &text("第二次"))).unwrap();
        let names: Vec<String> = std::fs::read_dir(texter.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["SL-2612-K7Q-X9M-3DZ_2Ftext-ack.txt"]);
        let written = std::fs::read_to_string(texter.path_for(id)).unwrap();
        assert_eq!(written, "To: +8613812345678\n\n第二次\n");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn post_sends_mail_to_the_mailer_and_texts_to_the_texter() {
        let dir = fresh_dir("post");
        let post = Post::new(Counting::default(), OutboxTexter::new(&dir));
        let mut mail = text("mail body");
        mail.medium = Medium::Mail;
        mail.to = vec!["someone@example.org".into()];
        block_on(post.send("a/ack", &mail)).unwrap();
        block_on(post.send("a/text-ack", &text("短信"))).unwrap();
        assert_eq!(*post.mailer.0.lock().unwrap(), vec!["a/ack".to_string()]);
        assert!(post.texter.path_for("a/text-ack").exists());
        assert!(!post.texter.path_for("a/ack").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn without_a_texter_a_text_is_refused_for_good_and_names_no_number() {
        let post = Post::new(Counting::default(), NoTexter);
        let err = block_on(post.send("a/text-ack", &text("短信"))).unwrap_err();
        assert!(matches!(err, MailError::Permanent(_)), "{err}");
        assert!(!err.to_string().contains("138"), "{err}");
        assert!(post.mailer.0.lock().unwrap().is_empty());
    }
}
