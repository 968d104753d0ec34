//! Stage 3: the monthly statistics (not yet written).

use crate::{Options, Report};
use casestore::Store;
use casework::Rulebook;
use chrono::{DateTime, Utc};
use mail::Mailer;

pub async fn send_statistics<S: Store, M: Mailer>(
    _rules: &Rulebook,
    _store: &S,
    _mailer: &M,
    _now: DateTime<Utc>,
    _options: &Options,
    _report: &mut Report,
) {
}
