//! The pages behind the signed links in mails: a department's actions
//! (accept, send back, reply, extend, close) and the complainant's survey.
//!
//! A GET shows the case and a form and never changes anything (mail
//! scanners follow links on their own). A POST checks the token again,
//! reads the form into a `lifecycle` command and hands it to
//! `office::acting`, which applies it as the link's holder and writes it
//! only if the case is still at the version the form was shown for, with
//! the mails it causes; they are sent right after, like a new case's.
//! This module is HTTP only: the token, the forms, the pages, and which
//! page an outcome is. Every refusal is a page in the visitor's language
//! that says what to do, and whatever was typed is shown again whenever
//! the form is.
//!
//! Why this file is long: every signed link (five department actions and the survey) goes through the same steps (token, form, post, refusal pages); one file keeps each refusal next to the check that causes it.

// The helpers here return the page to answer as their error: one per
// request, so its size does not matter.
#![allow(clippy::result_large_err)]

use crate::body::{self, Kind};
use crate::page::{self, ActionForm, ActionInput};
use crate::respond::{self, Failure};
use crate::status;
use crate::submit::store_failure;
use crate::{Api, MAX_BODY_BYTES};
use bytes::Bytes;
use casestore::{CaseRecord, Store};
use casework::Lang;
use casework::action_token::{self, Action, ActionToken, Holder, TokenError};
use casework::lifecycle::{self, Actor, Case, CaseState, Command, LifecycleError, Satisfaction};
use casework::rules::{DeadlineKind, WhenUnsatisfied};
use casework::tracking::TrackingNumber;
use casework::wording::{say, say_with};
use chrono::{DateTime, NaiveDate, Utc};
use http::{Request, Response, StatusCode};
use mail::Mailer;
use office::acting::{ActError, Acted};

/// The fields a department's action form may send.
const ACTION_FIELDS: &[&str] = &[
    "version",
    "lang",
    "reason",
    "text",
    "new_due",
    "outcome",
    "severity",
    "department",
    "decision",
    "note",
    "into",
];
/// The fields the survey form may send.
const SURVEY_FIELDS: &[&str] = &["version", "lang", "rating", "comment", "reopen"];

type Page = Response<Bytes>;

fn page(status: StatusCode, html: String) -> Page {
    respond::html(Response::builder().status(status), html)
}

/// A form post, read: the case version it was shown for, and what was typed.
struct Posted {
    version: Option<u64>,
    input: ActionInput,
}

impl<S: Store, M: Mailer> Api<S, M> {
    /// `GET|POST /cases/{tracking}/actions/{action}`.
    pub(crate) async fn action(
        &self,
        req: &Request<Bytes>,
        typed: &str,
        slug: &str,
        post: bool,
        now: DateTime<Utc>,
    ) -> Page {
        let mut lang = respond::request_lang(req, None);
        let action = match Action::from_slug(slug) {
            Some(a) if Action::DEPARTMENT.contains(&a) || Action::OFFICE.contains(&a) => a,
            _ => {
                return self.notice(
                    lang,
                    StatusCode::NOT_FOUND,
                    &[say("pages.link_there_no_such_action").get(lang)],
                );
            }
        };
        let posted = if post {
            match self.read_post(req, ACTION_FIELDS, lang) {
                Ok(p) => {
                    lang = respond::request_lang(req, p.1.as_deref());
                    Some(p.0)
                }
                Err(page) => return page,
            }
        } else {
            None
        };
        let rules = self.config().rules.clone();
        let record = match self
            .open_link(req, typed, action, lang, now, |case| {
                Holder::Department(holder_department(&rules, action, case))
            })
            .await
        {
            Ok(r) => r,
            Err(page) => return page,
        };
        let actor = match action {
            Action::Reroute | Action::HandBack | Action::Merge => Actor::Office,
            _ => Actor::Department(holder_department(&rules, action, &record.case)),
        };
        // A form shown for an older version comes back first of all, with
        // what was typed, even when the change made the action impossible:
        // sending it again then says so, and nothing typed is lost.
        if let Some(posted) = &posted {
            match posted.version {
                None => return self.bad_post(lang),
                Some(v) if v != record.version => {
                    return self.conflict(lang, action, &record, &posted.input);
                }
                Some(_) => {}
            }
        }
        if let Err(e) = self.possible_now(&record.case, action, &actor, now) {
            return self.not_now(lang, action, &record.case, &e);
        }
        let Some(posted) = posted else {
            // The mail's link may pre-select a department or a decision.
            let chosen = ActionInput {
                department: respond::query_param(req, "to").unwrap_or_default(),
                decision: respond::query_param(req, "decision").unwrap_or_default(),
                into: respond::query_param(req, "into").unwrap_or_default(),
                ..ActionInput::default()
            };
            return self.form(StatusCode::OK, lang, action, &record, &chosen, &[]);
        };
        let input = posted.input;
        if action == Action::Merge {
            return self.merge_from_link(lang, &record, &input, now).await;
        }
        let command = match self.command(action, &record.case, &input, lang) {
            Ok(c) => c,
            Err(problem) => {
                return self.form(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    lang,
                    action,
                    &record,
                    &input,
                    &[problem],
                );
            }
        };
        let config = self.config();
        let acted = office::act(
            &config.rules,
            &self.store,
            &self.links(&config),
            &record,
            record.version,
            command,
            actor,
            now,
        )
        .await;
        let next = match self.outcome(acted, &record, action, lang, &input) {
            Ok(acted) => acted,
            Err(page) => return page,
        };
        tracing::info!(tracking = %next.case.tracking, action = action.slug(), "link action applied");
        self.deliver(&next.notifications, now).await;
        let next = next.case;
        let public = status::public_status(&next, &self.config().rules, lang);
        let done = done_message(action, &next, &self.config().rules, lang);
        page(
            StatusCode::OK,
            page::action_done_page(&self.pages().shells, lang, action, &public, &[&done]),
        )
    }

    /// `GET|POST /cases/{tracking}/survey`.
    pub(crate) async fn survey(
        &self,
        req: &Request<Bytes>,
        typed: &str,
        post: bool,
        now: DateTime<Utc>,
    ) -> Page {
        let action = Action::Survey;
        let mut lang = respond::request_lang(req, None);
        let mut posted_lang = None;
        let posted = if post {
            match self.read_post(req, SURVEY_FIELDS, lang) {
                Ok((p, l)) => {
                    posted_lang = l;
                    Some(p)
                }
                Err(page) => return page,
            }
        } else {
            None
        };
        let record = match self
            .open_link(req, typed, action, lang, now, |_| Holder::Complainant)
            .await
        {
            Ok(r) => r,
            Err(page) => return page,
        };
        // The complainant's own language, unless the page asks for another.
        let asked = respond::query_param(req, "lang").or(posted_lang);
        lang = asked
            .as_deref()
            .and_then(Lang::from_code)
            .unwrap_or(record.submission.language);
        if let Some(posted) = &posted {
            match posted.version {
                None => return self.bad_post(lang),
                Some(v) if v != record.version => {
                    return self.conflict(lang, action, &record, &posted.input);
                }
                Some(_) => {}
            }
        }
        if let Err(e) = self.possible_now(&record.case, action, &Actor::Complainant, now) {
            return self.not_now(lang, action, &record.case, &e);
        }
        let Some(posted) = posted else {
            let rating = respond::query_param(req, "rating")
                .as_deref()
                .and_then(action_token::rating_from_slug);
            let input = ActionInput {
                rating,
                reopen: rating.is_some_and(|r| self.config().rules.follow_up.is_unsatisfied(r)),
                ..ActionInput::default()
            };
            return self.form(StatusCode::OK, lang, action, &record, &input, &[]);
        };
        let input = posted.input;
        let Some(rating) = input.rating else {
            let problem = (
                Some("rating"),
                say("pages.link_choose_rating").get(lang).to_string(),
            );
            return self.form(
                StatusCode::UNPROCESSABLE_ENTITY,
                lang,
                action,
                &record,
                &input,
                &[problem],
            );
        };
        let config = self.config();
        let rules = &config.rules;
        let comment = Some(input.comment.trim().to_string()).filter(|c| !c.is_empty());
        let acted = office::answer_survey(
            rules,
            &self.store,
            &self.links(&config),
            &record,
            record.version,
            rating,
            comment,
            input.reopen,
            now,
        )
        .await;
        let next = match self.outcome(acted, &record, action, lang, &input) {
            Ok(acted) => acted,
            Err(page) => return page,
        };
        let reopened = next.case.state != CaseState::Closed;
        tracing::info!(tracking = %next.case.tracking, reopened, "survey answered");
        self.deliver(&next.notifications, now).await;
        let next = next.case;
        let public = status::public_status(&next, rules, lang);
        let mut messages = vec![say("pages.link_thank_rating_been_recorded").get(lang)];
        if reopened {
            messages.push(say("pages.link_case_will_handled_again").get(lang));
        }
        page(
            StatusCode::OK,
            page::action_done_page(&self.pages().shells, lang, action, &public, &messages),
        )
    }

    /// Reads a form post: its fields and its `lang`, or the page to answer.
    fn read_post(
        &self,
        req: &Request<Bytes>,
        known: &[&str],
        lang: Lang,
    ) -> Result<(Posted, Option<String>), Page> {
        if body::kind_of(req) != Kind::Form {
            return Err(respond::failure(
                Failure::UnsupportedType,
                &body::Mode::Html,
                lang,
                &self.pages(),
            ));
        }
        if req.body().len() > MAX_BODY_BYTES {
            return Err(respond::failure(
                Failure::TooLarge,
                &body::Mode::Html,
                lang,
                &self.pages(),
            ));
        }
        let pairs = body::parse_pairs(req.body(), known).map_err(|e| {
            respond::failure(Failure::BadBody(e), &body::Mode::Html, lang, &self.pages())
        })?;
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let input = ActionInput {
            reason: get("reason").unwrap_or_default(),
            text: get("text").unwrap_or_default(),
            new_due: get("new_due").unwrap_or_default().trim().to_string(),
            outcome: get("outcome").unwrap_or_default(),
            severity: get("severity").unwrap_or_default(),
            rating: get("rating")
                .as_deref()
                .and_then(action_token::rating_from_slug),
            comment: get("comment").unwrap_or_default(),
            reopen: matches!(get("reopen").as_deref(), Some("on" | "true" | "1" | "yes")),
            department: get("department").unwrap_or_default().trim().to_string(),
            decision: get("decision").unwrap_or_default().trim().to_string(),
            note: get("note").unwrap_or_default(),
            into: get("into").unwrap_or_default().trim().to_string(),
        };
        Ok((
            Posted {
                version: get("version").and_then(|v| v.trim().parse().ok()),
                input,
            },
            get("lang"),
        ))
    }

    /// The case a link is for, once its token is good; else the page that
    /// says why not. Nothing is changed on any path through here.
    ///
    /// The token is checked before the case is looked up: a link that is
    /// not ours gets the same answer whether or not its case exists, so the
    /// links' pages cannot be used to find out which tracking numbers are
    /// in use. Only a genuine link can meet "no such case" (a case deleted
    /// after the retention period).
    pub(crate) async fn open_link(
        &self,
        req: &Request<Bytes>,
        typed: &str,
        action: Action,
        lang: Lang,
        now: DateTime<Utc>,
        holder_of: impl Fn(&Case) -> Holder,
    ) -> Result<CaseRecord, Page> {
        let Some(token) = respond::query_param(req, "token") else {
            return Err(self.notice(
                lang,
                StatusCode::BAD_REQUEST,
                &[say("pages.link_link_incomplete_use_link").get(lang)],
            ));
        };
        let log_refusal = |e: &TokenError| {
            let kind = match e {
                TokenError::Malformed => "malformed",
                TokenError::BadSignature => "bad signature",
                TokenError::Expired { .. } => "expired",
                TokenError::WrongHolder { .. } => "wrong holder",
            };
            tracing::warn!(action = action.slug(), reason = kind, "link refused");
        };
        // A number that fails its check character cannot be on a link we
        // signed: refused like any other link that is not ours.
        let Ok(tracking) = TrackingNumber::parse(typed) else {
            log_refusal(&TokenError::Malformed);
            return Err(self.refused(lang, &TokenError::Malformed));
        };
        let checked =
            ActionToken::check(&self.config().action_secret, &token, &tracking, action, now)
                .map_err(|e| {
                    log_refusal(&e);
                    self.refused(lang, &e)
                })?;
        let record = match self.store.case(&tracking).await {
            Ok(Some(r)) => r,
            Ok(None) => {
                return Err(self.notice(
                    lang,
                    StatusCode::NOT_FOUND,
                    &[say("pages.link_there_no_case_with").get(lang)],
                ));
            }
            Err(e) => {
                return Err(respond::failure(
                    store_failure(&e),
                    &body::Mode::Html,
                    lang,
                    &self.pages(),
                ));
            }
        };
        match checked.given_to(&holder_of(&record.case)) {
            Ok(()) => Ok(record),
            Err(e) => {
                tracing::warn!(tracking = %tracking, action = action.slug(), reason = "wrong holder", "link refused");
                // The office's and the approver's links never change hands:
                // "no longer handles" would be wrong there.
                if Action::OFFICE.contains(&action) {
                    return Err(self.notice(
                        lang,
                        StatusCode::FORBIDDEN,
                        &[
                            say("pages.link_not_for_this_holder").get(lang),
                            say("pages.link_nothing_changed").get(lang),
                        ],
                    ));
                }
                Err(self.refused(lang, &e))
            }
        }
    }

    fn refused(&self, lang: Lang, e: &TokenError) -> Page {
        let nothing = say("pages.link_nothing_changed").get(lang);
        match e {
            TokenError::Malformed | TokenError::BadSignature => self.notice(
                lang,
                StatusCode::FORBIDDEN,
                &[say("pages.link_link_not_valid_may").get(lang), nothing],
            ),
            TokenError::Expired { expired_at } => self.expired(lang, *expired_at),
            TokenError::WrongHolder { .. } => self.notice(
                lang,
                StatusCode::FORBIDDEN,
                &[
                    say("pages.link_department_no_longer_handles").get(lang),
                    nothing,
                ],
            ),
        }
    }

    /// The page for a signed link (a case's or a queue's) that ran out on
    /// `expired_at`: the day, and the hotline to call.
    pub(crate) fn expired(&self, lang: Lang, expired_at: DateTime<Utc>) -> Page {
        let config = self.config();
        let day = config
            .rules
            .calendar
            .local(expired_at)
            .date_naive()
            .to_string();
        let text = say_with(
            "pages.link_expired",
            lang,
            &[
                ("day", day),
                ("hotline", config.rules.office.hotline.to_string()),
            ],
        );
        let nothing = say("pages.link_nothing_changed").get(lang);
        self.notice(lang, StatusCode::GONE, &[&text, nothing])
    }

    /// Whether `action` could be done now, whatever is typed: a refusal
    /// that filling in the form cannot mend (the state, one extension only,
    /// already rated …) comes back as the error.
    fn possible_now(
        &self,
        case: &Case,
        action: Action,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(), LifecycleError> {
        let probe = match action {
            // A download changes nothing; it is never routed here.
            // Two cases: decided when the form is sent, by `merging`.
            Action::Evidence | Action::CasePage | Action::Merge => return Ok(()),
            Action::Accept => Command::Accept,
            Action::Ask => Command::Ask {
                question: "-".into(),
            },
            Action::SendBack => Command::SendBack { reason: "-".into() },
            Action::Reply => Command::Reply { text: "-".into() },
            Action::Extend => lifecycle::extension_command(
                &self.config().rules,
                case,
                actor,
                "-".into(),
                case.deadline(DeadlineKind::Complete)
                    .map_or(now, |d| d.due_at + chrono::TimeDelta::seconds(1)),
            ),
            Action::Close => Command::Close {
                outcome: "-".into(),
            },
            Action::Reject => Command::Reject { reason: "-".into() },
            // The highest there is: possible when any higher one is.
            Action::RaiseSeverity => Command::RaiseSeverity {
                severity: self
                    .config()
                    .rules
                    .severities
                    .last()
                    .map(|s| s.id.clone())
                    .unwrap_or_else(|| case.severity.clone()),
            },
            Action::Survey => Command::RecordSatisfaction {
                rating: Satisfaction::Neutral,
                comment: None,
            },
            Action::Reroute => Command::Reroute {
                department: self.config().rules.office.department.clone(),
            },
            Action::HandBack => Command::HandBack { note: "-".into() },
            Action::DecideExtension => Command::DecideExtension {
                approve: false,
                note: "-".into(),
            },
        };
        match lifecycle::apply(case, probe, actor.clone(), now, &self.config().rules) {
            Ok(_) => Ok(()),
            Err(e) if form_problem(&e, action, Lang::Zh, &self.config().rules).is_some() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The command the form asks for; a field that cannot be read is a
    /// problem to show on the form.
    fn command(
        &self,
        action: Action,
        case: &Case,
        input: &ActionInput,
        lang: Lang,
    ) -> Result<Command, (Option<&'static str>, String)> {
        Ok(match action {
            Action::Evidence | Action::CasePage | Action::Merge => {
                return Err((None, String::new()));
            }
            Action::Accept => Command::Accept,
            Action::Ask => Command::Ask {
                question: input.text.clone(),
            },
            Action::SendBack => Command::SendBack {
                reason: input.reason.clone(),
            },
            Action::Reply => Command::Reply {
                text: input.text.clone(),
            },
            Action::Close => Command::Close {
                outcome: input.outcome.clone(),
            },
            Action::Reject => Command::Reject {
                reason: input.reason.clone(),
            },
            Action::RaiseSeverity => {
                let chosen = self
                    .config()
                    .rules
                    .higher_severities(&case.severity)
                    .iter()
                    .find(|s| s.id.as_str() == input.severity.trim())
                    .map(|s| s.id.clone());
                Command::RaiseSeverity {
                    severity: chosen.ok_or_else(|| {
                        (
                            Some("severity"),
                            say("pages.link_choose_higher_severity")
                                .get(lang)
                                .to_string(),
                        )
                    })?,
                }
            }
            Action::Extend => {
                let date = NaiveDate::parse_from_str(&input.new_due, "%Y-%m-%d").map_err(|_| {
                    (
                        Some("new_due"),
                        say("pages.link_give_new_completion_date")
                            .get(lang)
                            .to_string(),
                    )
                })?;
                lifecycle::extension_command(
                    &self.config().rules,
                    case,
                    &Actor::Department(case.department.clone()),
                    input.reason.clone(),
                    self.closing_time(case, date),
                )
            }
            Action::Survey => Command::RecordSatisfaction {
                rating: input.rating.unwrap_or(Satisfaction::Neutral),
                comment: None,
            },
            Action::Reroute => {
                let rules = &self.config().rules;
                let chosen = office::links::reroute_choices(rules, case)
                    .into_iter()
                    .find(|d| d.as_str() == input.department);
                Command::Reroute {
                    department: chosen.ok_or_else(|| {
                        (
                            Some("department"),
                            say("pages.choose_department").get(lang).to_string(),
                        )
                    })?,
                }
            }
            Action::HandBack => Command::HandBack {
                note: input.note.clone(),
            },
            Action::DecideExtension => Command::DecideExtension {
                approve: match input.decision.as_str() {
                    "approve" => true,
                    "refuse" => false,
                    _ => {
                        return Err((
                            Some("decision"),
                            say("pages.choose_decision").get(lang).to_string(),
                        ));
                    }
                },
                note: input.note.clone(),
            },
        })
    }

    /// Closing time on `date` in the office's zone, but never past the
    /// latest extension allowed when that falls on the same day.
    fn closing_time(&self, case: &Case, date: NaiveDate) -> DateTime<Utc> {
        let config = self.config();
        let calendar = &config.rules.calendar;
        let local = date.and_time(calendar.closes);
        let at = local
            .and_local_timezone(calendar.time_zone)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| local.and_utc());
        match self.latest_extension(case) {
            Some(max) if calendar.local(max).date_naive() == date && at > max => max,
            _ => at,
        }
    }

    /// The latest completion deadline an extension may set.
    fn latest_extension(&self, case: &Case) -> Option<DateTime<Utc>> {
        let config = self.config();
        let rules = &config.rules;
        let due = case.deadline(DeadlineKind::Complete)?.due_at;
        let type_rules = rules.case_type(case.case_type.as_str())?;
        Some(
            rules
                .calendar
                .deadline(due, rules.max_extension(type_rules)),
        )
    }

    /// The page for an action that was not stored: the form again with
    /// the case as it is now, with what was typed, or a refusal.
    fn outcome(
        &self,
        acted: Result<Acted, ActError>,
        record: &CaseRecord,
        action: Action,
        lang: Lang,
        input: &ActionInput,
    ) -> Result<Acted, Page> {
        match acted {
            Ok(acted) => Ok(acted),
            Err(ActError::Stale { current }) => {
                tracing::info!(tracking = %record.case.tracking, action = action.slug(), "case changed meanwhile");
                // Show the case as it is now, so sending again is informed.
                Err(self.conflict(lang, action, &current, input))
            }
            Err(ActError::Refused(e)) => {
                let problem = (action != Action::Survey)
                    .then(|| form_problem(&e, action, lang, &self.config().rules))
                    .flatten();
                Err(match problem {
                    Some(problem) => self.form(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        lang,
                        action,
                        record,
                        input,
                        &[problem],
                    ),
                    None => self.not_now(lang, action, &record.case, &e),
                })
            }
            Err(ActError::Store(e)) => {
                let _ = store_failure(&e);
                let problem = (
                    None,
                    say("pages.link_we_could_not_save").get(lang).to_string(),
                );
                let mut page = self.form(
                    StatusCode::SERVICE_UNAVAILABLE,
                    lang,
                    action,
                    record,
                    input,
                    &[problem],
                );
                page.headers_mut().insert(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from(respond::RETRY_AFTER_UNAVAILABLE),
                );
                Err(page)
            }
        }
    }

    /// The merge link's form, sent: `record` is merged into the case the
    /// form names, both written by `office::merging`; nobody is mailed
    /// (the complainants hear the survivor's answers).
    async fn merge_from_link(
        &self,
        lang: Lang,
        record: &CaseRecord,
        input: &ActionInput,
        now: DateTime<Utc>,
    ) -> Page {
        let action = Action::Merge;
        let problem = |key: &str| (Some("into"), say(key).get(lang).to_string());
        let Ok(into) = TrackingNumber::parse(&input.into) else {
            return self.form(
                StatusCode::UNPROCESSABLE_ENTITY,
                lang,
                action,
                record,
                input,
                &[problem("pages.merge_give_number")],
            );
        };
        let config = self.config();
        match office::merging::merge(
            &config.rules,
            &self.store,
            &record.case.tracking,
            &into,
            Actor::Office,
            now,
        )
        .await
        {
            Ok(pair) => {
                tracing::info!(tracking = %pair.merged.tracking, into = %pair.survivor.tracking, "link action applied: merge");
                let public = status::public_status(&pair.merged, &config.rules, lang);
                let done = done_message(action, &pair.merged, &config.rules, lang);
                page(
                    StatusCode::OK,
                    page::action_done_page(&self.pages().shells, lang, action, &public, &[&done]),
                )
            }
            Err(office::merging::MergeError::NotFound(_)) => self.form(
                StatusCode::UNPROCESSABLE_ENTITY,
                lang,
                action,
                record,
                input,
                &[problem("pages.merge_no_such_case")],
            ),
            Err(office::merging::MergeError::Refused(e)) => {
                self.not_now(lang, action, &record.case, &e)
            }
            Err(office::merging::MergeError::Stale(_)) => {
                self.conflict(lang, action, record, input)
            }
            Err(office::merging::MergeError::Store(e)) => {
                respond::failure(store_failure(&e), &body::Mode::Html, lang, &self.pages())
            }
        }
    }

    fn conflict(
        &self,
        lang: Lang,
        action: Action,
        current: &CaseRecord,
        input: &ActionInput,
    ) -> Page {
        let problem = (
            None,
            say("pages.link_someone_else_changed_case")
                .get(lang)
                .to_string(),
        );
        self.form(
            StatusCode::CONFLICT,
            lang,
            action,
            current,
            input,
            &[problem],
        )
    }

    fn form(
        &self,
        status: StatusCode,
        lang: Lang,
        action: Action,
        record: &CaseRecord,
        input: &ActionInput,
        problems: &[(Option<&'static str>, String)],
    ) -> Page {
        let config = self.config();
        let rules = &config.rules;
        let public = status::public_status(&record.case, rules, lang);
        let extension_window = (action == Action::Extend)
            .then(|| {
                let due = record.case.deadline(DeadlineKind::Complete)?.due_at;
                let max = self.latest_extension(&record.case)?;
                Some((
                    rules.calendar.local(due).date_naive(),
                    rules.calendar.local(max).date_naive(),
                ))
            })
            .flatten();
        let form = ActionForm {
            action,
            status: &public,
            version: record.version,
            input,
            problems,
            extension_window,
            complainant_may_reopen: rules.follow_up.when_unsatisfied == WhenUnsatisfied::Reopen,
            higher_severities: rules
                .higher_severities(&record.case.severity)
                .iter()
                .map(|s| {
                    (
                        s.id.to_string(),
                        s.name.get(lang).to_string(),
                        s.description.get(lang).to_string(),
                    )
                })
                .collect(),
            departments: if action == Action::Reroute {
                office::links::reroute_choices(rules, &record.case)
            } else {
                Vec::new()
            }
            .iter()
            .filter_map(|id| rules.department(id.as_str()))
            .map(|d| (d.id.to_string(), d.name.get(lang).to_string()))
            .collect(),
            sent_back_reason: matches!(action, Action::Reroute | Action::HandBack)
                .then(|| record.case.sent_back_reason().map(str::to_string))
                .flatten(),
            extension_request: (action == Action::DecideExtension)
                .then(|| {
                    record.case.extension_request.as_ref().map(|r| {
                        (
                            r.reason.clone(),
                            rules.calendar.local(r.new_due).date_naive(),
                        )
                    })
                })
                .flatten(),
        };
        page(
            status,
            page::action_form_page(&self.pages().shells, lang, &form),
        )
    }

    fn not_now(&self, lang: Lang, action: Action, case: &Case, e: &LifecycleError) -> Page {
        let public = status::public_status(case, &self.config().rules, lang);
        let why = match e {
            LifecycleError::AlreadyExtended => {
                say("pages.link_case_already_been_extended").get(lang)
            }
            LifecycleError::ExtensionPending => {
                say("pages.link_extension_already_requested").get(lang)
            }
            LifecycleError::ExtensionTooLate { .. } => {
                say("pages.link_completion_deadline_passed_extension").get(lang)
            }
            LifecycleError::NoDeadline(_) => say("pages.link_kind_case_no_completion").get(lang),
            LifecycleError::AlreadyRated => say("pages.link_case_already_been_rated").get(lang),
            LifecycleError::SeverityNotHigher { .. } => {
                say("pages.link_no_higher_severity").get(lang)
            }
            _ if action == Action::Survey => say("pages.link_case_cannot_rated_now").get(lang),
            _ => say("pages.link_cannot_done_case_current").get(lang),
        };
        let nothing = say("pages.link_nothing_changed").get(lang);
        page(
            StatusCode::CONFLICT,
            page::action_done_page(&self.pages().shells, lang, action, &public, &[why, nothing]),
        )
    }

    fn bad_post(&self, lang: Lang) -> Page {
        self.notice(
            lang,
            StatusCode::BAD_REQUEST,
            &[say("pages.link_form_arrived_incomplete_open").get(lang)],
        )
    }

    pub(crate) fn notice(&self, lang: Lang, status: StatusCode, messages: &[&str]) -> Page {
        page(
            status,
            page::message_page(&self.pages().shells, lang, status, messages),
        )
    }
}

/// A refusal the person can mend by changing what they typed: the field and
/// the message; `None` for refusals about the case itself.
fn form_problem(
    e: &LifecycleError,
    action: Action,
    lang: Lang,
    rules: &casework::Rulebook,
) -> Option<(Option<&'static str>, String)> {
    let day = |at: DateTime<Utc>| rules.calendar.local(at).date_naive().to_string();
    Some(match e {
        LifecycleError::ReasonRequired => (
            Some(match action {
                Action::Survey => "comment",
                Action::HandBack | Action::DecideExtension => "note",
                _ => "reason",
            }),
            say("pages.link_give_reason").get(lang).to_string(),
        ),
        LifecycleError::TextRequired("reply") => (
            Some("text"),
            say("pages.link_write_reply").get(lang).to_string(),
        ),
        LifecycleError::TextRequired("question") => (
            Some("text"),
            say("pages.link_write_question").get(lang).to_string(),
        ),
        LifecycleError::TextRequired(_) => (
            Some("outcome"),
            say("pages.link_describe_outcome").get(lang).to_string(),
        ),
        LifecycleError::ExtensionNotLater { due, .. } => (
            Some("new_due"),
            say_with("pages.link_date_not_later", lang, &[("day", day(*due))]),
        ),
        LifecycleError::ExtensionTooLong { max_due } => (
            Some("new_due"),
            say_with("pages.link_date_too_late", lang, &[("day", day(*max_due))]),
        ),
        _ => return None,
    })
}

/// What the done page says after a department's action.
fn done_message(action: Action, case: &Case, rules: &casework::Rulebook, lang: Lang) -> String {
    match action {
        Action::Accept => say("pages.link_accepted_reply_complainant_close")
            .get(lang)
            .to_string(),
        Action::SendBack => say("pages.link_sent_back_complaint_office")
            .get(lang)
            .to_string(),
        Action::Reply => say("pages.link_reply_saved_shown_on").get(lang).to_string(),
        Action::Ask => say("pages.link_question_sent").get(lang).to_string(),
        Action::Extend => match &case.extension_request {
            // Asked, not granted: the approver decides.
            Some(request) => {
                let day = rules
                    .calendar
                    .local(request.new_due)
                    .date_naive()
                    .to_string();
                let approver = lifecycle::extension_approver(rules, case)
                    .and_then(|a| rules.department(a.as_str()))
                    .map(|d| d.name.get(lang).to_string())
                    .unwrap_or_default();
                say_with(
                    "pages.link_extension_requested",
                    lang,
                    &[("day", day), ("approver", approver)],
                )
            }
            None => {
                let day = case
                    .deadline(DeadlineKind::Complete)
                    .map(|d| rules.calendar.local(d.due_at).date_naive().to_string())
                    .unwrap_or_default();
                say_with("pages.link_extended", lang, &[("day", day)])
            }
        },
        Action::Close => say("pages.link_case_closed_complainant_who")
            .get(lang)
            .to_string(),
        Action::Reject => say("pages.link_rejected").get(lang).to_string(),
        Action::RaiseSeverity => {
            let severity = rules
                .severity(case.severity.as_str())
                .map(|s| s.name.get(lang).to_string())
                .unwrap_or_else(|| case.severity.to_string());
            say_with(
                "pages.link_severity_raised",
                lang,
                &[("severity", severity)],
            )
        }
        Action::Reroute => say("pages.link_rerouted").get(lang).to_string(),
        Action::Merge => say_with(
            "pages.link_merged",
            lang,
            &[(
                "into",
                case.merged_into
                    .as_ref()
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
            )],
        ),
        Action::HandBack => say("pages.link_handed_back").get(lang).to_string(),
        // The request is gone either way; a moved deadline means approved.
        Action::DecideExtension => match case.extension {
            Some(_) => say("pages.link_extension_approved").get(lang).to_string(),
            None => say("pages.link_extension_refused").get(lang).to_string(),
        },
        Action::Survey | Action::Evidence | Action::CasePage => String::new(),
    }
}

/// Whose link `action` is on `case`: the office's own department for
/// re-routing, the rulebook's approver for an extension decision (the
/// office where it names none), the case's department for the rest.
fn holder_department(
    rules: &casework::Rulebook,
    action: Action,
    case: &Case,
) -> casework::rules::DepartmentId {
    match action {
        Action::Reroute | Action::HandBack | Action::Merge => rules.office.department.clone(),
        Action::DecideExtension => lifecycle::extension_approver(rules, case)
            .unwrap_or(&rules.office.department)
            .clone(),
        _ => case.department.clone(),
    }
}
