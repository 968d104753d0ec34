//! Sending mail, behind one small trait.
//!
//! Messages arrive already rendered ([`casework::outgoing::Message`]); a
//! mailer only delivers. Adapters: Amazon SES (production, feature `ses`),
//! SMTP (feature `smtp`), and a local outbox folder of `.eml` files (always
//! built; the default for `hotline serve`). All three send the same bytes,
//! rendered by [`eml::render_eml`].
//!
//! Errors never carry an address or any part of the message: a receiving
//! server's reply often echoes the recipient, who may be the complainant,
//! so only status codes and error kinds are kept.

pub mod address;
pub mod eml;
mod outbox;
#[cfg(feature = "ses")]
mod ses;
#[cfg(feature = "smtp")]
mod smtp;

pub use eml::{render_eml, render_eml_at};
pub use outbox::OutboxMailer;
#[cfg(feature = "ses")]
pub use ses::SesMailer;
#[cfg(feature = "smtp")]
pub use smtp::{Credentials, SmtpMailer, Tls};

use casework::outgoing::Message;
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
        message: &Message,
    ) -> impl Future<Output = Result<(), MailError>> + Send;
}

/// A borrowed mailer sends as its owner does, so a wrapper (such as the
/// office's receipt-code filler) can stand in front of one for a while.
impl<M: Mailer + ?Sized> Mailer for &M {
    fn send(
        &self,
        id: &str,
        message: &Message,
    ) -> impl Future<Output = Result<(), MailError>> + Send {
        (**self).send(id, message)
    }
}
