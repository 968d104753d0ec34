//! One message, rendered: the only outgoing type of the project, an
//! e-mail or a text message (SMS).
//!
//! Every renderer in this crate (`messages`, `notices`, `stats`, `texts`)
//! returns a [`Message`]; the outbox keeps it as it is
//! (`casestore::Notification`) and the senders send it as it is
//! (`mail::Mailer`, `mail::text::Texter`, chosen by its [`Medium`]), so a
//! message is never converted by hand on its way out. Nothing here renders
//! or sends: this module only says what a message is.

use serde::{Deserialize, Serialize};

/// One rendered message: sending it needs no rules and no templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// E-mail addresses, or for a text the one mobile number in E.164
    /// form (`+8613812345678`).
    pub to: Vec<String>,
    /// One line: no CR, LF or other control characters (header-safe).
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Files sent with the mail, e.g. the monthly CSV. Kept by the outbox
    /// too; older stored mails have none.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// How it goes out. Stored mails from before texts existed have none
    /// and read as mail.
    #[serde(default)]
    pub medium: Medium,
}

/// How a message reaches its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Medium {
    /// An e-mail: subject, text and HTML bodies, attachments.
    #[default]
    Mail,
    /// A text message to a mobile phone: the plain `text` body only (the
    /// subject is a label for the office's failure summary, never sent).
    Text,
}

/// A file sent with a mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    pub content: Vec<u8>,
}
