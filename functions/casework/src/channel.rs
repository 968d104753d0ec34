//! The ways a case comes in: the six channels the site describes
//! (`content/channels/`), by the names its pages' front matter uses.
//!
//! A case keeps the channel it came in by, so the monthly statistics can
//! count them. The public form is the web channel; the office's staff
//! register the others (`hotline cases file --channel phone …`).

use crate::localized::Localized;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How a case reached the office.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    /// The hotline (12345).
    Phone,
    /// The form on the site: every case the public API receives.
    #[default]
    Web,
    Email,
    /// In person at the reception hall.
    WalkIn,
    Letter,
    /// The WeChat official account.
    Wechat,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Phone,
        Channel::Web,
        Channel::Email,
        Channel::WalkIn,
        Channel::Letter,
        Channel::Wechat,
    ];

    /// The names, for messages that list them.
    pub const NAMES: &'static str =
        "\"phone\", \"email\", \"web\", \"walk-in\", \"letter\" or \"wechat\"";

    /// The name in front matter, on the command line and in storage.
    pub fn key(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::Web => "web",
            Channel::Email => "email",
            Channel::WalkIn => "walk-in",
            Channel::Letter => "letter",
            Channel::Wechat => "wechat",
        }
    }

    pub fn from_name(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.key() == name)
    }

    /// What the office calls it, for reports.
    pub fn name(self) -> Localized {
        match self {
            Channel::Phone => Localized::new("电话", "phone"),
            Channel::Web => Localized::new("网上表单", "web form"),
            Channel::Email => Localized::new("电子邮件", "e-mail"),
            Channel::WalkIn => Localized::new("来访", "walk-in"),
            Channel::Letter => Localized::new("来信", "letter"),
            Channel::Wechat => Localized::new("微信", "WeChat"),
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl std::str::FromStr for Channel {
    type Err = String;

    fn from_str(s: &str) -> Result<Channel, String> {
        Channel::from_name(s)
            .ok_or_else(|| format!("{s:?} is not a channel: use {}", Channel::NAMES))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for c in Channel::ALL {
            assert_eq!(Channel::from_name(c.key()), Some(c));
            assert_eq!(c.key().parse::<Channel>(), Ok(c));
            let json = serde_json::to_string(&c).expect("serialises");
            assert_eq!(json, format!("\"{}\"", c.key()));
            assert_eq!(serde_json::from_str::<Channel>(&json).ok(), Some(c));
            assert!(Channel::NAMES.contains(&json));
        }
        assert_eq!(Channel::from_name("fax"), None);
        assert!("Phone".parse::<Channel>().is_err());
        assert_eq!(Channel::default(), Channel::Web);
    }
}
