//! What a staff command works on: the local store and outbox under
//! `.hotline/` (as `hotline serve` keeps them), or with `--store dynamodb`
//! the production table and SES from the environment (the remind Lambda's:
//! `HOTLINE_TABLE`, `HOTLINE_MAIL_FROM` and the AWS settings). Also the
//! project's action-link secret and the rulebook, which every such command
//! reads first.
//!
//! The AWS SDK is compiled only with the `dynamodb` feature; without it
//! `--store dynamodb` is still accepted on the command line and fails with
//! how to rebuild, before anything is read or sent.

use anyhow::{Context as _, anyhow, bail};
use casestore::OutgoingMessage;
#[cfg(feature = "dynamodb")]
use casestore::dynamodb::DynamoStore;
use casestore::sqlite::SqliteStore;
use casework::Rulebook;
use casework::action_token::ActionSecret;
use mail::{MailError, Mailer, OutboxMailer, OutboxTexter, Post};
#[cfg(feature = "dynamodb")]
use mail::{SesMailer, SmsTexter};
use std::path::Path;

// Where local cases, mail and the secret are kept: the binaries' one
// configuration reader says so.
pub use office::settings::DataDir;

/// Why `--store dynamodb` fails in a build without the SDK.
const NO_DYNAMODB: &str = "this hotline was built without DynamoDB support: \
rebuild it with `cargo build --release -p hotline --features dynamodb` to use --store dynamodb";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// `.hotline/cases.sqlite`, mail into `.hotline/outbox/`, texts into
    /// `.hotline/texts/`.
    Sqlite,
    /// The production table and SES, from the environment.
    Dynamodb,
}

#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// Which store to work on.
    #[arg(long, value_enum, default_value = "sqlite")]
    pub store: StoreKind,
}

/// Either store, so one command works on both.
pub enum AnyStore {
    Sqlite(SqliteStore),
    #[cfg(feature = "dynamodb")]
    Dynamo(DynamoStore),
}

/// Runs `$body` with `$s` bound to the concrete store.
macro_rules! with_store {
    ($store:expr, $s:ident => $body:expr) => {
        match $store {
            $crate::stores::AnyStore::Sqlite($s) => $body,
            #[cfg(feature = "dynamodb")]
            $crate::stores::AnyStore::Dynamo($s) => $body,
        }
    };
}
pub(crate) use with_store;

/// Either sender: the outbox folders (mail and texts) locally, SES and
/// End User Messaging SMS with DynamoDB.
pub enum AnyMailer {
    Outbox(Post<OutboxMailer, OutboxTexter>),
    #[cfg(feature = "dynamodb")]
    Ses(Post<SesMailer, SmsTexter>),
}

impl Mailer for AnyMailer {
    async fn send(&self, id: &str, message: &OutgoingMessage) -> Result<(), MailError> {
        match self {
            AnyMailer::Outbox(m) => m.send(id, message).await,
            #[cfg(feature = "dynamodb")]
            AnyMailer::Ses(m) => m.send(id, message).await,
        }
    }
}

/// The runtime a staff command's store and mailer run on.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

pub fn read_rules(root: &Path) -> anyhow::Result<Rulebook> {
    let rules_path = Path::new(casework::rules::RULES_PATH);
    let text = std::fs::read_to_string(root.join(rules_path))
        .with_context(|| format!("reading {}", rules_path.display()))?;
    let (rules, _) = casework::rules::parse_rules(rules_path, &text)
        .map_err(|_| anyhow!("{} has errors: run `hotline check`", rules_path.display()))?;
    Ok(rules)
}

/// A setting of `--store dynamodb`, from the environment. Every use of
/// that store goes through here first, so a build without the SDK says
/// so before anything else.
pub fn env(name: &'static str) -> anyhow::Result<String> {
    if !cfg!(feature = "dynamodb") {
        bail!(NO_DYNAMODB);
    }
    office::settings::env(name).map_err(|e| anyhow!("{e} (needed with --store dynamodb)"))
}

/// Where the links in a staff command's mails point, and the key that
/// signs them: the preview's API and `.hotline/action-secret` (made when
/// missing, as `hotline serve` does), or the deployment's settings with
/// `--store dynamodb`.
pub struct StaffLinks {
    /// The API root, e.g. `https://12345.example.gov.cn/api`.
    pub public_base_url: String,
    /// The site's status page for people; relative means the API's own page.
    pub status_page_url: String,
    pub action_secret: ActionSecret,
}

impl StaffLinks {
    pub fn for_store(root: &Path, kind: StoreKind) -> anyhow::Result<StaffLinks> {
        use office::settings::{self, var};
        Ok(match kind {
            StoreKind::Sqlite => {
                let data = DataDir::of(root);
                std::fs::create_dir_all(&data.0)
                    .with_context(|| format!("creating {}", data.0.display()))?;
                StaffLinks {
                    public_base_url: local_public_base_url(&data),
                    status_page_url: "/status/".into(),
                    action_secret: action_secret(&data)?,
                }
            }
            StoreKind::Dynamodb => StaffLinks {
                public_base_url: env(var::PUBLIC_BASE_URL)?,
                status_page_url: settings::status_page_url()
                    .map_err(|e| anyhow!("{e} (needed with --store dynamodb)"))?,
                action_secret: settings::action_secret_from_env()?,
            },
        })
    }

    /// The office's view of these links.
    pub fn links(&self) -> office::Links<'_> {
        office::Links {
            public_base_url: &self.public_base_url,
            status_page_url: &self.status_page_url,
            action_secret: &self.action_secret,
        }
    }
}

/// The store of `kind`; the local one must exist already.
pub async fn open_store(
    root: &Path,
    kind: StoreKind,
    rules: &Rulebook,
) -> anyhow::Result<AnyStore> {
    Ok(match kind {
        StoreKind::Sqlite => {
            let path = DataDir::of(root).cases();
            if !path.exists() {
                bail!(
                    "no local store at {}: run `hotline serve` and file a case first, or use --store dynamodb",
                    path.display()
                );
            }
            AnyStore::Sqlite(
                SqliteStore::open(&path).map_err(|e| anyhow!("opening {}: {e}", path.display()))?,
            )
        }
        StoreKind::Dynamodb => dynamo_store(rules).await?,
    })
}

#[cfg(feature = "dynamodb")]
async fn dynamo_store(rules: &Rulebook) -> anyhow::Result<AnyStore> {
    Ok(AnyStore::Dynamo(
        DynamoStore::from_env(env(office::settings::var::TABLE)?)
            .await
            .with_retention_years(rules.retention.years),
    ))
}

#[cfg(not(feature = "dynamodb"))]
async fn dynamo_store(_rules: &Rulebook) -> anyhow::Result<AnyStore> {
    bail!(NO_DYNAMODB)
}

pub async fn open_mailer(root: &Path, kind: StoreKind) -> anyhow::Result<AnyMailer> {
    Ok(match kind {
        StoreKind::Sqlite => AnyMailer::Outbox(local_post(&DataDir::of(root))),
        #[cfg(feature = "dynamodb")]
        StoreKind::Dynamodb => {
            use office::settings::{env_opt, var};
            AnyMailer::Ses(Post::new(
                SesMailer::from_env(env(var::MAIL_FROM)?).await,
                SmsTexter::from_env(
                    env_opt(var::SMS_ORIGINATION_IDENTITY),
                    env_opt(var::SMS_CONFIGURATION_SET),
                )
                .await,
            ))
        }
        #[cfg(not(feature = "dynamodb"))]
        StoreKind::Dynamodb => bail!(NO_DYNAMODB),
    })
}

/// The local sender `hotline serve` and the staff commands share: mail
/// into `.hotline/outbox/`, texts into `.hotline/texts/`.
pub fn local_post(data: &DataDir) -> Post<OutboxMailer, OutboxTexter> {
    Post::new(
        OutboxMailer::new(data.outbox(), "hotline@localhost"),
        OutboxTexter::new(data.texts()),
    )
}

/// The project's action-link secret: read from `.hotline/action-secret`,
/// or made (random, 32 bytes as hex) and kept there on first use. Local
/// staff commands that sign links (the survey) use this same secret, so
/// the API accepts what they sign; `data` is the project's `.hotline/` folder.
/// The API root that links in mails from the local store point at:
/// `HOTLINE_PUBLIC_BASE_URL` when set, otherwise the address the last
/// `hotline serve` noted in the data folder; without either, the default
/// preview address, said on stderr so nobody mails a dead link unawares.
pub fn local_public_base_url(data: &DataDir) -> String {
    if let Some(url) = office::settings::env_opt(office::settings::var::PUBLIC_BASE_URL) {
        return url;
    }
    if let Ok(noted) = std::fs::read_to_string(data.public_base_url())
        && let Some(url) = noted
            .lines()
            .next()
            .map(str::trim)
            .filter(|u| !u.is_empty())
    {
        return url.to_string();
    }
    let fallback = "http://127.0.0.1:1111/api";
    eprintln!(
        "Links in mail point at {fallback}: set HOTLINE_PUBLIC_BASE_URL, or run `hotline serve` once, for another address"
    );
    fallback.to_string()
}

/// Notes where this preview's API answers, for [`local_public_base_url`].
pub fn note_public_base_url(data: &DataDir, url: &str) -> anyhow::Result<()> {
    let path = data.public_base_url();
    std::fs::write(&path, format!("{url}\n")).with_context(|| format!("writing {}", path.display()))
}

pub fn action_secret(data: &DataDir) -> anyhow::Result<ActionSecret> {
    let path = data.action_secret();
    match std::fs::read_to_string(&path) {
        Ok(text) if let Ok(secret) = ActionSecret::new(text.trim()) => return Ok(secret),
        Ok(_) => println!(
            "{} is too short; making a new one (earlier action links stop working)",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(anyhow!("reading {}: {e}", path.display())),
    }
    let secret = format!(
        "{:032x}{:032x}",
        rand::random::<u128>(),
        rand::random::<u128>()
    );
    write_private(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
    ActionSecret::new(secret).map_err(|e| anyhow!("{e}"))
}

/// Writes a file only its owner may read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod address_tests {
    use super::*;

    #[test]
    fn staff_links_follow_the_address_serve_noted() {
        if std::env::var_os("HOTLINE_PUBLIC_BASE_URL").is_some() {
            panic!("unset HOTLINE_PUBLIC_BASE_URL to run this test: it overrides what serve notes");
        }
        let dir = tempfile::tempdir().expect("a temporary folder");
        let data = DataDir(dir.path().to_path_buf());
        assert_eq!(local_public_base_url(&data), "http://127.0.0.1:1111/api");
        note_public_base_url(&data, "http://127.0.0.1:8080/api").expect("noted");
        assert_eq!(local_public_base_url(&data), "http://127.0.0.1:8080/api");
    }
}
