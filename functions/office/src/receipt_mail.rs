//! The receipt code in the complainant's acknowledgment, written in only
//! as the mail leaves.
//!
//! The code is kept nowhere but as its Argon2id hash on the case, and the
//! outbox keeps every mail it sends: so the acknowledgment is queued with
//! [`casework::receipt::CODE_PLACEHOLDER`] where the code goes, and
//! [`WithReceiptCodes`], wrapped around the real mailer, puts the code in
//! (derived again from the tracking number under the action secret) just
//! before the mail is handed over. What is stored never holds a code.
//! Not here: the code itself (`casework::receipt`) or when mail is sent
//! (`crate::delivery`).

use casework::action_token::ActionSecret;
use casework::outgoing::Message;
use casework::receipt::{CODE_PLACEHOLDER, ReceiptCode};
use casework::tracking::TrackingNumber;
use mail::{MailError, Mailer};

/// A mailer that fills in receipt codes, then sends with `inner`.
#[derive(Debug)]
pub struct WithReceiptCodes<M> {
    inner: M,
    secret: ActionSecret,
}

impl<M> WithReceiptCodes<M> {
    pub fn new(inner: M, secret: ActionSecret) -> WithReceiptCodes<M> {
        WithReceiptCodes { inner, secret }
    }

    pub fn inner(&self) -> &M {
        &self.inner
    }
}

impl<M: Mailer> Mailer for WithReceiptCodes<M> {
    async fn send(&self, id: &str, message: &Message) -> Result<(), MailError> {
        if ![&message.subject, &message.text, &message.html]
            .iter()
            .any(|part| part.contains(CODE_PLACEHOLDER))
        {
            return self.inner.send(id, message).await;
        }
        // Every outbox id starts with its case's number.
        let Some(tracking) = id
            .split('/')
            .next()
            .and_then(|t| TrackingNumber::parse(t).ok())
        else {
            // Never send the placeholder instead of a code.
            return Err(MailError::Permanent(
                "a receipt code is asked for in a mail of no case".into(),
            ));
        };
        let code = ReceiptCode::for_case(&self.secret, &tracking).grouped();
        let mut filled = message.clone();
        for part in [&mut filled.subject, &mut filled.text, &mut filled.html] {
            *part = part.replace(CODE_PLACEHOLDER, &code);
        }
        self.inner.send(id, &filled).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Keep(Mutex<Vec<Message>>);

    impl Mailer for Keep {
        async fn send(&self, _id: &str, message: &Message) -> Result<(), MailError> {
            self.0.lock().unwrap().push(message.clone());
            Ok(())
        }
    }

    fn message(text: &str) -> Message {
        Message {
            to: vec!["resident@example.org".into()],
            subject: "ack".into(),
            text: text.into(),
            html: format!("<p>{text}</p>"),
            attachments: vec![],
            medium: Default::default(),
        }
    }

    fn secret() -> ActionSecret {
        ActionSecret::new(vec![7u8; 32]).unwrap()
    }

    #[tokio::test]
    async fn the_code_is_written_in_as_the_mail_leaves() {
        let mailer = WithReceiptCodes::new(Keep::default(), secret());
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let tracking = TrackingNumber::generate("SL", day, &mut rng);
        let id = format!("{tracking}/ack");
        let queued = message(&format!("查询码：{CODE_PLACEHOLDER}"));
        mailer.send(&id, &queued).await.unwrap();
        let sent = mailer.inner().0.lock().unwrap()[0].clone();
        let code = ReceiptCode::for_case(&secret(), &tracking).grouped();
        assert_eq!(sent.text, format!("查询码：{code}"));
        assert!(sent.html.contains(&code));
        assert!(!sent.text.contains(CODE_PLACEHOLDER) && !sent.html.contains(CODE_PLACEHOLDER));
        // What was queued (and stays in the outbox) still holds no code.
        assert!(!queued.text.contains(&code));
    }

    #[tokio::test]
    async fn other_mail_passes_unchanged_and_a_stray_placeholder_is_refused() {
        let mailer = WithReceiptCodes::new(Keep::default(), secret());
        let plain = message("你好");
        mailer.send("SL-x/new-case", &plain).await.unwrap();
        assert_eq!(mailer.inner().0.lock().unwrap()[0], plain);
        let stray = message(CODE_PLACEHOLDER);
        let refused = mailer.send("digest-failures/1", &stray).await;
        assert!(matches!(refused, Err(MailError::Permanent(_))));
        assert_eq!(mailer.inner().0.lock().unwrap().len(), 1);
    }
}
