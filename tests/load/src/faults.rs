//! A mailer that can be switched off mid-run and counts what it delivered
//! per notification id. (The store that can be switched off is
//! `casestore::faults::Faulty`.)

use casestore::OutgoingMessage;
use mail::{MailError, Mailer};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A mailer that refuses (temporarily) while `down`, and otherwise passes
/// the message on and counts deliveries per notification id.
pub struct CountingMailer<M> {
    pub inner: M,
    pub down: AtomicBool,
    pub refused: AtomicU64,
    delivered: Mutex<HashMap<String, u32>>,
}

impl<M> CountingMailer<M> {
    pub fn new(inner: M) -> Self {
        CountingMailer {
            inner,
            down: AtomicBool::new(false),
            refused: AtomicU64::new(0),
            delivered: Mutex::new(HashMap::new()),
        }
    }

    /// Deliveries per notification id so far.
    pub fn delivered(&self) -> HashMap<String, u32> {
        self.delivered.lock().map(|d| d.clone()).unwrap_or_default()
    }
}

impl<M: Mailer> Mailer for CountingMailer<M> {
    async fn send(&self, id: &str, message: &OutgoingMessage) -> Result<(), MailError> {
        if self.down.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(MailError::Temporary("outage staged by the harness".into()));
        }
        self.inner.send(id, message).await?;
        if let Ok(mut delivered) = self.delivered.lock() {
            *delivered.entry(id.to_string()).or_default() += 1;
        }
        Ok(())
    }
}
