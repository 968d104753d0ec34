//! Mail sent by a worker of its own instead of inside the request.
//!
//! The Lambda sends a case's first mails before it answers (it is frozen
//! once it has answered). A long-running server such as `hotline serve`
//! can answer as soon as the case is stored and let a worker send: the
//! visitor does not wait for the outbox folder or an SMTP server, and a
//! burst of submissions is not held to the speed of mail. Nothing depends
//! on the worker for safety: the notifications are stored as pending with
//! the case, so a full queue, a crash or a failed send leaves them to the
//! scheduled outbox pass, and the claim on each keeps the two from sending
//! one mail twice.

use crate::Api;
use casestore::{Notification, Store};
use chrono::Utc;
use mail::Mailer;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::mpsc;

/// Runs a mail worker on a thread of its own, with a runtime of its own,
/// at a lower scheduling priority than the requests (on Linux): the outbox
/// folder's writes block, and in a burst the answers go first while the
/// mail follows as fast as the machine allows.
pub fn run_mail_worker(
    worker: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("mail".into())
        .spawn(move || {
            lower_priority();
            runtime.block_on(worker);
        })
}

/// Nice 10 for the calling thread; where that is not possible the worker
/// just runs at the same priority as the rest.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on the calling thread, with no pointers.
    unsafe {
        let thread = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, thread, 10);
    }
}

/// The way from the requests to the worker.
pub(crate) struct Queue {
    sender: mpsc::Sender<Vec<Notification>>,
    /// Notifications handed over and not yet attempted.
    in_flight: AtomicUsize,
}

impl<S: Store + 'static, M: Mailer + 'static> Api<S, M> {
    /// Makes this API hand its mail to a worker, which is returned for the
    /// caller to run on any async runtime; it ends when the API is dropped.
    /// At most `capacity` batches (one per case or action) wait; beyond
    /// that, mail is left pending for the scheduled outbox pass.
    pub fn with_background_delivery(
        mut self,
        capacity: usize,
    ) -> (Arc<Self>, impl Future<Output = ()> + Send + 'static) {
        let (sender, mut receiver) = mpsc::channel::<Vec<Notification>>(capacity.max(1));
        self.background = Some(Queue {
            sender,
            in_flight: AtomicUsize::new(0),
        });
        let api = Arc::new(self);
        // Weak: the worker must not keep the API (and so its own queue) alive.
        let weak = Arc::downgrade(&api);
        let worker = async move {
            while let Some(batch) = receiver.recv().await {
                let Some(api) = weak.upgrade() else { break };
                api.deliver_now(&batch, Utc::now()).await;
                if let Some(queue) = &api.background {
                    queue.in_flight.fetch_sub(batch.len(), Ordering::AcqRel);
                }
            }
        };
        (api, worker)
    }
}

impl<S: Store, M: Mailer> Api<S, M> {
    /// Mail handed to the worker and not yet attempted (0 without a worker).
    pub fn mail_in_flight(&self) -> usize {
        self.background
            .as_ref()
            .map_or(0, |queue| queue.in_flight.load(Ordering::Acquire))
    }

    /// Sends now, or hands over to the worker if there is one.
    pub(crate) async fn deliver(&self, notifications: &[Notification], now: chrono::DateTime<Utc>) {
        let Some(queue) = &self.background else {
            return self.deliver_now(notifications, now).await;
        };
        if notifications.is_empty() {
            return;
        }
        // Counted before the hand-over, so the worker never counts below zero.
        queue
            .in_flight
            .fetch_add(notifications.len(), Ordering::AcqRel);
        if queue.sender.try_send(notifications.to_vec()).is_err() {
            queue
                .in_flight
                .fetch_sub(notifications.len(), Ordering::AcqRel);
            tracing::warn!(
                count = notifications.len(),
                "mail queue full; left pending for the scheduler"
            );
        }
    }
}
