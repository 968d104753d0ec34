//! Sending mail, behind one small trait, and text messages behind another.
//!
//! Messages arrive already rendered ([`casework::outgoing::Message`]); a
//! mailer only delivers. Adapters: Amazon SES (production, feature `ses`),
//! SMTP (feature `smtp`), and a local outbox folder of `.eml` files (always
//! built; the default for `hotline serve`). All three send the same bytes,
//! rendered by [`eml::render_eml`]. Texts (SMS) go through [`text`]'s
//! `Texter`: a local folder of `.txt` files, or AWS End User Messaging SMS
//! (feature `sms`); [`text::Post`] is a mailer and a texter as one sender.
//!
//! Errors never carry an address or any part of the message: a receiving
//! server's reply often echoes the recipient, who may be the complainant,
//! so only status codes and error kinds are kept.

pub mod address;
pub mod eml;
mod outbox;
#[cfg(feature = "ses")]
mod ses;
#[cfg(feature = "sms")]
mod sms;
#[cfg(feature = "smtp")]
mod smtp;
pub mod text;

pub use eml::{render_eml, render_eml_at};
pub use outbox::{OutboxMailer, SENT_LOG};
#[cfg(feature = "ses")]
pub use ses::SesMailer;
#[cfg(feature = "sms")]
pub use sms::SmsTexter;
#[cfg(feature = "smtp")]
pub use smtp::{Credentials, SmtpMailer, Tls};
pub use text::{NoTexter, OutboxTexter, Post, TextError, Texter};

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
