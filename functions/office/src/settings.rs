//! The one configuration reader of the binaries: the `HOTLINE_*`
//! environment, the project's `.hotline/` folder, the compiled-in
//! rulebook, and the tracing set-up.
//!
//! The Lambda functions (`intake`, `remind`) and the `hotline` CLI read
//! their settings through here, so a variable is spelled, defaulted and
//! checked in one place, and the action secret is checked once, when it
//! becomes an [`ActionSecret`]. What each binary does with its settings is
//! its own; nothing here builds a store or a mailer.

use casework::Rulebook;
use casework::action_token::{ActionSecret, SecretError};
use std::path::{Path, PathBuf};

/// The project's local data folder: the preview's store, outbox and secret.
pub const DATA_DIR: &str = ".hotline";

/// A setting that is missing or cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} {why}")]
    Invalid { name: &'static str, why: String },
    #[error("{name}: {source}")]
    Secret {
        name: &'static str,
        source: SecretError,
    },
    #[error("the compiled-in rulebook has {0} error(s)")]
    Rulebook(usize),
}

/// Every variable the binaries read, spelled once.
pub mod var {
    /// The DynamoDB table of cases, outbox, rate counters and jobs.
    pub const TABLE: &str = "HOTLINE_TABLE";
    /// The verified SES sender of every mail.
    pub const MAIL_FROM: &str = "HOTLINE_MAIL_FROM";
    /// The API root the mails' action links point at.
    pub const PUBLIC_BASE_URL: &str = "HOTLINE_PUBLIC_BASE_URL";
    /// The key that signs action links (at least 32 bytes).
    pub const ACTION_SECRET: &str = "HOTLINE_ACTION_SECRET";
    /// The public site's origin, e.g. `https://12345.example.gov.cn`.
    pub const SITE_ORIGIN: &str = "HOTLINE_SITE_ORIGIN";
    /// The site's status page; `{SITE_ORIGIN}/status/` when not set.
    pub const STATUS_PAGE_URL: &str = "HOTLINE_STATUS_PAGE_URL";
    /// The site's thank-you page.
    pub const THANKS_URL: &str = "HOTLINE_THANKS_URL";
    /// The path the API is mounted under.
    pub const API_PREFIX: &str = "HOTLINE_API_PREFIX";
    /// The secret CloudFront sends to prove a viewer address is its own.
    pub const ORIGIN_SECRET: &str = "HOTLINE_ORIGIN_SECRET";
    /// The key that turns client addresses into rate-limit keys.
    pub const IP_HASH_SECRET: &str = "HOTLINE_IP_HASH_SECRET";
    /// The built site's page shells for the API's own pages.
    pub const PAGE_SHELLS: &str = "HOTLINE_PAGE_SHELLS";
    /// Submissions a client may send per window.
    pub const RATE_LIMIT: &str = "HOTLINE_RATE_LIMIT";
    /// The rate-limit window, in seconds.
    pub const RATE_WINDOW_SECS: &str = "HOTLINE_RATE_WINDOW_SECS";
    /// Requests a client may make of the signed links' pages per window.
    pub const LINK_RATE_LIMIT: &str = "HOTLINE_LINK_RATE_LIMIT";
    /// How many leading bits of an IPv6 address make one client.
    pub const IPV6_PREFIX: &str = "HOTLINE_IPV6_PREFIX";
    /// Cases a reminder pass reads per page.
    pub const REMIND_BATCH: &str = "HOTLINE_REMIND_BATCH";
    /// How long one reminder pass may send, in seconds.
    pub const REMIND_BUDGET_SECS: &str = "HOTLINE_REMIND_BUDGET_SECS";
    /// What a reminder pass leaves of the invocation's time, in seconds.
    pub const REMIND_MARGIN_SECS: &str = "HOTLINE_REMIND_MARGIN_SECS";
    /// The evidence bucket (production): intake grants uploads into its
    /// quarantine and links its checked copies; the processing function
    /// moves files from one to the other.
    pub const EVIDENCE_BUCKET: &str = "HOTLINE_EVIDENCE_BUCKET";
    /// Where S3 sends a browser after an upload without JavaScript.
    pub const EVIDENCE_UPLOAD_REDIRECT: &str = "HOTLINE_EVIDENCE_UPLOAD_REDIRECT";
    /// The registered sender texts go out from (End User Messaging SMS:
    /// a sender ID, phone number or pool, by id or ARN); the account's
    /// default when not set.
    pub const SMS_ORIGINATION_IDENTITY: &str = "HOTLINE_SMS_ORIGINATION_IDENTITY";
    /// The End User Messaging configuration set that receives the texts'
    /// delivery events; none when not set.
    pub const SMS_CONFIGURATION_SET: &str = "HOTLINE_SMS_CONFIGURATION_SET";
}

/// What every production binary needs, read once: where the cases are,
/// who the mail is from, and how action links are made.
#[derive(Debug)]
pub struct Deployment {
    pub table: String,
    pub mail_from: String,
    pub public_base_url: String,
    pub action_secret: ActionSecret,
}

impl Deployment {
    /// The deployment's settings from the environment; the first missing
    /// or unusable one is the error.
    pub fn from_env() -> Result<Deployment, SettingsError> {
        Ok(Deployment {
            table: env(var::TABLE)?,
            mail_from: env(var::MAIL_FROM)?,
            public_base_url: env(var::PUBLIC_BASE_URL)?,
            action_secret: action_secret_from_env()?,
        })
    }
}

/// The site's status page for people: [`var::STATUS_PAGE_URL`], or the
/// site origin's `/status/`.
pub fn status_page_url() -> Result<String, SettingsError> {
    match env_opt(var::STATUS_PAGE_URL) {
        Some(url) => Ok(url),
        None => Ok(format!("{}/status/", env(var::SITE_ORIGIN)?)),
    }
}

/// A required variable.
pub fn env(name: &'static str) -> Result<String, SettingsError> {
    std::env::var(name).map_err(|_| SettingsError::Missing(name))
}

/// A variable with a default.
pub fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// A variable that is set and not empty.
pub fn env_opt(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|s| !s.is_empty())
}

/// A whole number, `default` when the variable is not set.
pub fn env_number<T: std::str::FromStr>(
    name: &'static str,
    default: T,
) -> Result<T, SettingsError> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(text) => text.trim().parse().map_err(|_| SettingsError::Invalid {
            name,
            why: "must be a whole number".into(),
        }),
    }
}

/// [`var::ACTION_SECRET`], checked.
pub fn action_secret_from_env() -> Result<ActionSecret, SettingsError> {
    ActionSecret::new(env(var::ACTION_SECRET)?).map_err(|source| SettingsError::Secret {
        name: var::ACTION_SECRET,
        source,
    })
}

/// The rulebook compiled into a function, parsed (its warnings were
/// reported when the site was built).
pub fn compiled_rulebook(text: &str) -> Result<Rulebook, SettingsError> {
    Rulebook::parse(Path::new("content/rules.toml"), text)
        .map(|(rules, _warnings)| rules)
        .map_err(|errors| SettingsError::Rulebook(errors.len()))
}

/// Where a project keeps its local data, and what is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir(pub PathBuf);

impl DataDir {
    /// `.hotline/` of the project at `root`.
    pub fn of(root: &Path) -> DataDir {
        DataDir(root.join(DATA_DIR))
    }

    /// The preview's SQLite case store.
    pub fn cases(&self) -> PathBuf {
        self.0.join("cases.sqlite")
    }

    /// The preview's outbox folder of `.eml` files.
    pub fn outbox(&self) -> PathBuf {
        self.0.join("outbox")
    }

    /// The preview's text outbox: one `.txt` file per text message.
    pub fn texts(&self) -> PathBuf {
        self.0.join("texts")
    }

    /// The preview's evidence files (checked copies, by fingerprint).
    pub fn evidence(&self) -> PathBuf {
        self.0.join("evidence")
    }

    /// The file that keeps the project's action-link secret.
    pub fn action_secret(&self) -> PathBuf {
        self.0.join("action-secret")
    }

    /// The file where `hotline serve` notes the API root it serves, so
    /// staff commands on the local store put that address in their mails'
    /// links, whatever port the preview runs on.
    pub fn public_base_url(&self) -> PathBuf {
        self.0.join("public-base-url")
    }
}

/// Logs as the Lambda functions write them: JSON lines without a time
/// (CloudWatch adds it), at `RUST_LOG` or `info`.
#[cfg(feature = "lambda")]
pub fn init_lambda_tracing() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .without_time()
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_folder_holds_the_preview() {
        let dir = DataDir::of(Path::new("site"));
        assert_eq!(dir.cases(), Path::new("site/.hotline/cases.sqlite"));
        assert_eq!(dir.outbox(), Path::new("site/.hotline/outbox"));
        assert_eq!(
            dir.action_secret(),
            Path::new("site/.hotline/action-secret")
        );
    }

    #[test]
    fn the_compiled_in_rulebook_parses() {
        let text = include_str!("../../../content/rules.toml");
        assert!(compiled_rulebook(text).is_ok());
    }
}
