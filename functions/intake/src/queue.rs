//! `GET /queue/{department}?token=…`: the page behind the link in a
//! department's digest mail, listing its open cases soonest deadline first
//! with each case's action links; the office's page lists every open case,
//! what waits for the office (sent back, an extension asked, a possible
//! repeat of another open case) on top, each with the office's own links
//! (re-route or hand back, approve or refuse, merge).
//!
//! The token (`casework::queue_token`) is checked before the store is
//! read, so a link that is not ours learns nothing, and it is signed for
//! the department in the path: another department's link refuses like a
//! forged one. The open cases come from the store's existing
//! `cases_received_between`, over the rulebook's retention window (a case
//! is deleted after it, so no open case is older), filtered here to open
//! ones of the department: no store method was added, at the price of
//! reading closed cases too; a department index would be the next step if
//! the pages get slow. This module changes nothing and sends nothing.

use crate::Api;
use crate::body;
use crate::page::{self, QueueItem, QueueView};
use crate::respond;
use crate::status;
use crate::submit::store_failure;
use bytes::Bytes;
use casestore::Store;
use casework::Lang;
use casework::action_token::{Action, TokenError};
use casework::lifecycle::{Case, CaseState};
use casework::messages::ActionLinks;
use casework::notices::local_time;
use casework::queue_token::QueueToken;
use casework::rules::{DepartmentId, Rulebook};
use casework::wording::{say, say_with};
use chrono::{DateTime, TimeDelta, Utc};
use http::{Request, Response, StatusCode};
use mail::Mailer;

type Page = Response<Bytes>;

impl<S: Store, M: Mailer> Api<S, M> {
    /// `GET /queue/{department}`.
    pub(crate) async fn queue(
        &self,
        req: &Request<Bytes>,
        typed: &str,
        now: DateTime<Utc>,
    ) -> Page {
        let lang = respond::request_lang(req, None);
        let config = self.config();
        let Some(token) = respond::query_param(req, "token") else {
            return self.notice(
                lang,
                StatusCode::BAD_REQUEST,
                &[say("pages.link_link_incomplete_use_link").get(lang)],
            );
        };
        let department = DepartmentId::new(typed);
        let checked = match QueueToken::check(&config.action_secret, &token, &department, now) {
            Ok(t) => t,
            Err(e) => return self.queue_refused(lang, &e),
        };
        let Some(dept) = config.rules.department(department.as_str()) else {
            return self.notice(
                lang,
                StatusCode::NOT_FOUND,
                &[say("pages.queue_no_such_department").get(lang)],
            );
        };
        let rules = &config.rules;
        let office = department == rules.office.department;
        let window = TimeDelta::days(366 * i64::from(rules.retention.years));
        let records = match self
            .store
            .cases_received_between(now - window, now + TimeDelta::seconds(1))
            .await
        {
            Ok(r) => r,
            Err(e) => {
                return respond::failure(store_failure(&e), &body::Mode::Html, lang, &self.pages());
            }
        };
        let links = self.links(&config);
        let mut cases: Vec<&casestore::CaseRecord> = records
            .iter()
            .filter(|r| listed(&r.case, &department, office))
            .collect();
        cases.sort_by_key(|r| {
            let c = &r.case;
            (next_due(c).is_none(), next_due(c), c.received_at)
        });
        let items: Vec<QueueItem> = cases
            .iter()
            .map(|&record| {
                let case = &record.case;
                let acts = case.department == department && case.state.is_with_department();
                let report = withheld(rules, case);
                QueueItem {
                    status: status::public_status(case, rules, lang),
                    next_deadline: next_deadline(rules, case, lang),
                    sent_back: case.state == CaseState::SentBack,
                    extension_asked: case
                        .extension_request
                        .as_ref()
                        .map(|r| local_time(rules, r.new_due)),
                    links: if acts && !report {
                        in_mail_order(links.department_links(rules, case, now))
                    } else {
                        Vec::new()
                    },
                    office_links: if office {
                        office_links(rules, &links, record, &cases, lang, now)
                    } else {
                        Vec::new()
                    },
                    report,
                }
            })
            .collect();
        tracing::info!(department = %department, cases = items.len(), "queue page shown");
        let valid_until = rules
            .calendar
            .local(checked.expires_at)
            .date_naive()
            .to_string();
        let html = page::queue_page(
            &self.pages().shells,
            lang,
            &QueueView {
                department: dept.name.get(lang),
                office,
                valid_until: &valid_until,
                items: &items,
            },
        );
        respond::html(Response::builder().status(StatusCode::OK), html)
    }

    fn queue_refused(&self, lang: Lang, e: &TokenError) -> Page {
        let reason = match e {
            TokenError::Malformed => "malformed",
            TokenError::BadSignature => "bad signature",
            TokenError::Expired { .. } => "expired",
            TokenError::WrongHolder { .. } => "wrong holder",
        };
        tracing::warn!(reason, "queue link refused");
        match e {
            TokenError::Expired { expired_at } => self.expired(lang, *expired_at),
            _ => self.notice(
                lang,
                StatusCode::FORBIDDEN,
                &[say("pages.queue_link_not_valid").get(lang)],
            ),
        }
    }
}

/// The office's own links on `record`: re-route or hand back a case sent
/// back, decide a request to extend that the office approves, and merge a
/// case that looks like an earlier one of `open`, the page's open cases
/// (`casework::duplicates`).
fn office_links(
    rules: &Rulebook,
    links: &office::links::Links<'_>,
    record: &casestore::CaseRecord,
    open: &[&casestore::CaseRecord],
    lang: Lang,
    now: DateTime<Utc>,
) -> Vec<(String, String)> {
    let case = &record.case;
    let mut out = Vec::new();
    if case.state == CaseState::SentBack {
        let desk = links.office_links(rules, case, now);
        for (id, url) in desk.reroute {
            let name = rules
                .department(id.as_str())
                .map_or(id.to_string(), |d| d.name.get(lang).to_string());
            out.push((
                say_with("pages.queue_reroute_to", lang, &[("department", name)]),
                url,
            ));
        }
        if let Some(url) = desk.hand_back {
            out.push((say("pages.queue_hand_back").get(lang).to_string(), url));
        }
    }
    let approves =
        casework::lifecycle::extension_approver(rules, case) == Some(&rules.office.department);
    if case.extension_request.is_some()
        && approves
        && let Some(decide) = links.extension_links(rules, case, now)
    {
        out.push((
            say("pages.queue_approve").get(lang).to_string(),
            decide.approve,
        ));
        out.push((
            say("pages.queue_refuse").get(lang).to_string(),
            decide.refuse,
        ));
    }
    if case.merged_into.is_none() && case.merged.is_empty() {
        // Only open cases can be repeated: the listed ones, not every record
        // the page read.
        let earlier = open
            .iter()
            .filter(|r| r.case.received_at < case.received_at)
            .map(|r| (&r.case, &r.submission));
        if let Some(d) =
            casework::duplicates::possible_duplicates(rules, (case, &record.submission), earlier)
                .into_iter()
                .next()
        {
            let url = links.merge_link(rules, case, &d.tracking, now);
            out.push((
                say_with(
                    "pages.queue_merge_into",
                    lang,
                    &[("into", d.tracking.to_string())],
                ),
                url,
            ));
        }
    }
    out
}

/// Whether `case` is on `department`'s page: open, and its own, or any
/// open case on the office's page (a case sent back is the office's work).
fn listed(case: &Case, department: &DepartmentId, office: bool) -> bool {
    !case.state.is_terminal() && (office || case.department == *department)
}

/// The soonest deadline not yet met.
fn next_due(case: &Case) -> Option<DateTime<Utc>> {
    case.deadlines
        .iter()
        .filter(|d| d.met_at.is_none())
        .map(|d| d.due_at)
        .min()
}

fn next_deadline(rules: &Rulebook, case: &Case, lang: Lang) -> Option<(String, String)> {
    case.deadlines
        .iter()
        .filter(|d| d.met_at.is_none())
        .min_by_key(|d| d.due_at)
        .map(|d| {
            (
                d.kind.name().get(lang).to_string(),
                local_time(rules, d.due_at),
            )
        })
}

fn withheld(rules: &Rulebook, case: &Case) -> bool {
    rules
        .case_type(case.case_type.as_str())
        .is_some_and(|t| t.identity_withheld)
}

/// The links a case's mail has, in its order (`Action::DEPARTMENT`).
fn in_mail_order(links: ActionLinks) -> Vec<(Action, String)> {
    Action::DEPARTMENT
        .into_iter()
        .filter_map(|a| {
            let url = match a {
                Action::Accept => links.accept.clone(),
                Action::SendBack => links.send_back.clone(),
                Action::Ask => links.ask.clone(),
                Action::Reply => links.reply.clone(),
                Action::Extend => links.extend.clone(),
                Action::Close => links.close.clone(),
                Action::RaiseSeverity => links.raise_severity.clone(),
                Action::Reject => links.reject.clone(),
                _ => None,
            };
            url.map(|u| (a, u))
        })
        .collect()
}
