//! One e-mail, rendered: the only mail type of the project.
//!
//! Every renderer in this crate (`messages`, `notices`, `stats`) returns a
//! [`Message`]; the outbox keeps it as it is (`casestore::Notification`)
//! and the mailers send it as it is (`mail::Mailer`), so a mail is never
//! converted by hand on its way out. Nothing here renders or sends: this
//! module only says what a mail is.

use serde::{Deserialize, Serialize};

/// One rendered e-mail: sending it needs no rules and no templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub to: Vec<String>,
    /// One line: no CR, LF or other control characters (header-safe).
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Files sent with the mail, e.g. the monthly CSV. Kept by the outbox
    /// too; older stored mails have none.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

/// A file sent with a mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    pub content: Vec<u8>,
}
