//! The monthly statistics: from the cases received in a month to the
//! figures management asks for, the mail that carries them, and a CSV of
//! the cases (UTF-8 with a byte-order mark, so Excel shows the Chinese).
//!
//! Pure: the caller reads the month's cases and hands them in with `now`
//! (deadlines still running at `now` are not counted as missed).
//! Channels are counted as each case recorded it: the web form for what
//! the public API received (and for cases stored before the channel was
//! kept), the others for what the office's staff registered.
//!
//! The report mail is rendered with [`crate::letter`] (one document model,
//! one escaper, one footer) and worded in `site/theme/messages.toml`
//! (section `[stats]`, through [`crate::wording`]); only the CSV's header
//! line is written here, being a data file's header rather than wording.

use crate::channel::Channel;
use crate::letter::{Letter, Reader, side_by_side};
use crate::lifecycle::{Case, CaseState};
use crate::localized::{Lang, Localized};
use crate::messages::{Message, addressed};
use crate::rules::{DeadlineKind, Rulebook};
use crate::wording::say;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use std::collections::BTreeMap;

/// A calendar month, e.g. `2026-09`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn parse(text: &str) -> Option<Month> {
        let (y, m) = text.trim().split_once('-')?;
        let month = Month {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
        };
        month.first_day().map(|_| month)
    }

    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn first_day(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month, 1)
    }

    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// `[start, end)` of the month on the office's wall clock, in UTC.
    pub fn bounds(self, rules: &Rulebook) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let at = |m: Month| {
            let day = m.first_day()?.and_hms_opt(0, 0, 0)?;
            day.and_local_timezone(rules.calendar.time_zone)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        };
        Some((at(self)?, at(self.next())?))
    }

    /// When the month's report is due: opening time of the rulebook's
    /// `[statistics] working_day` of the *following* month.
    pub fn report_due(self, rules: &Rulebook) -> Option<DateTime<Utc>> {
        let first = self.next().first_day()?;
        let cal = &rules.calendar;
        let mut day = if cal.is_working_day(first) {
            first
        } else {
            cal.next_working_day(first)
        };
        for _ in 1..rules.statistics.working_day {
            day = cal.next_working_day(day);
        }
        day.and_time(cal.opens)
            .and_local_timezone(cal.time_zone)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A share: how many of how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rate {
    pub count: usize,
    pub of: usize,
}

impl Rate {
    pub fn percent(self) -> Option<f64> {
        (self.of > 0).then(|| 100.0 * self.count as f64 / self.of as f64)
    }

    fn show(self) -> String {
        match self.percent() {
            Some(p) => format!("{p:.1}% ({}/{})", self.count, self.of),
            None => "–".into(),
        }
    }
}

/// The month's figures.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Figures {
    pub month: Option<Month>,
    /// Cases received, a case merged into another (并单) not counted: it
    /// is handled, and its deadlines kept, as the surviving case.
    pub total: usize,
    /// The people behind those cases: each counted case's complainant and
    /// those of the cases merged into it.
    pub complainants: usize,
    /// Cases received that are handled together with another case.
    pub merged: usize,
    pub by_type: BTreeMap<String, usize>,
    pub by_category: BTreeMap<String, usize>,
    pub by_department: BTreeMap<String, usize>,
    pub by_severity: BTreeMap<String, usize>,
    pub by_channel: BTreeMap<String, usize>,
    pub by_state: BTreeMap<String, usize>,
    /// Accept deadlines met in time, of those met or already passed.
    pub accepted_on_time: Rate,
    /// Completion deadlines met in time, of those met or already passed.
    pub completed_on_time: Rate,
    /// Median working days from receipt to closure, of the closed cases.
    pub median_handling_days: Option<f64>,
    /// Closed cases whose survey went out, of the closed cases.
    pub followed_up: Rate,
    /// Satisfied or very satisfied, of the rated cases.
    pub satisfied: Rate,
    /// Categories with more than one case, most first.
    pub recurring: Vec<(String, usize)>,
    /// Cases that came with files (photos, documents).
    pub with_evidence: usize,
    /// Cases whose completion clock stopped to wait on the complainant's
    /// answer, the working days they waited in all (the deadlines moved
    /// by as much), and those closed because no answer came.
    pub waited_on_complainant: usize,
    pub working_days_waited: u64,
    pub closed_unanswered: usize,
}

/// The figures of `cases` (those received in `month`), as of `now`.
pub fn figures(rules: &Rulebook, month: Month, cases: &[&Case], now: DateTime<Utc>) -> Figures {
    let (merged, cases): (Vec<&Case>, Vec<&Case>) =
        cases.iter().copied().partition(|c| c.merged_into.is_some());
    let mut f = Figures {
        month: Some(month),
        total: cases.len(),
        complainants: cases.iter().map(|c| 1 + c.merged.len()).sum(),
        merged: merged.len(),
        ..Figures::default()
    };
    let mut handling = Vec::new();
    for case in cases {
        *f.by_type.entry(case.case_type.to_string()).or_default() += 1;
        *f.by_category.entry(case.category.to_string()).or_default() += 1;
        *f.by_department
            .entry(case.department.to_string())
            .or_default() += 1;
        *f.by_severity.entry(case.severity.to_string()).or_default() += 1;
        *f.by_channel
            .entry(case.channel.key().to_string())
            .or_default() += 1;
        *f.by_state.entry(case.state.to_string()).or_default() += 1;
        if !case.evidence.is_empty() {
            f.with_evidence += 1;
        }
        if !case.waits.is_empty() {
            f.waited_on_complainant += 1;
            f.working_days_waited += case
                .waits
                .iter()
                .map(|w| u64::from(w.working_days))
                .sum::<u64>();
        }
        if case.state == CaseState::Closed
            && case
                .events
                .iter()
                .any(|e| e.action == crate::lifecycle::ActionKind::CloseUnanswered)
        {
            f.closed_unanswered += 1;
        }
        on_time(case, DeadlineKind::Accept, now, &mut f.accepted_on_time);
        on_time(case, DeadlineKind::Complete, now, &mut f.completed_on_time);
        if case.state == CaseState::Closed {
            if let Some(closed) = case.closed_at {
                handling.push(
                    rules
                        .calendar
                        .working_days_between(case.received_at, closed),
                );
            }
            if case.can_follow_up {
                f.followed_up.of += 1;
                if case.sent.contains(&crate::due::Notice::FollowUpSurvey)
                    || case.satisfaction.is_some()
                {
                    f.followed_up.count += 1;
                }
            }
        }
        if let Some(rating) = case.satisfaction {
            f.satisfied.of += 1;
            if rules.follow_up.is_satisfied(rating) {
                f.satisfied.count += 1;
            }
        }
    }
    f.median_handling_days = median(&mut handling);
    let mut recurring: Vec<(String, usize)> = f
        .by_category
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(c, n)| (c.clone(), *n))
        .collect();
    recurring.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    f.recurring = recurring;
    f
}

fn on_time(case: &Case, kind: DeadlineKind, now: DateTime<Utc>, rate: &mut Rate) {
    let Some(d) = case.deadline(kind) else {
        return;
    };
    match d.met_at {
        Some(met) => {
            rate.of += 1;
            if met <= d.due_at {
                rate.count += 1;
            }
        }
        // Still running: neither kept nor missed yet.
        None if now <= d.due_at => {}
        None => rate.of += 1,
    }
}

fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) as f64 / 2.0
    } else {
        values[mid] as f64
    })
}

/// One row per case, UTF-8 with a byte-order mark. Holds no identity of
/// the complainant: the export may travel further than the store.
pub fn csv(rules: &Rulebook, cases: &[&Case]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    // A data file's header, not mail wording: it stays out of messages.toml.
    out.push_str("受理编号 tracking,登记时间 received,渠道 channel,类型 type,类别 category,严重程度 severity,承办单位 department,状态 state,按时受理 accepted on time,按时办结 completed on time,办结时间 closed,满意度 satisfaction\r\n");
    let time = |t: Option<DateTime<Utc>>| {
        t.map(|t| rules.calendar.local(t).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    let kept = |case: &Case, kind| match case.deadline(kind) {
        Some(d) => match d.met_at {
            Some(m) if m <= d.due_at => "yes",
            Some(_) => "no",
            None => "",
        },
        None => "",
    };
    for case in cases {
        let name = |l: Option<&Localized>, id: &str| {
            l.map(|l| l.get(Lang::Zh).to_string())
                .unwrap_or_else(|| id.to_string())
        };
        let row = [
            case.tracking.to_string(),
            time(Some(case.received_at)),
            case.channel.name().get(Lang::Zh).to_string(),
            name(
                rules.case_type(case.case_type.as_str()).map(|t| &t.name),
                case.case_type.as_str(),
            ),
            name(
                rules.category(case.category.as_str()).map(|c| &c.name),
                case.category.as_str(),
            ),
            name(
                rules.severity(case.severity.as_str()).map(|s| &s.name),
                case.severity.as_str(),
            ),
            name(
                rules.department(case.department.as_str()).map(|d| &d.name),
                case.department.as_str(),
            ),
            case.state.to_string(),
            kept(case, DeadlineKind::Accept).into(),
            kept(case, DeadlineKind::Complete).into(),
            time(case.closed_at),
            case.satisfaction.map(|s| s.to_string()).unwrap_or_default(),
        ];
        let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// Quotes a cell when it must be, and defuses formulas (a cell starting
/// with `=`, `+`, `-` or `@` would run in a spreadsheet).
fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The report mail to the office and management (the CSV goes with it as
/// an attachment, added by the caller). A staff mail: Chinese and English
/// side by side, worded in the strings table, with the one staff footer.
pub fn report(rules: &Rulebook, f: &Figures, to: Vec<String>) -> Message {
    let month = f.month.map(|m| m.to_string()).unwrap_or_default();
    let title = format!("{month} {}", side_by_side(say("stats.title")));
    let mut doc = Letter::side_by_side();
    doc.title(title.clone());
    let mut line = |key: &str, value: String| doc.field(side_by_side(say(key)), value);
    line("stats.total", f.total.to_string());
    line("stats.complainants", f.complainants.to_string());
    line("stats.merged", f.merged.to_string());
    line("stats.accepted_on_time", f.accepted_on_time.show());
    line("stats.completed_on_time", f.completed_on_time.show());
    line(
        "stats.median_handling_time",
        f.median_handling_days
            .map(|d| format!("{d:.1} {}", side_by_side(say("stats.working_days"))))
            .unwrap_or_else(|| "–".into()),
    );
    line("stats.followed_up", f.followed_up.show());
    line("stats.satisfied", f.satisfied.show());
    line("stats.with_evidence", f.with_evidence.to_string());
    line(
        "stats.waited_on_complainant",
        format!(
            "{} ({} {})",
            f.waited_on_complainant,
            f.working_days_waited,
            side_by_side(say("stats.working_days"))
        ),
    );
    line("stats.closed_unanswered", f.closed_unanswered.to_string());
    let names = |map: &BTreeMap<String, usize>, name: &dyn Fn(&str) -> Option<String>| {
        map.iter()
            .map(|(id, n)| format!("{} {n}", name(id).unwrap_or_else(|| id.clone())))
            .collect::<Vec<_>>()
            .join("; ")
    };
    line(
        "stats.by_type",
        names(&f.by_type, &|id| {
            rules.case_type(id).map(|t| side_by_side(&t.name))
        }),
    );
    line(
        "stats.by_category",
        names(&f.by_category, &|id| {
            rules.category(id).map(|c| side_by_side(&c.name))
        }),
    );
    line(
        "stats.by_department",
        names(&f.by_department, &|id| {
            rules.department(id).map(|d| side_by_side(&d.name))
        }),
    );
    line(
        "stats.by_severity",
        names(&f.by_severity, &|id| {
            rules.severity(id).map(|s| side_by_side(&s.name))
        }),
    );
    line(
        "stats.by_channel",
        names(&f.by_channel, &|id| {
            Channel::from_name(id).map(|c| side_by_side(&c.name()))
        }),
    );
    line(
        "stats.recurring",
        if f.recurring.is_empty() {
            "–".into()
        } else {
            f.recurring
                .iter()
                .map(|(id, n)| {
                    let name = rules
                        .category(id)
                        .map(|c| side_by_side(&c.name))
                        .unwrap_or_else(|| id.clone());
                    format!("{name} {n}")
                })
                .collect::<Vec<_>>()
                .join("; ")
        },
    );
    doc.para(side_by_side(say("stats.attached")));
    doc.footer(rules, Reader::Staff);
    addressed(to, doc.render(&title))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::fixtures::*;
    use crate::lifecycle::{Actor, Command, Satisfaction, apply};
    use proptest::prelude::*;

    #[test]
    fn a_merged_case_counts_as_a_complainant_of_its_survivor() {
        let r = rules();
        let survivor = complaint_in(CaseState::Accepted);
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(9);
        let again = crate::lifecycle::Case::open(
            crate::tracking::TrackingNumber::generate("TS", t0().date_naive(), &mut rng),
            survivor.case_type.clone(),
            survivor.category.clone(),
            &r,
            t(1),
            true,
        )
        .unwrap();
        let (merged, survivor) =
            crate::lifecycle::merge(&again, &survivor, Actor::Office, t(2), &r).unwrap();
        let month = Month::of(t0().date_naive());
        let f = figures(&r, month, &[&survivor, &merged], t(3));
        assert_eq!((f.total, f.complainants, f.merged), (1, 2, 1));
        assert_eq!(f.by_department["housing"], 1);
        assert_eq!(f.accepted_on_time, Rate { count: 1, of: 1 });
        let unmerged = figures(&r, month, &[&survivor.clone(), &again], t(3));
        assert_eq!(unmerged.total, 2);
    }

    #[test]
    fn figures_count_rates_and_the_median() {
        let rules = rules();
        let a = complaint_in(CaseState::Closed);
        let b = apply(
            &complaint_in(CaseState::Closed),
            Command::RecordSatisfaction {
                rating: Satisfaction::VerySatisfied,
                comment: None,
            },
            Actor::Complainant,
            t(60),
            &rules,
        )
        .unwrap();
        // Never accepted: its accept deadline (24 h) is missed by t(100).
        let c = open("consultation", "water-supply");
        let month = Month::of(t0().date_naive());
        let f = figures(&rules, month, &[&a, &b, &c], t(100));
        assert_eq!(f.total, 3);
        assert_eq!(f.by_type["complaint"], 2);
        assert_eq!(f.by_department["water"], 1);
        assert_eq!(f.accepted_on_time, Rate { count: 2, of: 3 });
        assert_eq!(f.completed_on_time, Rate { count: 2, of: 2 });
        assert_eq!(f.satisfied, Rate { count: 1, of: 1 });
        assert_eq!(f.followed_up, Rate { count: 1, of: 2 });
        assert_eq!(f.median_handling_days, Some(0.0));
        assert_eq!(f.recurring, [("repairs".to_string(), 2)]);
        let m = report(&rules, &f, vec!["office@example.org".into()]);
        assert!(m.text.contains("66.7% (2/3)"), "{}", m.text);
    }

    /// "Satisfied" in the statistics is the rulebook's set, not a fixed
    /// pair of answers: one answer of each kind, counted under two rulebooks.
    #[test]
    fn the_satisfied_share_counts_the_rulebooks_satisfied_answers() {
        let mut rules = rules();
        let rated: Vec<Case> = Satisfaction::ALL
            .into_iter()
            .map(|rating| {
                apply(
                    &complaint_in(CaseState::Closed),
                    Command::RecordSatisfaction {
                        rating,
                        comment: None,
                    },
                    Actor::Complainant,
                    t(60),
                    &rules,
                )
                .unwrap()
            })
            .collect();
        let refs: Vec<&Case> = rated.iter().collect();
        let month = Month::of(t0().date_naive());
        let f = figures(&rules, month, &refs, t(100));
        assert_eq!(f.satisfied, Rate { count: 2, of: 5 });
        rules.follow_up.satisfied = vec![
            Satisfaction::VerySatisfied,
            Satisfaction::Satisfied,
            Satisfaction::Neutral,
        ];
        let f = figures(&rules, month, &refs, t(100));
        assert_eq!(f.satisfied, Rate { count: 3, of: 5 });
        rules.follow_up.satisfied = vec![Satisfaction::VerySatisfied];
        let f = figures(&rules, month, &refs, t(100));
        assert_eq!(f.satisfied, Rate { count: 1, of: 5 });
    }

    fn open_by(channel: Channel, category: &str) -> Case {
        Case::open_by(
            channel,
            tracking(),
            crate::rules::CaseTypeId::new("complaint"),
            crate::rules::CategoryId::new(category),
            &rules(),
            t0(),
            true,
        )
        .unwrap()
    }

    #[test]
    fn figures_count_each_case_by_the_channel_it_came_in_by() {
        let rules = rules();
        let cases = [
            open_by(Channel::Phone, "repairs"),
            open_by(Channel::Phone, "water-supply"),
            open_by(Channel::WalkIn, "repairs"),
            open_by(Channel::Wechat, "repairs"),
            open("complaint", "repairs"),
        ];
        let refs: Vec<&Case> = cases.iter().collect();
        let month = Month::of(t0().date_naive());
        let f = figures(&rules, month, &refs, t(1));
        let by: Vec<(&str, usize)> = f.by_channel.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        assert_eq!(
            by,
            [("phone", 2), ("walk-in", 1), ("web", 1), ("wechat", 1)]
        );
        assert_eq!(f.by_channel.values().sum::<usize>(), f.total);

        let m = report(&rules, &f, Vec::new());
        let line = m
            .text
            .lines()
            .find(|l| l.starts_with("按渠道 By channel: "))
            .expect("a channel line");
        assert_eq!(
            line,
            "按渠道 By channel: 电话 phone 2; 来访 walk-in 1; 网上表单 web form 1; 微信 WeChat 1"
        );
        assert!(m.html.contains("电话 phone 2"), "{}", m.html);
    }

    #[test]
    fn no_cases_no_channels() {
        let f = figures(&rules(), Month::of(t0().date_naive()), &[], t(1));
        assert!(f.by_channel.is_empty());
        let m = report(&rules(), &f, Vec::new());
        assert!(m.text.contains("按渠道 By channel: \n"), "{}", m.text);
    }

    #[test]
    fn the_report_is_a_bilingual_staff_letter_with_the_same_subject() {
        let rules = rules();
        let month = Month::of(t0().date_naive());
        let f = figures(&rules, month, &[], t(1));
        let to = vec!["office@example.org".to_string()];
        let m = report(&rules, &f, to.clone());
        assert_eq!(m.to, to);
        assert_eq!(m.subject, format!("{month} 月度统计 Monthly statistics"));
        assert!(m.attachments.is_empty(), "the caller adds the CSV");
        assert!(m.text.starts_with(&format!("{}\n\n", m.subject)));
        assert!(
            m.text.contains("受理总数 Cases received: 0\n"),
            "{}",
            m.text
        );
        assert!(
            m.text
                .contains("明细见附件 CSV。 The cases are in the attached CSV."),
            "{}",
            m.text
        );
        assert!(m.text.contains("\n-- \n"), "the staff footer: {}", m.text);
        assert!(m.html.contains("<html lang=\"zh-Hans\">"), "{}", m.html);
    }

    #[test]
    fn the_csv_names_each_case_s_channel() {
        let rules = rules();
        let phone = open_by(Channel::Phone, "repairs");
        let web = open("complaint", "repairs");
        let text = String::from_utf8(csv(&rules, &[&phone, &web])).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let column = header
            .iter()
            .position(|h| *h == "渠道 channel")
            .expect("a channel column");
        let cells: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert!(cells.iter().all(|row| row.len() == header.len()));
        assert_eq!(cells[0][column], "电话");
        assert_eq!(cells[1][column], "网上表单");
    }

    #[test]
    fn the_csv_opens_in_excel_and_cannot_run_formulas() {
        let rules = rules();
        let a = complaint_in(CaseState::Closed);
        let bytes = csv(&rules, &[&a]);
        assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains(a.tracking.as_str()));
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("a,\"b\""), "\"a,\"\"b\"\"\"");
    }

    #[test]
    fn months_and_their_report_days() {
        let m = Month::parse("2026-12").unwrap();
        assert_eq!(m.next().to_string(), "2027-01");
        assert_eq!(
            Month::parse("2026-01").unwrap().previous().to_string(),
            "2025-12"
        );
        assert!(Month::parse("2026-13").is_none());
    }

    proptest! {
        #[test]
        fn csv_cells_never_split_a_row(s in "\\PC{0,20}[,\"\r\n=]{0,3}\\PC{0,20}") {
            let cell = csv_cell(&s);
            if cell.starts_with('"') {
                prop_assert!(cell.ends_with('"'));
                let inner = &cell[1..cell.len() - 1];
                prop_assert!(!inner.replace("\"\"", "").contains('"'));
            } else {
                prop_assert!(!cell.contains([',', '"', '\n', '\r']));
            }
            prop_assert!(!cell.starts_with(['=', '+', '-', '@']));
        }
    }
}
