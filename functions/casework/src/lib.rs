//! The complaint-handling core of hotline.
//!
//! Everything here is pure: no files, clocks, networks or stores. The shells
//! (the `hotline` CLI, the `intake` and `remind` functions) read the rulebook
//! text, the clock and the store, and hand them in.
//!
//! Where to look:
//! - [`rules`]: `content/rules.toml`, parsed and validated with file:line:col.
//! - [`calendar`]: working days, holidays, make-up days, and every deadline.
//! - [`lifecycle`]: the case state machine and its audit trail.
//! - [`channel`]: the ways a case comes in (web form, phone, …).
//! - [`submission`]: what a visitor sent, cleaned and checked field by field.
//! - [`tracking`]: tracking numbers that survive being read over the phone.
//! - [`due`]: what the scheduler must do next for a case, and when.
//! - [`messages`]: the mails a new case and a department's actions send.
//! - [`notices`]: the scheduler's mails (digests, alerts, the survey).
//! - [`letter`]: the one document model every mail is rendered with, the
//!   one HTML escaper and the one footer.
//! - [`wording`]: the strings table of mails and of the API's own pages
//!   (`site/theme/messages.toml`).
//! - [`texts`]: the text messages (SMS) to complainants, their length in
//!   segments, and the hours they may be sent.
//! - [`outgoing`]: the one outgoing message type (a mail or a text), as
//!   every renderer returns it and the outbox and senders keep and send it.
//! - [`stats`]: the monthly statistics and the CSV export.
//! - [`action_token`]: the signed links in mails (department actions, survey).
//! - [`evidence`]: the files a case keeps, as described on the case.

pub mod action_token;
pub mod calendar;
pub mod channel;
pub mod conversation;
pub mod diagnostic;
pub mod due;
pub mod duplicates;
pub mod evidence;
pub mod letter;
pub mod lifecycle;
pub mod links;
pub mod localized;
pub mod messages;
pub mod notice;
pub mod notices;
pub mod outgoing;
pub mod queue_token;
pub mod receipt;
pub mod rules;
pub mod stats;
mod stored_forms;
pub mod submission;
pub mod texts;
pub mod time_limit;
pub mod tracking;
pub mod wording;

pub use diagnostic::{Diagnostic, Severity as DiagnosticLevel};
pub use localized::{Lang, Localized};
pub use rules::Rulebook;
pub use time_limit::{TimeLimit, TimeUnit};
