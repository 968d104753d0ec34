//! The notices a case can need, each sent at most once: what the scheduler
//! plans ([`crate::due`]) and what the case remembers having sent
//! ([`crate::lifecycle::Case::sent`]). Not how or when they are sent.

use crate::rules::DeadlineKind;
use crate::stored_forms as serde_with;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One notice the scheduler sends for a case, at most once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// The department's supervisor hears of a severe case at once.
    SupervisorAlert,
    /// A deadline is close.
    Reminder {
        #[serde(with = "serde_with::deadline_kind")]
        kind: DeadlineKind,
    },
    /// A deadline has passed; escalation `level` is told.
    Escalation {
        #[serde(with = "serde_with::deadline_kind")]
        kind: DeadlineKind,
        level: u32,
    },
    /// A sent-back case waited more than a working day for re-routing.
    RerouteOverdue,
    /// The satisfaction survey to the complainant after closure.
    FollowUpSurvey,
    /// The complainant sent files after filing, up to evidence number
    /// `upto`: the department gets them with signed links.
    FilesAdded { upto: u32 },
}

impl Notice {
    /// The deadline the notice is about, if any.
    pub fn deadline_kind(&self) -> Option<DeadlineKind> {
        match self {
            Notice::Reminder { kind } | Notice::Escalation { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

impl Notice {
    /// A short stable name for ids, e.g. `reminder-accept`, `escalation-reply-2`.
    pub fn slug(&self) -> String {
        match self {
            Notice::SupervisorAlert => "supervisor-alert".into(),
            Notice::Reminder { kind } => format!("reminder-{}", kind.key()),
            Notice::Escalation { kind, level } => format!("escalation-{}-{level}", kind.key()),
            Notice::RerouteOverdue => "reroute-overdue".into(),
            Notice::FollowUpSurvey => "follow-up-survey".into(),
            Notice::FilesAdded { upto } => format!("files-added-{upto}"),
        }
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::SupervisorAlert => f.write_str("supervisor alert"),
            Notice::Reminder { kind } => write!(f, "reminder of the `{}` deadline", kind.key()),
            Notice::Escalation { kind, level } => write!(
                f,
                "escalation of the `{}` deadline to level {level}",
                kind.key()
            ),
            Notice::RerouteOverdue => f.write_str("re-routing overdue"),
            Notice::FollowUpSurvey => f.write_str("follow-up survey"),
            Notice::FilesAdded { upto } => write!(f, "files added, up to number {upto}"),
        }
    }
}
