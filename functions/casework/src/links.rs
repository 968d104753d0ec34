//! The signed links a department's mail offers, as the mail receives them.
//!
//! [`crate::action_token`] signs them and [`crate::messages`] renders them;
//! this type sits below both so that neither needs the other.

/// The links a department follows to act on a case; each is rendered only
/// when present (they are signed by the caller).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionLinks {
    pub accept: Option<String>,
    pub send_back: Option<String>,
    /// Ask the complainant a question (answered on their case page).
    pub ask: Option<String>,
    pub reply: Option<String>,
    pub extend: Option<String>,
    pub close: Option<String>,
    pub reject: Option<String>,
    pub raise_severity: Option<String>,
    /// The case's evidence, each item with its download link.
    pub evidence: Vec<(crate::evidence::EvidenceItem, String)>,
}

/// The office's links on a case sent back to it: re-route to one of the
/// plausible departments, or hand it back to the one that sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfficeLinks {
    /// Each department the case could go to, with its link.
    pub reroute: Vec<(crate::rules::DepartmentId, String)>,
    pub hand_back: Option<String>,
}

/// The approver's links on a department's request to extend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionLinks {
    pub approve: String,
    pub refuse: String,
}
