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

/// `HOTLINE_ACTION_SECRET`, checked.
pub fn action_secret_from_env() -> Result<ActionSecret, SettingsError> {
    const NAME: &str = "HOTLINE_ACTION_SECRET";
    ActionSecret::new(env(NAME)?).map_err(|source| SettingsError::Secret { name: NAME, source })
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
