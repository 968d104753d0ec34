//! The remind Lambda function: one [`remind::run_once`] per EventBridge
//! event (every 15 minutes by default).
//!
//! `main` builds the store, the mailer and the options once. Environment:
//! - `HOTLINE_TABLE` (required): the DynamoDB table;
//! - `HOTLINE_MAIL_FROM` (required): the verified SES sender;
//! - `HOTLINE_PUBLIC_BASE_URL` (required): the API root survey links point at;
//! - `HOTLINE_ACTION_SECRET` (required, at least 32 characters): signs the
//!   survey links, the same secret the intake function checks them with;
//! - `HOTLINE_REMIND_BATCH` (default `1000`): most due cases one run reads,
//!   and pending mails per page of the outbox;
//! - `HOTLINE_REMIND_BUDGET_SECS` (default `240`): how long a run keeps
//!   sending the outbox, page after page; each run also stops `60` seconds
//!   (`HOTLINE_REMIND_MARGIN_SECS`) before its invocation's deadline.
//!
//! The rulebook is compiled in, as in intake, so both apply the same rules.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use office::settings::{self, Deployment, var};
use remind::{Options, Report, run_once};
use serde::Deserialize;
use std::sync::Arc;

const RULES: &str = include_str!("../../../content/rules.toml");

/// The parts of an EventBridge scheduled event the function looks at; the
/// run always uses the clock, so a late or retried event does today's work.
#[derive(Debug, Deserialize)]
struct ScheduledEvent {
    #[serde(rename = "detail-type", default)]
    detail_type: Option<String>,
    #[serde(default)]
    time: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    settings::init_lambda_tracing();

    let rules = Arc::new(settings::compiled_rulebook(RULES)?);
    let deployment = Deployment::from_env()?;
    let store = Arc::new(
        casestore::dynamodb::DynamoStore::from_env(deployment.table.clone())
            .await
            .with_retention_years(rules.retention.years),
    );
    // Mail through SES, texts through End User Messaging SMS.
    let mailer = Arc::new(mail::Post::new(
        mail::SesMailer::from_env(deployment.mail_from.clone()).await,
        mail::SmsTexter::from_env(
            settings::env_opt(var::SMS_ORIGINATION_IDENTITY),
            settings::env_opt(var::SMS_CONFIGURATION_SET),
        )
        .await,
    ));
    let options = Arc::new(options_from_env(deployment)?);

    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let (rules, options, store, mailer) = (
            Arc::clone(&rules),
            Arc::clone(&options),
            Arc::clone(&store),
            Arc::clone(&mailer),
        );
        async move {
            // The outbox is sent until the invocation's time, less the
            // margin, runs out; the rest is left for the next run.
            let left = event
                .context
                .deadline()
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default();
            let options = (*options).clone().with_time_left(left);
            let scheduled: Option<ScheduledEvent> = serde_json::from_value(event.payload).ok();
            tracing::info!(
                detail_type = scheduled.as_ref().and_then(|e| e.detail_type.as_deref()),
                scheduled_at = scheduled.as_ref().and_then(|e| e.time.as_deref()),
                "remind run"
            );
            let report = run_once(&rules, &*store, &*mailer, chrono::Utc::now(), &options).await;
            log(&report);
            // A run that hit store errors fails, so the Lambda's error
            // metric (and its alarm) sees it; what it did is kept.
            if report.errors.is_empty() {
                Ok::<_, Error>(summary(&report))
            } else {
                Err(format!(
                    "{} problem(s); first: {}",
                    report.errors.len(),
                    report.errors[0]
                )
                .into())
            }
        }
    }))
    .await
}

fn log(report: &Report) {
    tracing::info!(
        cases_read = report.cases_read,
        cases_updated = report.cases_updated,
        lost_races = report.lost_races,
        queued = report.queued,
        outbox_read = report.outbox_read,
        outbox_pages = report.outbox_pages,
        outbox_left = report.outbox_left,
        // The backlog alarm's metric (infra/template.yaml): mail this run
        // could not get out, left for lack of time or failed and waiting to
        // be tried again.
        outbox_pending = report.outbox_left + report.send_failures,
        mails_sent = report.mails_sent,
        entries_sent = report.entries_sent,
        send_failures = report.send_failures,
        given_up = report.given_up,
        texts_deferred = report.texts_deferred,
        statistics = report.statistics.as_deref(),
        errors = report.errors.len(),
        "remind run done"
    );
}

fn summary(report: &Report) -> serde_json::Value {
    serde_json::json!({
        "cases_read": report.cases_read,
        "cases_updated": report.cases_updated,
        "mails_sent": report.mails_sent,
        "entries_sent": report.entries_sent,
        "send_failures": report.send_failures,
        "given_up": report.given_up,
        "texts_deferred": report.texts_deferred,
        "outbox_left": report.outbox_left,
        "statistics": report.statistics,
    })
}

fn options_from_env(deployment: Deployment) -> anyhow::Result<Options> {
    let mut options = Options::new(deployment.public_base_url, deployment.action_secret);
    options.batch = settings::env_number(var::REMIND_BATCH, options.batch)?;
    options.time_budget = std::time::Duration::from_secs(settings::env_number(
        var::REMIND_BUDGET_SECS,
        options.time_budget.as_secs(),
    )?);
    options.margin = std::time::Duration::from_secs(settings::env_number(
        var::REMIND_MARGIN_SECS,
        options.margin.as_secs(),
    )?);
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_in_rulebook_parses() {
        assert!(settings::compiled_rulebook(RULES).is_ok());
    }

    #[test]
    fn a_scheduled_event_is_read() {
        let event = serde_json::json!({
            "version": "0", "id": "x", "detail-type": "Scheduled Event",
            "source": "aws.events", "time": "2026-11-02T01:00:00Z", "detail": {}
        });
        let e: ScheduledEvent = serde_json::from_value(event).expect("an event");
        assert_eq!(e.detail_type.as_deref(), Some("Scheduled Event"));
        assert_eq!(e.time.as_deref(), Some("2026-11-02T01:00:00Z"));
    }
}
