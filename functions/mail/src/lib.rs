//! Sending mail, behind one small trait.
//!
//! Messages arrive already rendered ([`casestore::OutgoingMessage`]); a
//! mailer only delivers. Adapters: Amazon SES (production), SMTP, and a
//! local outbox folder of `.eml` files (the default for `hotline serve`).

use casestore::OutgoingMessage;
use std::future::Future;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Worth trying again later (connection refused, throttled, 4xx SMTP).
    #[error("mail could not be sent now: {0}")]
    Temporary(String),
    /// Will never work as it is (bad address, message rejected).
    #[error("mail was refused: {0}")]
    Permanent(String),
}

pub trait Mailer: Send + Sync {
    /// Delivers one message; `id` is the notification id, usable as a
    /// Message-ID so a receiver can spot a duplicate.
    fn send(
        &self,
        id: &str,
        message: &OutgoingMessage,
    ) -> impl Future<Output = Result<(), MailError>> + Send;
}
