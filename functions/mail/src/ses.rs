//! The production mailer: Amazon SES (v2), raw content, so the message is
//! exactly what the other mailers send, attachments included.
//!
//! The client comes from the environment (`aws_config`), so tests point it
//! at a local endpoint with `AWS_ENDPOINT_URL` and the code has no test path.

use crate::eml::{render_eml_at, sender_address};
use crate::{MailError, Mailer};
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use casework::outgoing::Message;

#[derive(Debug, Clone)]
pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl SesMailer {
    /// `from` is the `From` header; its address must be a verified SES
    /// identity.
    pub fn new(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> SesMailer {
        SesMailer {
            client,
            from: from.into(),
        }
    }

    /// A client configured from the environment (region, credentials,
    /// endpoint), built once and shared by every send.
    pub async fn from_env(from: impl Into<String>) -> SesMailer {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        SesMailer::new(aws_sdk_sesv2::Client::new(&config), from)
    }

    pub fn client(&self) -> &aws_sdk_sesv2::Client {
        &self.client
    }
}

impl Mailer for SesMailer {
    async fn send(&self, id: &str, message: &Message) -> Result<(), MailError> {
        if message.to.is_empty() {
            return Err(MailError::Permanent("the message has no recipient".into()));
        }
        let to: Vec<String> = message
            .to
            .iter()
            .map(|a| crate::address::ascii(a))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                MailError::Permanent("a recipient address is not ASCII past its domain".into())
            })?;
        let bytes = render_eml_at(id, &self.from, message, Some(chrono::Utc::now()));
        let raw = RawMessage::builder()
            .data(Blob::new(bytes))
            .build()
            .map_err(|e| MailError::Permanent(format!("could not build the SES request: {e}")))?;
        self.client
            .send_email()
            .from_email_address(sender_address(&self.from))
            .destination(Destination::builder().set_to_addresses(Some(to)).build())
            .content(EmailContent::builder().raw(raw).build())
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

/// Throttling, server errors and anything an operator can fix without
/// touching the message (sending paused, identity not verified) are
/// temporary; a rejected or malformed message is permanent. Only the error
/// code is kept: SES messages can quote the addresses.
fn classify<R>(e: SdkError<SendEmailError, R>) -> MailError
where
    R: HasStatus,
{
    match &e {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("unknown").to_string();
            match service.err() {
                SendEmailError::MessageRejected(_) | SendEmailError::BadRequestException(_) => {
                    MailError::Permanent(format!("SES refused the message ({code})"))
                }
                SendEmailError::TooManyRequestsException(_)
                | SendEmailError::LimitExceededException(_)
                | SendEmailError::SendingPausedException(_)
                | SendEmailError::AccountSuspendedException(_)
                | SendEmailError::MailFromDomainNotVerifiedException(_)
                | SendEmailError::NotFoundException(_) => {
                    MailError::Temporary(format!("SES cannot send now ({code})"))
                }
                _ if service.raw().status_code() >= 500 => {
                    MailError::Temporary(format!("SES failed ({code})"))
                }
                _ => MailError::Permanent(format!("SES refused the message ({code})")),
            }
        }
        SdkError::ConstructionFailure(_) => {
            MailError::Permanent("could not build the SES request".into())
        }
        SdkError::TimeoutError(_) => MailError::Temporary("SES did not answer in time".into()),
        SdkError::DispatchFailure(_) => MailError::Temporary("SES could not be reached".into()),
        _ => MailError::Temporary("SES gave an unreadable answer".into()),
    }
}

/// The HTTP status of a raw response, whatever the SDK's response type.
trait HasStatus {
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_sdk_sesv2::config::http::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}
