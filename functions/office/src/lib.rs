//! The complaint office's operations: what the office does, whoever asks.
//!
//! Every way in (the public API in `intake`, the scheduled function in
//! `remind`, the `hotline` CLI) calls these and nothing else to change a
//! case or send a mail; they only translate a request into a call and the
//! outcome into an answer. Everything here is generic over
//! `casestore::Store` and `mail::Mailer` and is tested against the memory
//! store. The rules themselves (routing, deadlines, what is allowed) are
//! `casework`'s; this crate puts them together with the store and the
//! mailer, and decides nothing about HTTP, pages or arguments.
//!
//! Where to look:
//! - [`filing`]: file a case (validation, routing, deadlines, the
//!   tracking-number retry, the first mails);
//! - [`evidence`]: file a case with the photos and documents sent with it
//!   (each checked, the checked copies kept);
//! - [`attaching`]: add a checked file to a case already filed (the
//!   processing function's), or put a refused one on its trail;
//! - [`acting`]: act on a case (a department's and the office's commands,
//!   the complainant's survey, re-routing);
//! - [`complainant`]: the receipt code checked, and the complainant's
//!   message from their case page;
//! - [`delivery`]: deliver what is pending, mail and text messages, with
//!   the one claim → send → record policy (lease, time-out, back-off,
//!   giving up, and texts' sending hours);
//! - [`planning`], [`monthly`], [`outbox`]: what a scheduled run does (the
//!   notices that are due, the monthly statistics, the outbox pass), with
//!   [`schedule`]'s options and report;
//! - [`upload_grant`]: presigned POSTs into the evidence bucket's
//!   quarantine and presigned GETs of its checked copies (SigV4, pure);
//! - [`receipt_mail`]: the receipt code written into the acknowledgment
//!   as it leaves (no stored mail holds it);
//! - [`links`]: where the links in mails point, and the key that signs them;
//! - [`settings`]: the configuration the binaries read from the environment
//!   and `.hotline/`, and their tracing set-up.

pub mod acting;
pub mod attaching;
pub mod complainant;
pub mod delivery;
pub mod evidence;
pub mod filing;
pub mod links;
pub mod merging;
pub mod monthly;
pub mod outbox;
pub mod planning;
pub mod receipt_mail;
pub mod schedule;
pub mod settings;
pub mod upload_grant;

pub use acting::{ActError, Acted, act, answer_survey, reroute};
pub use delivery::deliver;
pub use filing::{FileError, Filed, TRACKING_ATTEMPTS, file_case, file_submission};
pub use links::Links;
pub use merging::{MergeError, MergedPair, merge, unmerge};
pub use receipt_mail::WithReceiptCodes;
pub use schedule::{Options, Preview, Report};

#[cfg(test)]
mod merge_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod text_tests;
