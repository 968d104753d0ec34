//! The SMTP mailer: hands the rendered bytes to a relay (the office's mail
//! server, or a sink in tests). Plain or STARTTLS; implicit TLS is not
//! offered because submission relays all speak STARTTLS.

use crate::eml::{render_eml_at, sender_address};
use crate::{MailError, Mailer};
use casework::outgoing::Message;
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::authentication;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::fmt;
use std::time::Duration;

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Cleartext: only for a relay on the same host or a test sink.
    None,
    /// Upgrade with STARTTLS, and refuse to send if the relay cannot.
    StartTls,
}

/// A login on the relay.
#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish()
    }
}

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: String,
    sender: Address,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// How long one connection or command may take before it counts as down.
const TIMEOUT: Duration = Duration::from_secs(30);

impl SmtpMailer {
    /// `from` is the `From` header, e.g. `Hotline <noreply@example.org>`;
    /// its address is also the envelope sender. Fails (permanently) only
    /// on a sender address or host name that can never work.
    pub fn new(
        host: &str,
        port: u16,
        tls: Tls,
        credentials: Option<Credentials>,
        from: &str,
    ) -> Result<SmtpMailer, MailError> {
        let sender: Address = sender_address(from)
            .parse()
            .map_err(|_| MailError::Permanent("the sender address is not valid".into()))?;
        let builder = match tls {
            Tls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            Tls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| MailError::Permanent(format!("SMTP TLS set-up failed: {e}")))?,
        };
        let mut builder = builder.port(port).timeout(Some(TIMEOUT));
        if let Some(c) = credentials {
            builder = builder.credentials(authentication::Credentials::new(c.username, c.password));
        }
        Ok(SmtpMailer {
            transport: builder.build(),
            from: from.to_string(),
            sender,
        })
    }
}

impl Mailer for SmtpMailer {
    async fn send(&self, id: &str, message: &Message) -> Result<(), MailError> {
        let mut recipients = Vec::with_capacity(message.to.len());
        for to in &message.to {
            let to = crate::address::ascii(to).ok_or_else(|| {
                MailError::Permanent("a recipient address is not ASCII past its domain".into())
            })?;
            recipients
                .push(to.parse::<Address>().map_err(|_| {
                    MailError::Permanent("a recipient address is not valid".into())
                })?);
        }
        let envelope = Envelope::new(Some(self.sender.clone()), recipients)
            .map_err(|_| MailError::Permanent("the message has no recipient".into()))?;
        let bytes = render_eml_at(id, &self.from, message, Some(chrono::Utc::now()));
        self.transport
            .send_raw(&envelope, &bytes)
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

/// 5xx is final; everything else (4xx, connection, TLS, timeouts) may pass
/// later. Only the status code is kept: the reply text may name an address.
fn classify(e: lettre::transport::smtp::Error) -> MailError {
    let code = e
        .status()
        .map(|c| format!(" (SMTP {c})"))
        .unwrap_or_default();
    if e.is_permanent() {
        MailError::Permanent(format!("the SMTP server refused the message{code}"))
    } else if e.is_transient() {
        MailError::Temporary(format!("the SMTP server deferred the message{code}"))
    } else if e.is_timeout() {
        MailError::Temporary("the SMTP server did not answer in time".into())
    } else if e.is_tls() {
        MailError::Temporary("the TLS handshake with the SMTP server failed".into())
    } else {
        MailError::Temporary("the SMTP server could not be reached".into())
    }
}
