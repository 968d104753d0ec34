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
use chrono::{DateTime, NaiveDate, Utc};
use http::{Request, Response, StatusCode};
use mail::Mailer;
use office::acting::{ActError, Acted};

/// The fields a department's action form may send.
const ACTION_FIELDS: &[&str] = &["version", "lang", "reason", "text", "new_due", "outcome"];
/// The fields the survey form may send.
const SURVEY_FIELDS: &[&str] = &["version", "lang", "rating", "comment", "reopen"];

type Page = Response<Bytes>;

fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

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
            Some(a) if a != Action::Survey => a,
            _ => {
                return self.notice(
                    lang,
                    StatusCode::NOT_FOUND,
                    &[t(
                        lang,
                        "没有这个办理操作。请使用邮件中的原始链接。",
                        "There is no such action. Please use the link exactly as it is in the mail.",
                    )],
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
        let record = match self
            .open_link(req, typed, action, lang, now, |case| {
                Holder::Department(case.department.clone())
            })
            .await
        {
            Ok(r) => r,
            Err(page) => return page,
        };
        let actor = Actor::Department(record.case.department.clone());
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
            return self.form(
                StatusCode::OK,
                lang,
                action,
                &record,
                &ActionInput::default(),
                &[],
            );
        };
        let input = posted.input;
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
        tracing::info!(tracking = %next.case.tracking, action = action.slug(), "department action applied");
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
                reopen: rating.is_some_and(Satisfaction::is_unsatisfied),
                ..ActionInput::default()
            };
            return self.form(StatusCode::OK, lang, action, &record, &input, &[]);
        };
        let input = posted.input;
        let Some(rating) = input.rating else {
            let problem = (
                Some("rating"),
                t(lang, "请选择一项评价。", "Please choose a rating.").to_string(),
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
        let mut messages = vec![t(
            lang,
            "谢谢您的评价，已经记录。",
            "Thank you: your rating has been recorded.",
        )];
        if reopened {
            messages.push(t(
                lang,
                "您的诉求将由上一级督办重新办理，办理进度可随时查询。",
                "Your case will be handled again, one supervision level up. You can follow its progress at any time.",
            ));
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
            rating: get("rating")
                .as_deref()
                .and_then(action_token::rating_from_slug),
            comment: get("comment").unwrap_or_default(),
            reopen: matches!(get("reopen").as_deref(), Some("on" | "true" | "1" | "yes")),
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
    async fn open_link(
        &self,
        req: &Request<Bytes>,
        typed: &str,
        action: Action,
        lang: Lang,
        now: DateTime<Utc>,
        holder_of: impl Fn(&Case) -> Holder,
    ) -> Result<CaseRecord, Page> {
        let bad_link = || {
            self.notice(
                lang,
                StatusCode::BAD_REQUEST,
                &[t(
                    lang,
                    "此链接不完整。请使用邮件中的原始链接，不要手动修改。",
                    "This link is incomplete. Please use the link exactly as it is in the mail.",
                )],
            )
        };
        let tracking = TrackingNumber::parse(typed).map_err(|_| bad_link())?;
        let token = respond::query_param(req, "token").ok_or_else(bad_link)?;
        let record = match self.store.case(&tracking).await {
            Ok(Some(r)) => r,
            Ok(None) => {
                return Err(self.notice(
                    lang,
                    StatusCode::NOT_FOUND,
                    &[t(
                        lang,
                        "没有找到这个案件。",
                        "There is no case with this number.",
                    )],
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
        let expected = holder_of(&record.case);
        match ActionToken::verify(
            &self.config().action_secret,
            &token,
            &tracking,
            action,
            &expected,
            now,
        ) {
            Ok(_) => Ok(record),
            Err(e) => {
                let kind = match &e {
                    TokenError::Malformed => "malformed",
                    TokenError::BadSignature => "bad signature",
                    TokenError::Expired { .. } => "expired",
                    TokenError::WrongHolder { .. } => "wrong holder",
                };
                tracing::warn!(tracking = %tracking, action = action.slug(), reason = kind, "link refused");
                Err(self.refused(lang, &e))
            }
        }
    }

    fn refused(&self, lang: Lang, e: &TokenError) -> Page {
        let nothing = t(lang, "未做任何更改。", "Nothing was changed.");
        let config = self.config();
        let hotline = &config.rules.office.hotline;
        match e {
            TokenError::Malformed | TokenError::BadSignature => self.notice(
                lang,
                StatusCode::FORBIDDEN,
                &[
                    t(
                        lang,
                        "此链接无效：它可能被改动过，或不是为此案件、此操作签发的。请使用邮件中的原始链接。",
                        "This link is not valid: it may have been changed, or it was not made for this case and action. Please use the link exactly as it is in the mail.",
                    ),
                    nothing,
                ],
            ),
            TokenError::Expired { expired_at } => {
                let day = self
                    .config()
                    .rules
                    .calendar
                    .local(*expired_at)
                    .date_naive()
                    .to_string();
                let text = match lang {
                    Lang::Zh => format!("此链接已于{day}过期。如仍需办理，请联系热线中心（{hotline}）。"),
                    Lang::En => format!(
                        "This link expired on {day}. If something still needs doing, please contact the hotline centre ({hotline})."
                    ),
                };
                self.notice(lang, StatusCode::GONE, &[&text, nothing])
            }
            TokenError::WrongHolder { .. } => self.notice(
                lang,
                StatusCode::FORBIDDEN,
                &[
                    t(
                        lang,
                        "此案件已不由您的部门办理（已退回并重新分派），此链接不能再使用。",
                        "Your department no longer handles this case (it was sent back and routed elsewhere), so this link no longer works.",
                    ),
                    nothing,
                ],
            ),
        }
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
            Action::Accept => Command::Accept,
            Action::SendBack => Command::SendBack { reason: "-".into() },
            Action::Reply => Command::Reply { text: "-".into() },
            Action::Extend => Command::Extend {
                reason: "-".into(),
                new_due: case
                    .deadline(DeadlineKind::Complete)
                    .map_or(now, |d| d.due_at + chrono::TimeDelta::seconds(1)),
            },
            Action::Close => Command::Close {
                outcome: "-".into(),
            },
            Action::Survey => Command::RecordSatisfaction {
                rating: Satisfaction::Neutral,
                comment: None,
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
            Action::Accept => Command::Accept,
            Action::SendBack => Command::SendBack {
                reason: input.reason.clone(),
            },
            Action::Reply => Command::Reply {
                text: input.text.clone(),
            },
            Action::Close => Command::Close {
                outcome: input.outcome.clone(),
            },
            Action::Extend => {
                let date = NaiveDate::parse_from_str(&input.new_due, "%Y-%m-%d").map_err(|_| {
                    (
                        Some("new_due"),
                        t(
                            lang,
                            "请按“年-月-日”填写新的办结日期，例如 2026-12-31。",
                            "Please give the new completion date as YYYY-MM-DD, e.g. 2026-12-31.",
                        )
                        .to_string(),
                    )
                })?;
                Command::Extend {
                    reason: input.reason.clone(),
                    new_due: self.closing_time(case, date),
                }
            }
            Action::Survey => Command::RecordSatisfaction {
                rating: input.rating.unwrap_or(Satisfaction::Neutral),
                comment: None,
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
                    t(
                        lang,
                        "系统暂时无法保存，您填写的内容都还在，请稍后再次提交。",
                        "We could not save this just now. Everything you typed is still here: please send it again in a moment.",
                    )
                    .to_string(),
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

    fn conflict(
        &self,
        lang: Lang,
        action: Action,
        current: &CaseRecord,
        input: &ActionInput,
    ) -> Page {
        let problem = (
            None,
            t(
                lang,
                "在您填写期间，有人修改了此案件。下面是案件的最新情况，您填写的内容都还在：请核对后再次提交。",
                "Someone else changed this case while you were filling in the form. The case as it is now is shown below and everything you typed is still here: please check it and send again.",
            )
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
        };
        page(
            status,
            page::action_form_page(&self.pages().shells, lang, &form),
        )
    }

    fn not_now(&self, lang: Lang, action: Action, case: &Case, e: &LifecycleError) -> Page {
        let public = status::public_status(case, &self.config().rules, lang);
        let why = match e {
            LifecycleError::AlreadyExtended => t(
                lang,
                "此案件已经延期过一次，不能再次延期。",
                "This case has already been extended once and cannot be extended again.",
            ),
            LifecycleError::ExtensionTooLate { .. } => t(
                lang,
                "办结时限已过：延期必须在时限届满前申请。",
                "The completion deadline has passed: an extension must be asked for before it runs out.",
            ),
            LifecycleError::NoDeadline(_) => t(
                lang,
                "此类案件没有办结时限，无需延期。",
                "This kind of case has no completion deadline to extend.",
            ),
            LifecycleError::AlreadyRated => t(
                lang,
                "此案件已经评价过，谢谢您。",
                "This case has already been rated. Thank you.",
            ),
            _ if action == Action::Survey => t(
                lang,
                "此案件目前不能评价（尚未办结，或已重新办理）。",
                "This case cannot be rated now (it is not closed, or it is being handled again).",
            ),
            _ => t(
                lang,
                "在案件的当前状态下不能进行此操作（可能已经有人办理过）。下面是案件的最新情况。",
                "This cannot be done in the case's current state (someone may have done it already). The case as it is now is shown below.",
            ),
        };
        let nothing = t(lang, "未做任何更改。", "Nothing was changed.");
        page(
            StatusCode::CONFLICT,
            page::action_done_page(&self.pages().shells, lang, action, &public, &[why, nothing]),
        )
    }

    fn bad_post(&self, lang: Lang) -> Page {
        self.notice(
            lang,
            StatusCode::BAD_REQUEST,
            &[t(
                lang,
                "表单不完整，请回到邮件中的链接重新打开此页。",
                "The form arrived incomplete. Please open this page again from the link in the mail.",
            )],
        )
    }

    fn notice(&self, lang: Lang, status: StatusCode, messages: &[&str]) -> Page {
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
            Some(if action == Action::Survey {
                "comment"
            } else {
                "reason"
            }),
            t(lang, "请填写理由。", "Please give a reason.").to_string(),
        ),
        LifecycleError::TextRequired("reply") => (
            Some("text"),
            t(lang, "请填写答复内容。", "Please write the reply.").to_string(),
        ),
        LifecycleError::TextRequired(_) => (
            Some("outcome"),
            t(lang, "请填写办理结果。", "Please describe the outcome.").to_string(),
        ),
        LifecycleError::ExtensionNotLater { due, .. } => (
            Some("new_due"),
            match lang {
                Lang::Zh => format!("新的办结日期必须晚于现在的时限（{}）。", day(*due)),
                Lang::En => format!(
                    "The new date must be later than the current deadline ({}).",
                    day(*due)
                ),
            },
        ),
        LifecycleError::ExtensionTooLong { max_due } => (
            Some("new_due"),
            match lang {
                Lang::Zh => format!("按规定最迟只能延至 {}。", day(*max_due)),
                Lang::En => format!(
                    "The rules allow an extension until {} at the latest.",
                    day(*max_due)
                ),
            },
        ),
        _ => return None,
    })
}

/// What the done page says after a department's action.
fn done_message(action: Action, case: &Case, rules: &casework::Rulebook, lang: Lang) -> String {
    match action {
        Action::Accept => t(
            lang,
            "已受理。请在时限内答复诉求人并办结。",
            "Accepted. Please reply to the complainant and close the case within the time limits.",
        )
        .to_string(),
        Action::SendBack => t(
            lang,
            "已退回热线中心，由其重新分派。",
            "Sent back to the complaint office, which will route it again.",
        )
        .to_string(),
        Action::Reply => t(
            lang,
            "答复已保存，并显示在进度查询页上；诉求人留有电子邮箱的，已同时发送。",
            "The reply is saved and shown on the status page; the complainant is mailed it if they left an e-mail address.",
        )
        .to_string(),
        Action::Extend => {
            let day = case
                .deadline(DeadlineKind::Complete)
                .map(|d| rules.calendar.local(d.due_at).date_naive().to_string())
                .unwrap_or_default();
            match lang {
                Lang::Zh => format!(
                    "办结时限已延至 {day}；诉求人留有电子邮箱的，已告知延期理由。"
                ),
                Lang::En => format!(
                    "The completion deadline is now {day}; the complainant is told why if they left an e-mail address."
                ),
            }
        }
        Action::Close => t(
            lang,
            "案件已办结；诉求人留有联系方式的，稍后会收到满意度回访。",
            "The case is closed; a complainant who left contact details will be asked how satisfied they are.",
        )
        .to_string(),
        Action::Survey => String::new(),
    }
}
