//! The working-day calendar and all deadline arithmetic.
//!
//! A deadline is computed on the wall clock of the rulebook's time zone and
//! returned in UTC. Rules of counting (written once, here):
//! - Working days: the weekly pattern (Monday to Friday by default), minus
//!   public holidays, plus make-up working days (调休). A year's entries are
//!   consulted for its own dates and the dates of the years either side (a
//!   notice may list the last days of December). Past the years the rulebook
//!   lists, only the weekly pattern applies (`hotline check` warns about it).
//! - A case counts from the moment it arrives if that is on a working day no
//!   later than closing time (from opening time if it arrives before it);
//!   otherwise from opening time of the next working day. So 23:59 on a
//!   working day and 00:00 the next morning give the same deadlines.
//! - N working days: closing time of the N-th working day after the day the
//!   case counts from (that day itself does not count, "counted from the
//!   next day"); 0 is closing time that same day.
//! - N working hours: counted inside opening hours of working days only. A
//!   limit that runs out exactly at closing time stays there, so adding
//!   `a` hours and then `b` hours equals adding `a + b` hours.
//! - N calendar days: closing time of the N-th day after the local date of
//!   arrival, whether or not that date is a working day (as statutory periods
//!   count); if that day is not a working day, or its closing time had already
//!   passed on arrival (0 days, after hours), the next working day's.
//! - Hours and minutes: elapsed time, round the clock.
//!
//! Wall-clock readings become instants as "the first instant the local clock
//! reads at least this": the earlier instant in a daylight-saving fold, the
//! end of the gap in a spring-forward gap. No deadline is ever earlier than
//! its start.
//!
//! Every scan is bounded: stretches of years the rulebook does not list are
//! crossed a whole week at a time, so the work grows with the number of
//! listed years, not with the length of the limit. When a deadline cannot be
//! computed at all (a calendar without working weekdays, whose working days
//! run out; dates beyond what can be represented) the limit runs out at its
//! start: a broken calendar then shows up as cases falling due at once, never
//! as cases that silently never fall due. The rulebook check is meant to
//! reject such calendars up front through [`Calendar::has_working_days`].

use crate::localized::Localized;
use crate::time_limit::{TimeLimit, TimeUnit};
use chrono::offset::LocalResult;
use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone,
    Utc, Weekday,
};
use chrono_tz::{GapInfo, Tz};
use std::collections::BTreeMap;

/// Days off and make-up working days of one year, as the government publishes them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HolidayYear {
    pub holidays: Vec<Holiday>,
    /// Weekend days that are working days (调休上班).
    pub make_up_working_days: Vec<NaiveDate>,
    /// Entered before the official notice (`provisional = true`): the
    /// published holiday table says so, and the calendar-horizon check
    /// does not count it as covering its year.
    pub provisional: bool,
}

/// A run of public-holiday days off, first and last day inclusive.
#[derive(Debug, Clone, PartialEq)]
pub struct Holiday {
    pub name: Localized,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    pub time_zone: Tz,
    /// The weekdays that are ordinarily working days.
    pub working_weekdays: Vec<Weekday>,
    /// Opening and closing time of a working day (local time).
    pub opens: NaiveTime,
    pub closes: NaiveTime,
    pub years: BTreeMap<i32, HolidayYear>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            time_zone: chrono_tz::Asia::Shanghai,
            working_weekdays: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            opens: NaiveTime::from_hms_opt(9, 0, 0).expect("valid time"),
            closes: NaiveTime::from_hms_opt(18, 0, 0).expect("valid time"),
            years: BTreeMap::new(),
        }
    }
}

const ALL_WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

const NANOS_PER_HOUR: i128 = 3_600_000_000_000;

impl Calendar {
    /// The last day the holiday calendar covers (31 December of its last year).
    pub fn covered_until(&self) -> Option<NaiveDate> {
        let year = *self.years.keys().next_back()?;
        NaiveDate::from_ymd_opt(year, 12, 31)
    }

    /// The last day of the last year before the first provisional one: how
    /// far the calendar follows official notices.
    pub fn confirmed_until(&self) -> Option<NaiveDate> {
        let year = self
            .years
            .iter()
            .take_while(|(_, y)| !y.provisional)
            .map(|(year, _)| *year)
            .last()?;
        NaiveDate::from_ymd_opt(year, 12, 31)
    }

    /// Whether the weekly pattern has any working day. Without one, working
    /// days run out after the last listed make-up day and no working-day
    /// deadline can be computed, so the rulebook check should reject it.
    pub fn has_working_days(&self) -> bool {
        !self.working_weekdays.is_empty()
    }

    /// Whether `date` is a working day: a make-up working day always is; a
    /// day inside a public holiday is not; otherwise the weekly pattern says.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        let year = date.year();
        let mut in_holiday = false;
        for listed in self.years_near(year).map(|(_, listed)| listed) {
            if listed.make_up_working_days.contains(&date) {
                return true;
            }
            in_holiday |= listed
                .holidays
                .iter()
                .any(|holiday| holiday.first <= date && date <= holiday.last);
        }
        !in_holiday && self.working_weekdays.contains(&date.weekday())
    }

    /// The first working day strictly after `date`. If there is none (a
    /// calendar without working weekdays, or the end of representable dates)
    /// this is the following day, or `date` itself at the very end.
    pub fn next_working_day(&self, date: NaiveDate) -> NaiveDate {
        self.advance(date, 1)
            .or_else(|| date.succ_opt())
            .unwrap_or(date)
    }

    /// `t` on the rulebook's wall clock.
    pub fn local(&self, t: DateTime<Utc>) -> DateTime<Tz> {
        t.with_timezone(&self.time_zone)
    }

    /// When a limit that starts at `start` runs out; see the module doc for
    /// how each unit counts. Never earlier than `start`.
    pub fn deadline(&self, start: DateTime<Utc>, limit: TimeLimit) -> DateTime<Utc> {
        let n = limit.amount;
        let end = match limit.unit {
            TimeUnit::Hours => {
                TimeDelta::try_hours(i64::from(n)).and_then(|delta| start.checked_add_signed(delta))
            }
            TimeUnit::Minutes => TimeDelta::try_minutes(i64::from(n))
                .and_then(|delta| start.checked_add_signed(delta)),
            TimeUnit::WorkingDays => self.working_days_after(start, n),
            TimeUnit::WorkingHours => self.working_hours_after(start, n),
            TimeUnit::CalendarDays => self.calendar_days_after(start, n),
        };
        // The max guards against a wall-clock reading that maps back to an
        // earlier instant (a daylight-saving fold).
        end.map_or(start, |end| end.max(start))
    }

    /// The local date on which `limit` runs out for a case that comes in on
    /// `date` at the latest moment it still counts as that day's (a minute
    /// before closing): the last day a date of the complainant's own may be.
    pub fn last_day_of(&self, date: NaiveDate, limit: TimeLimit) -> NaiveDate {
        let late = self.closes - TimeDelta::minutes(1);
        match self.instant(date.and_time(late)) {
            Some(start) => self.local(self.deadline(start, limit)).date_naive(),
            None => date,
        }
    }

    /// The moment a case due on the local `date` runs out: closing time
    /// that day (the same as a limit in working days ending that day).
    pub fn closing_on(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        self.instant(date.and_time(self.closes))
    }

    /// When to remind about a deadline: the later of half-way from `start` to
    /// `deadline` and `before` ahead of the deadline, counted backwards in
    /// `before`'s unit:
    /// - working days: the deadline's local time of day, on the working day
    ///   that many working days before the deadline's local date;
    /// - working hours: counted back inside opening hours of working days;
    /// - calendar days: the deadline's local time of day, that many dates back;
    /// - hours and minutes: elapsed time.
    ///
    /// The result lies within `[start, deadline]`; if `deadline` is not after
    /// `start`, it is `start` (remind at once).
    pub fn reminder_time(
        &self,
        start: DateTime<Utc>,
        deadline: DateTime<Utc>,
        before: TimeLimit,
    ) -> DateTime<Utc> {
        if deadline <= start {
            return start;
        }
        let half = start
            .checked_add_signed(deadline.signed_duration_since(start) / 2)
            .unwrap_or(start);
        let ahead = self.ahead_of(deadline, before);
        ahead
            .map_or(half, |ahead| ahead.max(half))
            .clamp(start, deadline)
    }

    /// Working days after `from`'s local date up to and including `to`'s
    /// local date; 0 if they fall on the same date or `to` is earlier. This
    /// is the "completed in 7 working days" of the statistics.
    pub fn working_days_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        match (self.local_naive(from), self.local_naive(to)) {
            (Some(from), Some(to)) => self.count_working_days(from.date(), to.date()),
            _ => 0,
        }
    }

    /// `t` moved `n` working days later: the working day `n` working days
    /// after `t`'s local date, at `t`'s local time of day (a deadline at
    /// closing time stays at closing time). What a stopped clock adds to a
    /// deadline; `t` itself when the calendar runs out.
    pub fn working_days_later(&self, t: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        if n == 0 {
            return t;
        }
        self.local_naive(t)
            .and_then(|local| {
                let day = self.advance(local.date(), u64::from(n))?;
                self.instant(day.and_time(local.time()))
            })
            .map_or(t, |later| later.max(t))
    }

    // ---- counting units -------------------------------------------------

    fn working_days_after(&self, start: DateTime<Utc>, n: u32) -> Option<DateTime<Utc>> {
        let (day, _) = self.effective_start(start)?;
        let day = self.advance(day, u64::from(n))?;
        self.instant(day.and_time(self.closes))
    }

    fn working_hours_after(&self, start: DateTime<Utc>, n: u32) -> Option<DateTime<Utc>> {
        let (day, from) = self.effective_start(start)?;
        let span = nanos(self.closes.signed_duration_since(self.opens));
        if span <= 0 {
            // No opening hours to count in: the limit runs out as soon as
            // the case counts as arrived.
            return self.instant(day.and_time(from));
        }
        let need = i128::from(n) * NANOS_PER_HOUR;
        let today = nanos(self.closes.signed_duration_since(from));
        if need <= today {
            return self.instant(day.and_time(from).checked_add_signed(delta(need)?)?);
        }
        let rest = need - today;
        // Whole days to move on, and how far into the last one it ends: the
        // remainder is in (0, span], so a limit ending at closing time stays
        // on that day.
        let days = (rest + span - 1) / span;
        let into_last = rest - (days - 1) * span;
        let day = self.advance(day, u64::try_from(days).ok()?)?;
        self.instant(
            day.and_time(self.opens)
                .checked_add_signed(delta(into_last)?)?,
        )
    }

    fn calendar_days_after(&self, start: DateTime<Utc>, n: u32) -> Option<DateTime<Utc>> {
        let arrived = self.local_naive(start)?;
        let date = arrived.date().checked_add_days(Days::new(u64::from(n)))?;
        let closed_already = date == arrived.date() && arrived.time() > self.closes;
        let day = if self.is_working_day(date) && !closed_already {
            date
        } else {
            self.advance(date, 1)?
        };
        self.instant(day.and_time(self.closes))
    }

    /// `limit` counted backwards from `deadline` (see [`Self::reminder_time`]).
    fn ahead_of(&self, deadline: DateTime<Utc>, limit: TimeLimit) -> Option<DateTime<Utc>> {
        let n = limit.amount;
        match limit.unit {
            TimeUnit::Hours => deadline.checked_sub_signed(TimeDelta::try_hours(i64::from(n))?),
            TimeUnit::Minutes => deadline.checked_sub_signed(TimeDelta::try_minutes(i64::from(n))?),
            TimeUnit::WorkingDays => {
                let due = self.local_naive(deadline)?;
                let day = self.retreat(due.date(), u64::from(n))?;
                self.instant(day.and_time(due.time()))
            }
            TimeUnit::CalendarDays => {
                let due = self.local_naive(deadline)?;
                let day = due.date().checked_sub_days(Days::new(u64::from(n)))?;
                self.instant(day.and_time(due.time()))
            }
            TimeUnit::WorkingHours => self.working_hours_before(deadline, n),
        }
    }

    fn working_hours_before(&self, deadline: DateTime<Utc>, n: u32) -> Option<DateTime<Utc>> {
        let span = nanos(self.closes.signed_duration_since(self.opens));
        if span <= 0 {
            return None;
        }
        let due = self.local_naive(deadline)?;
        // The last moment of working time at or before the deadline.
        let (day, at) = if self.is_working_day(due.date()) && due.time() >= self.opens {
            (due.date(), due.time().min(self.closes))
        } else {
            (self.retreat(due.date(), 1)?, self.closes)
        };
        let need = i128::from(n) * NANOS_PER_HOUR;
        let today = nanos(at.signed_duration_since(self.opens));
        if need <= today {
            return self.instant(day.and_time(at).checked_sub_signed(delta(need)?)?);
        }
        let rest = need - today;
        let days = (rest + span - 1) / span;
        let into_first = rest - (days - 1) * span;
        let day = self.retreat(day, u64::try_from(days).ok()?)?;
        self.instant(
            day.and_time(self.closes)
                .checked_sub_signed(delta(into_first)?)?,
        )
    }

    // ---- wall clock -----------------------------------------------------

    /// `t` as a local date and time; `None` only at the edges of
    /// representable time (where `DateTime::naive_local` would panic).
    fn local_naive(&self, t: DateTime<Utc>) -> Option<NaiveDateTime> {
        let offset = self.time_zone.offset_from_utc_datetime(&t.naive_utc());
        t.naive_utc().checked_add_offset(offset.fix())
    }

    /// The first instant at which the local clock reads `local` or later.
    fn instant(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self.time_zone.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
            LocalResult::None => GapInfo::new(&local, &self.time_zone)
                .and_then(|gap| gap.end)
                .map(|end| end.with_timezone(&Utc)),
        }
    }

    /// The working day a case arriving at `t` counts from, and the local
    /// time it counts from on that day.
    fn effective_start(&self, t: DateTime<Utc>) -> Option<(NaiveDate, NaiveTime)> {
        let arrived = self.local_naive(t)?;
        let (date, time) = (arrived.date(), arrived.time());
        if self.is_working_day(date) && time <= self.closes {
            Some((date, time.max(self.opens)))
        } else {
            Some((self.advance(date, 1)?, self.opens))
        }
    }

    // ---- bounded day scans ----------------------------------------------

    /// The listed years whose entries may concern a date in `year`.
    fn years_near(&self, year: i32) -> impl Iterator<Item = (&i32, &HolidayYear)> {
        self.years
            .range(year.saturating_sub(1)..=year.saturating_add(1))
    }

    fn working_days_per_week(&self) -> u64 {
        // Counted over the seven weekdays so a repeated entry counts once.
        ALL_WEEKDAYS
            .iter()
            .filter(|day| self.working_weekdays.contains(day))
            .count() as u64
    }

    /// If only the weekly pattern applies on `date`, the last date of that
    /// stretch (the end of representable dates if no listed year follows).
    fn weekly_only_until(&self, date: NaiveDate) -> Option<NaiveDate> {
        let year = date.year();
        if self.years_near(year).next().is_some() {
            return None;
        }
        let end = self
            .years
            .range(year.saturating_add(2)..)
            .next()
            .and_then(|(&next, _)| NaiveDate::from_ymd_opt(next.saturating_sub(2), 12, 31));
        Some(end.unwrap_or(NaiveDate::MAX))
    }

    /// If only the weekly pattern applies on `date`, the first date of that
    /// stretch (the start of representable dates if no listed year precedes).
    fn weekly_only_since(&self, date: NaiveDate) -> Option<NaiveDate> {
        let year = date.year();
        if self.years_near(year).next().is_some() {
            return None;
        }
        let begin = self
            .years
            .range(..=year.saturating_sub(2))
            .next_back()
            .and_then(|(&previous, _)| NaiveDate::from_ymd_opt(previous.saturating_add(2), 1, 1));
        Some(begin.unwrap_or(NaiveDate::MIN))
    }

    /// The `n`-th working day after `date` (`date` itself for 0); `None` if
    /// working days run out before representable dates do.
    fn advance(&self, date: NaiveDate, n: u64) -> Option<NaiveDate> {
        let per_week = self.working_days_per_week();
        let mut day = date;
        let mut left = n;
        while left > 0 {
            let next = day.succ_opt()?;
            if let Some(end) = self.weekly_only_until(next) {
                if per_week == 0 {
                    // Nothing in this stretch is a working day.
                    if end == NaiveDate::MAX {
                        return None;
                    }
                    day = end;
                    continue;
                }
                // Any seven days in a row hold each weekday once; jump whole
                // weeks but leave the last few days to the day-by-day step.
                let room = weeks_between(day, end);
                let weeks = ((left - 1) / per_week).min(room);
                if weeks > 0 {
                    day = day.checked_add_days(Days::new(weeks * 7))?;
                    left -= weeks * per_week;
                    continue;
                }
            }
            day = next;
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        Some(day)
    }

    /// The `n`-th working day before `date` (`date` itself for 0).
    fn retreat(&self, date: NaiveDate, n: u64) -> Option<NaiveDate> {
        let per_week = self.working_days_per_week();
        let mut day = date;
        let mut left = n;
        while left > 0 {
            let previous = day.pred_opt()?;
            if let Some(begin) = self.weekly_only_since(previous) {
                if per_week == 0 {
                    if begin == NaiveDate::MIN {
                        return None;
                    }
                    day = begin;
                    continue;
                }
                let room = weeks_between(begin, day);
                let weeks = ((left - 1) / per_week).min(room);
                if weeks > 0 {
                    day = day.checked_sub_days(Days::new(weeks * 7))?;
                    left -= weeks * per_week;
                    continue;
                }
            }
            day = previous;
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        Some(day)
    }

    /// Working days in `(after, upto]`.
    fn count_working_days(&self, after: NaiveDate, upto: NaiveDate) -> i64 {
        let per_week = self.working_days_per_week();
        let mut day = after;
        let mut count: u64 = 0;
        while day < upto {
            let Some(next) = day.succ_opt() else { break };
            if let Some(end) = self.weekly_only_until(next) {
                let weeks = weeks_between(day, end.min(upto));
                if weeks > 0 {
                    let Some(jumped) = day.checked_add_days(Days::new(weeks * 7)) else {
                        break;
                    };
                    day = jumped;
                    count += weeks * per_week;
                    continue;
                }
            }
            day = next;
            if self.is_working_day(day) {
                count += 1;
            }
        }
        // At most every day of the representable range, which fits easily.
        i64::try_from(count).unwrap_or(i64::MAX)
    }
}

/// Whole weeks from `from` to `to` (0 if `to` is not later).
fn weeks_between(from: NaiveDate, to: NaiveDate) -> u64 {
    u64::try_from(to.signed_duration_since(from).num_days() / 7).unwrap_or(0)
}

/// A duration in nanoseconds; wide enough for any `u32` of hours.
fn nanos(d: TimeDelta) -> i128 {
    i128::from(d.num_seconds()) * 1_000_000_000 + i128::from(d.subsec_nanos())
}

fn delta(nanos: i128) -> Option<TimeDelta> {
    i64::try_from(nanos).ok().map(TimeDelta::nanoseconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// A Shanghai wall-clock reading as an instant (UTC+8, no DST).
    fn sh(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Shanghai
            .with_ymd_and_hms(y, m, day, h, min, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn holiday(name: &str, first: NaiveDate, last: NaiveDate) -> Holiday {
        Holiday {
            name: Localized::new(name, name),
            first,
            last,
        }
    }

    /// The 2026 mainland-China calendar from the State Council notice.
    fn china_2026() -> Calendar {
        let year = HolidayYear {
            holidays: vec![
                holiday("元旦", d(2026, 1, 1), d(2026, 1, 3)),
                holiday("春节", d(2026, 2, 15), d(2026, 2, 23)),
                holiday("清明节", d(2026, 4, 4), d(2026, 4, 6)),
                holiday("劳动节", d(2026, 5, 1), d(2026, 5, 5)),
                holiday("端午节", d(2026, 6, 19), d(2026, 6, 21)),
                holiday("中秋节", d(2026, 9, 25), d(2026, 9, 27)),
                holiday("国庆节", d(2026, 10, 1), d(2026, 10, 7)),
            ],
            make_up_working_days: vec![
                d(2026, 1, 4),
                d(2026, 2, 14),
                d(2026, 2, 28),
                d(2026, 5, 9),
                d(2026, 9, 20),
                d(2026, 10, 10),
            ],
            provisional: false,
        };
        Calendar {
            years: BTreeMap::from([(2026, year)]),
            ..Calendar::default()
        }
    }

    #[test]
    fn holidays_and_make_up_days() {
        let cal = china_2026();
        assert!(!cal.is_working_day(d(2026, 10, 1)));
        assert!(!cal.is_working_day(d(2026, 9, 25)), "Friday in Mid-Autumn");
        assert!(cal.is_working_day(d(2026, 9, 20)), "make-up Sunday");
        assert!(cal.is_working_day(d(2026, 1, 4)), "make-up Sunday");
        assert!(cal.is_working_day(d(2026, 10, 10)), "make-up Saturday");
        assert!(!cal.is_working_day(d(2026, 3, 7)), "ordinary Saturday");
        assert!(cal.is_working_day(d(2026, 9, 30)));
        assert_eq!(cal.next_working_day(d(2026, 9, 30)), d(2026, 10, 8));
        assert_eq!(cal.next_working_day(d(2026, 9, 19)), d(2026, 9, 20));
        assert_eq!(cal.next_working_day(d(2026, 1, 1)), d(2026, 1, 4));
        // 261 weekdays, 19 of them holidays, 6 make-up days.
        assert_eq!(
            cal.working_days_between(sh(2025, 12, 31, 12, 0), sh(2026, 12, 31, 12, 0)),
            248
        );
    }

    #[test]
    fn complaint_before_national_day_and_mid_autumn() {
        let cal = china_2026();
        let fifteen = TimeLimit::working_days(15);
        // Wed 30 Sep is the last working day before 1-7 Oct.
        assert_eq!(
            cal.deadline(sh(2026, 9, 30, 10, 0), TimeLimit::working_days(1)),
            sh(2026, 10, 8, 18, 0)
        );
        assert_eq!(
            cal.deadline(sh(2026, 9, 30, 10, 0), fifteen),
            sh(2026, 10, 27, 18, 0)
        );
        // Thu 24 Sep is the last working day before 25-27 Sep.
        assert_eq!(
            cal.deadline(sh(2026, 9, 24, 16, 30), fifteen),
            sh(2026, 10, 22, 18, 0)
        );
        // Sat 14 Feb, a make-up day, is the last before the Spring Festival.
        assert_eq!(
            cal.deadline(sh(2026, 2, 14, 9, 30), fifteen),
            sh(2026, 3, 13, 18, 0)
        );
        assert_eq!(
            cal.working_days_between(sh(2026, 9, 30, 10, 0), sh(2026, 10, 27, 17, 0)),
            15
        );
    }

    #[test]
    fn a_make_up_sunday_counts_from_that_day() {
        let cal = china_2026();
        let arrived = sh(2026, 9, 20, 10, 0);
        assert_eq!(
            cal.deadline(arrived, TimeLimit::working_days(0)),
            sh(2026, 9, 20, 18, 0)
        );
        assert_eq!(
            cal.deadline(arrived, TimeLimit::working_days(1)),
            sh(2026, 9, 21, 18, 0)
        );
        // Sat 3 Jan is a holiday: the case counts from Sun 4 Jan.
        assert_eq!(
            cal.deadline(sh(2026, 1, 3, 11, 0), TimeLimit::working_days(0)),
            sh(2026, 1, 4, 18, 0)
        );
        assert_eq!(
            cal.deadline(sh(2026, 1, 4, 11, 0), TimeLimit::working_days(1)),
            sh(2026, 1, 5, 18, 0)
        );
    }

    #[test]
    fn late_evening_and_midnight_give_the_same_deadline() {
        let cal = china_2026();
        let late = sh(2026, 3, 10, 23, 59);
        let midnight = sh(2026, 3, 11, 0, 0);
        for n in [0, 1, 15] {
            let limit = TimeLimit::working_days(n);
            assert_eq!(cal.deadline(late, limit), cal.deadline(midnight, limit));
        }
        assert_eq!(
            cal.deadline(midnight, TimeLimit::working_days(1)),
            sh(2026, 3, 12, 18, 0)
        );
        // Closing time itself still counts as that day.
        assert_eq!(
            cal.deadline(sh(2026, 3, 10, 18, 0), TimeLimit::working_days(0)),
            sh(2026, 3, 10, 18, 0)
        );
    }

    #[test]
    fn utc_timestamps_count_on_the_local_date() {
        let cal = china_2026();
        // Sunday 1 Mar in UTC, Monday 2 Mar 01:30 in Shanghai.
        let t = utc("2026-03-01T17:30:00Z");
        assert_eq!(cal.local(t).date_naive(), d(2026, 3, 2));
        assert_eq!(
            cal.deadline(t, TimeLimit::working_days(1)),
            utc("2026-03-03T10:00:00Z")
        );
        assert_eq!(
            cal.deadline(t, TimeLimit::working_hours(2)),
            sh(2026, 3, 2, 11, 0)
        );
    }

    #[test]
    fn working_hours_skip_nights_weekends_and_holidays() {
        let cal = china_2026();
        // Friday 17:00, 3 hours: 1 on Friday, 2 on Monday.
        assert_eq!(
            cal.deadline(sh(2026, 3, 6, 17, 0), TimeLimit::working_hours(3)),
            sh(2026, 3, 9, 11, 0)
        );
        // Friday 3 Apr 16:00, 4 hours: Qingming is Sat 4 - Mon 6 Apr.
        assert_eq!(
            cal.deadline(sh(2026, 4, 3, 16, 0), TimeLimit::working_hours(4)),
            sh(2026, 4, 7, 11, 0)
        );
        // Ending exactly at closing time stays at closing time.
        assert_eq!(
            cal.deadline(sh(2026, 3, 6, 16, 0), TimeLimit::working_hours(2)),
            sh(2026, 3, 6, 18, 0)
        );
        assert_eq!(
            cal.deadline(sh(2026, 3, 9, 7, 0), TimeLimit::working_hours(9)),
            sh(2026, 3, 9, 18, 0)
        );
        assert_eq!(
            cal.deadline(sh(2026, 3, 9, 7, 0), TimeLimit::working_hours(10)),
            sh(2026, 3, 10, 10, 0)
        );
    }

    #[test]
    fn calendar_days_move_off_holidays_and_weekends() {
        let cal = china_2026();
        // Mon 21 Sep + 10 days is 1 Oct, a holiday: next working day 8 Oct.
        assert_eq!(
            cal.deadline(sh(2026, 9, 21, 10, 0), TimeLimit::calendar_days(10)),
            sh(2026, 10, 8, 18, 0)
        );
        // Mon 2 Mar + 5 days is a Saturday.
        assert_eq!(
            cal.deadline(sh(2026, 3, 2, 10, 0), TimeLimit::calendar_days(5)),
            sh(2026, 3, 9, 18, 0)
        );
        // Counted from the date of arrival even on a holiday; lands on the
        // make-up Saturday 10 Oct.
        assert_eq!(
            cal.deadline(sh(2026, 10, 3, 10, 0), TimeLimit::calendar_days(7)),
            sh(2026, 10, 10, 18, 0)
        );
        // Same day after closing: the next working day.
        assert_eq!(
            cal.deadline(sh(2026, 3, 2, 20, 0), TimeLimit::calendar_days(0)),
            sh(2026, 3, 3, 18, 0)
        );
    }

    #[test]
    fn elapsed_hours_and_minutes_ignore_the_calendar() {
        let cal = china_2026();
        let t = sh(2026, 10, 1, 23, 0);
        assert_eq!(
            cal.deadline(t, TimeLimit::hours(48)),
            sh(2026, 10, 3, 23, 0)
        );
        assert_eq!(
            cal.deadline(t, TimeLimit::minutes(10)),
            sh(2026, 10, 1, 23, 10)
        );
    }

    #[test]
    fn past_the_calendar_only_weekends_count() {
        let cal = china_2026();
        assert_eq!(cal.covered_until(), Some(d(2026, 12, 31)));
        assert!(cal.is_working_day(d(2027, 1, 1)), "2027 is not listed");
        assert!(cal.is_working_day(d(2027, 10, 1)));
        assert!(!cal.is_working_day(d(2027, 1, 2)));
        assert_eq!(
            cal.deadline(sh(2026, 12, 31, 10, 0), TimeLimit::working_days(5)),
            sh(2027, 1, 7, 18, 0)
        );
        // Far past the calendar: 520 weeks of five days, Monday to Monday.
        assert_eq!(
            cal.deadline(sh(2030, 1, 7, 10, 0), TimeLimit::working_days(5 * 520)),
            sh(2039, 12, 26, 18, 0)
        );
    }

    #[test]
    fn reminders() {
        let cal = china_2026();
        let one = TimeLimit::working_days(1);
        // 1 working day: half-way (Tue 02:00) is later than Mon 18:00.
        let start = sh(2026, 3, 9, 10, 0);
        let due = cal.deadline(start, one);
        assert_eq!(due, sh(2026, 3, 10, 18, 0));
        assert_eq!(cal.reminder_time(start, due, one), sh(2026, 3, 10, 2, 0));
        // 15 working days: one working day before wins.
        let start = sh(2026, 9, 30, 10, 0);
        let due = cal.deadline(start, TimeLimit::working_days(15));
        assert_eq!(cal.reminder_time(start, due, one), sh(2026, 10, 26, 18, 0));
        // Counting back skips weekends onto a make-up Saturday.
        let early = sh(2026, 9, 1, 9, 0);
        assert_eq!(
            cal.reminder_time(early, sh(2026, 10, 12, 18, 0), one),
            sh(2026, 10, 10, 18, 0)
        );
        // Working hours count back over the Qingming holiday.
        assert_eq!(
            cal.reminder_time(
                sh(2026, 3, 2, 9, 0),
                sh(2026, 4, 7, 11, 0),
                TimeLimit::working_hours(4)
            ),
            sh(2026, 4, 3, 16, 0)
        );
        // A deadline not after the start: remind at once.
        assert_eq!(cal.reminder_time(start, early, one), start);
    }

    #[test]
    fn working_days_between_counts_after_the_first_date() {
        let cal = china_2026();
        let friday = sh(2026, 3, 6, 17, 0);
        assert_eq!(cal.working_days_between(friday, sh(2026, 3, 6, 23, 0)), 0);
        assert_eq!(cal.working_days_between(friday, sh(2026, 3, 8, 12, 0)), 0);
        assert_eq!(cal.working_days_between(friday, sh(2026, 3, 9, 8, 0)), 1);
        assert_eq!(cal.working_days_between(sh(2026, 3, 9, 8, 0), friday), 0);
        // Years apart, mostly past the calendar: 52 weeks of 5 days.
        assert_eq!(
            cal.working_days_between(sh(2030, 1, 7, 10, 0), sh(2031, 1, 6, 10, 0)),
            260
        );
    }

    #[test]
    fn a_calendar_without_working_days_terminates() {
        let cal = Calendar {
            working_weekdays: Vec::new(),
            ..china_2026()
        };
        assert!(!cal.has_working_days());
        assert!(china_2026().has_working_days());
        let start = sh(2026, 11, 2, 10, 0);
        for limit in [
            TimeLimit::working_days(3),
            TimeLimit::working_hours(3),
            TimeLimit::calendar_days(3),
        ] {
            assert_eq!(cal.deadline(start, limit), start);
        }
        // The listed make-up days are still working days.
        let september = sh(2026, 9, 1, 10, 0);
        assert_eq!(
            cal.deadline(september, TimeLimit::working_days(0)),
            sh(2026, 9, 20, 18, 0)
        );
        assert_eq!(
            cal.deadline(september, TimeLimit::working_days(1)),
            sh(2026, 10, 10, 18, 0)
        );
        assert_eq!(cal.next_working_day(d(2026, 11, 2)), d(2026, 11, 3));
        assert_eq!(
            cal.working_days_between(sh(2026, 1, 1, 0, 0), sh(2099, 1, 1, 0, 0)),
            6
        );
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        let cal = china_2026();
        let units = [
            TimeLimit::working_days(u32::MAX),
            TimeLimit::working_hours(u32::MAX),
            TimeLimit::calendar_days(u32::MAX),
            TimeLimit::hours(u32::MAX),
            TimeLimit::minutes(u32::MAX),
        ];
        for t in [
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            sh(2026, 5, 1, 9, 0),
        ] {
            for limit in units {
                assert!(cal.deadline(t, limit) >= t);
                let _ = cal.reminder_time(t, DateTime::<Utc>::MAX_UTC, limit);
            }
            let _ = cal.working_days_between(DateTime::<Utc>::MIN_UTC, t);
        }
        let backwards = Calendar {
            opens: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
            closes: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            ..china_2026()
        };
        let t = sh(2026, 3, 2, 8, 0);
        assert!(backwards.deadline(t, TimeLimit::working_hours(3)) >= t);
    }

    #[test]
    fn entries_of_neighbouring_years_all_apply() {
        // A notice may list a day of the year before it.
        let mut cal = china_2026();
        cal.years.insert(
            2027,
            HolidayYear {
                holidays: vec![holiday("元旦", d(2026, 12, 31), d(2027, 1, 1))],
                make_up_working_days: vec![d(2027, 1, 2)],
                provisional: false,
            },
        );
        assert!(!cal.is_working_day(d(2026, 12, 31)));
        assert!(
            !cal.is_working_day(d(2026, 10, 1)),
            "2026 entries still apply"
        );
        assert!(cal.is_working_day(d(2026, 9, 20)));
        assert!(cal.is_working_day(d(2027, 1, 2)));
        assert_eq!(cal.next_working_day(d(2026, 12, 30)), d(2027, 1, 2));
    }

    /// Day-by-day stepping, the obvious way, to check the week jumps against.
    fn step(cal: &Calendar, mut day: NaiveDate, n: u64, forward: bool) -> NaiveDate {
        let mut left = n;
        while left > 0 {
            day = if forward {
                day.succ_opt().unwrap()
            } else {
                day.pred_opt().unwrap()
            };
            if cal.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    fn new_york() -> Calendar {
        Calendar {
            time_zone: chrono_tz::America::New_York,
            working_weekdays: ALL_WEEKDAYS.to_vec(),
            opens: NaiveTime::from_hms_opt(1, 0, 0).unwrap(),
            closes: NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
            years: BTreeMap::new(),
        }
    }

    #[test]
    fn closing_time_in_a_daylight_saving_gap_is_the_gap_end() {
        // 2026-03-08 02:30 does not exist in New York: clocks jump to 03:00 EDT.
        // Arrival Sat 7 Mar 01:30 EST, so counted from that day.
        let cal = new_york();
        assert_eq!(
            cal.deadline(utc("2026-03-07T06:30:00Z"), TimeLimit::working_days(1)),
            utc("2026-03-08T07:00:00Z")
        );
    }

    #[test]
    fn closing_time_in_a_daylight_saving_fold_is_the_first_one() {
        // 2026-11-01 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
        let cal = Calendar {
            closes: NaiveTime::from_hms_opt(1, 30, 0).unwrap(),
            ..new_york()
        };
        // Arrival Sat 31 Oct 01:15 EDT, so counted from that day.
        assert_eq!(
            cal.deadline(utc("2026-10-31T05:15:00Z"), TimeLimit::working_days(1)),
            utc("2026-11-01T05:30:00Z")
        );
        // Arriving during the repeated hour never yields an earlier deadline.
        let late = utc("2026-11-01T06:20:00Z");
        assert_eq!(cal.deadline(late, TimeLimit::working_days(0)), late);
    }

    fn instant_2026_2027() -> impl Strategy<Value = DateTime<Utc>> {
        let from = utc("2025-12-01T00:00:00Z").timestamp();
        let to = utc("2028-01-01T00:00:00Z").timestamp();
        (from..to, 0u32..1_000_000_000)
            .prop_map(|(secs, nanos)| DateTime::from_timestamp(secs, nanos).unwrap())
    }

    fn any_unit() -> impl Strategy<Value = TimeUnit> {
        prop_oneof![
            Just(TimeUnit::WorkingDays),
            Just(TimeUnit::WorkingHours),
            Just(TimeUnit::CalendarDays),
            Just(TimeUnit::Hours),
            Just(TimeUnit::Minutes),
        ]
    }

    fn working_unit() -> impl Strategy<Value = TimeUnit> {
        prop_oneof![Just(TimeUnit::WorkingDays), Just(TimeUnit::WorkingHours)]
    }

    proptest! {
        #[test]
        fn working_deadlines_fall_in_working_time(
            t in instant_2026_2027(), amount in 0u32..40, unit in working_unit()
        ) {
            let cal = china_2026();
            let due = cal.local(cal.deadline(t, TimeLimit { amount, unit }));
            prop_assert!(cal.is_working_day(due.date_naive()));
            prop_assert!(due.time() >= cal.opens && due.time() <= cal.closes);
            if unit == TimeUnit::WorkingDays {
                prop_assert_eq!(due.time(), cal.closes);
            }
        }

        #[test]
        fn working_limits_add_up(
            t in instant_2026_2027(), a in 0u32..40, b in 0u32..40, unit in working_unit()
        ) {
            let cal = china_2026();
            let limit = |amount| TimeLimit { amount, unit };
            prop_assert_eq!(
                cal.deadline(cal.deadline(t, limit(a)), limit(b)),
                cal.deadline(t, limit(a + b))
            );
        }

        #[test]
        fn deadlines_are_monotone_and_never_early(
            t1 in instant_2026_2027(), t2 in instant_2026_2027(),
            amount in 0u32..40, unit in any_unit()
        ) {
            let cal = china_2026();
            let limit = TimeLimit { amount, unit };
            let (early, late) = (t1.min(t2), t1.max(t2));
            prop_assert!(cal.deadline(early, limit) <= cal.deadline(late, limit));
            prop_assert!(cal.deadline(t1, limit) >= t1);
        }

        #[test]
        fn reminders_fall_between_start_and_deadline(
            t in instant_2026_2027(), amount in 0u32..40, unit in any_unit(),
            before in 0u32..40, before_unit in any_unit()
        ) {
            let cal = china_2026();
            let due = cal.deadline(t, TimeLimit { amount, unit });
            let remind = cal.reminder_time(t, due, TimeLimit { amount: before, unit: before_unit });
            prop_assert!(t <= remind && remind <= due);
        }

        #[test]
        fn working_days_between_matches_the_deadline(
            t in instant_2026_2027(), amount in 0u32..40
        ) {
            let cal = china_2026();
            let due = cal.deadline(t, TimeLimit::working_days(amount));
            let counted = cal.working_days_between(t, due);
            // Arrival after hours or on a day off counts from a later day.
            prop_assert!(counted >= i64::from(amount));
            prop_assert!(counted <= i64::from(amount) + 1);
        }

        #[test]
        fn week_jumps_match_stepping_day_by_day(
            offset in 0i64..(366 * 8), n in 0u64..400, sparse in any::<bool>()
        ) {
            let mut cal = china_2026();
            if sparse {
                // Two working weekdays, and a gap between listed years whose
                // entries reach into the years next to them.
                cal.working_weekdays = vec![Weekday::Tue, Weekday::Sat];
                if let Some(listed) = cal.years.get_mut(&2026) {
                    listed
                        .holidays
                        .push(holiday("假", d(2027, 12, 20), d(2027, 12, 31)));
                }
                cal.years.insert(
                    2031,
                    HolidayYear {
                        holidays: vec![holiday("假", d(2030, 1, 1), d(2030, 1, 10))],
                        make_up_working_days: vec![d(2030, 1, 6)],
                        provisional: false,
                    },
                );
            }
            let day = d(2024, 6, 1) + TimeDelta::days(offset);
            let ahead = step(&cal, day, n, true);
            prop_assert_eq!(cal.advance(day, n), Some(ahead));
            prop_assert_eq!(cal.retreat(day, n), Some(step(&cal, day, n, false)));
            prop_assert_eq!(cal.count_working_days(day, ahead), n as i64);
        }

        #[test]
        fn any_instant_and_amount_is_safe(
            secs in DateTime::<Utc>::MIN_UTC.timestamp()..DateTime::<Utc>::MAX_UTC.timestamp(),
            amount in any::<u32>(), unit in any_unit()
        ) {
            let cal = china_2026();
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            let limit = TimeLimit { amount, unit };
            let due = cal.deadline(t, limit);
            prop_assert!(due >= t);
            let remind = cal.reminder_time(t, due, limit);
            prop_assert!(t <= remind && remind <= due);
        }
    }
}
