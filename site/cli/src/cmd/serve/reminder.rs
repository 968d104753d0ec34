//! The reminder loop of `hotline serve`: one `remind::run_once` a minute
//! over the preview's SQLite file and outbox folder, on a thread of its own
//! so it never holds up the site.

use crate::cmd::remind::print_report;
use crate::stores::runtime;
use crate::stores::{DataDir, local_post};
use casestore::sqlite::SqliteStore;
use casework::Rulebook;
use chrono::Utc;
use std::sync::Arc;

/// Starts the loop; `data` is the project's `.hotline/` folder.
pub fn spawn(
    rules: Arc<Rulebook>,
    data: DataDir,
    public_base_url: String,
    action_secret: casework::action_token::ActionSecret,
) {
    std::thread::spawn(move || {
        let Ok(rt) = runtime() else {
            eprintln!("reminder loop: could not start its runtime");
            return;
        };
        let store = match SqliteStore::open_for_preview(data.cases()) {
            Ok(store) => store,
            Err(e) => {
                eprintln!("reminder loop: {e}");
                return;
            }
        };
        let mailer = local_post(&data);
        let options = remind::Options::new(public_base_url, action_secret);
        println!(
            "Reminder loop: every minute, mail into {}, texts into {}",
            data.outbox().display(),
            data.texts().display()
        );
        rt.block_on(async {
            loop {
                let now = Utc::now();
                let report = remind::run_once(&rules, &store, &mailer, now, &options).await;
                if report.mails_sent > 0 || report.queued > 0 || !report.errors.is_empty() {
                    print_report(&rules, now, &report, false);
                }
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            }
        });
    });
}
