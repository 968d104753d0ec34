//! The production texter: AWS End User Messaging SMS (the
//! `pinpoint-sms-voice-v2` API), one `SendTextMessage` per text, sent as
//! transactional.
//!
//! Why this service rather than SNS `Publish`: it is the one SNS itself
//! now sends SMS through, it takes the origination identity and a
//! configuration set per message (delivery events for the failure alarm),
//! and its errors say why (opted out, blocked country, not registered).
//! What mainland China asks of a sender is in the README ("Text
//! messages"): a registered sender and registered templates, the
//! signature in 【】 at the start of every text; this adapter sends what
//! the rulebook's wording renders and nothing else.
//!
//! The client comes from the environment (`aws_config`), so tests point it
//! at a local endpoint with `AWS_ENDPOINT_URL`. Errors keep the error code
//! only: the service's messages may quote the number.

use crate::text::{TextError, Texter};
use aws_sdk_pinpointsmsvoicev2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_pinpointsmsvoicev2::operation::send_text_message::SendTextMessageError;
use aws_sdk_pinpointsmsvoicev2::types::MessageType;
use casework::outgoing::{Medium, Message};

/// Sends through End User Messaging SMS, optionally from one origination
/// identity (the registered sender's ARN or id) and with one
/// configuration set (where delivery events go).
#[derive(Debug, Clone)]
pub struct SmsTexter {
    client: aws_sdk_pinpointsmsvoicev2::Client,
    origination_identity: Option<String>,
    configuration_set: Option<String>,
}

impl SmsTexter {
    pub fn new(
        client: aws_sdk_pinpointsmsvoicev2::Client,
        origination_identity: Option<String>,
        configuration_set: Option<String>,
    ) -> SmsTexter {
        SmsTexter {
            client,
            origination_identity,
            configuration_set,
        }
    }

    /// A client configured from the environment (region, credentials,
    /// endpoint), built once and shared by every send.
    pub async fn from_env(
        origination_identity: Option<String>,
        configuration_set: Option<String>,
    ) -> SmsTexter {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        SmsTexter::new(
            aws_sdk_pinpointsmsvoicev2::Client::new(&config),
            origination_identity,
            configuration_set,
        )
    }
}

impl Texter for SmsTexter {
    async fn send(&self, id: &str, message: &Message) -> Result<(), TextError> {
        let [to] = message.to.as_slice() else {
            return Err(TextError::Permanent(
                "a text goes to exactly one number".into(),
            ));
        };
        if message.medium != Medium::Text || !to.starts_with('+') {
            return Err(TextError::Permanent("not a text to an E.164 number".into()));
        }
        self.client
            .send_text_message()
            .destination_phone_number(to)
            .message_body(&message.text)
            .message_type(MessageType::Transactional)
            .set_origination_identity(self.origination_identity.clone())
            .set_configuration_set_name(self.configuration_set.clone())
            // Carried into the delivery events, so a failure can be traced
            // back to its outbox entry without the number.
            .context("notification", id)
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

/// Throttling, quotas, server errors and what an operator fixes without
/// touching the text (a missing permission, sender or configuration set)
/// are temporary; a text the service finds invalid (opted out, blocked
/// country, unregistered sender or template) is permanent, so the office
/// hears of it at once. Only the code is kept.
fn classify<R>(e: SdkError<SendTextMessageError, R>) -> TextError {
    match &e {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("unknown").to_string();
            match service.err() {
                SendTextMessageError::ThrottlingException(_)
                | SendTextMessageError::ServiceQuotaExceededException(_)
                | SendTextMessageError::InternalServerException(_)
                | SendTextMessageError::AccessDeniedException(_)
                | SendTextMessageError::ResourceNotFoundException(_)
                | SendTextMessageError::ConflictException(_) => {
                    TextError::Temporary(format!("SMS cannot be sent now ({code})"))
                }
                _ => TextError::Permanent(format!("SMS refused the text ({code})")),
            }
        }
        SdkError::ConstructionFailure(_) => {
            TextError::Permanent("could not build the SMS request".into())
        }
        SdkError::TimeoutError(_) => TextError::Temporary("SMS did not answer in time".into()),
        SdkError::DispatchFailure(_) => TextError::Temporary("SMS could not be reached".into()),
        _ => TextError::Temporary("SMS gave an unreadable answer".into()),
    }
}
