//! The working-day calendar and all deadline arithmetic.
//!
//! A deadline is computed in the rulebook's time zone and returned in UTC.
//! Rules of counting (written once, here):
//! - Working days: Monday to Friday by default, minus public holidays, plus
//!   make-up working days (调休). Past the last year the rulebook lists,
//!   only the weekly pattern applies (`hotline check` warns about it).
//! - A case that arrives outside working hours, or on a non-working day,
//!   counts as arriving at the start of the next working day.
//! - N working days: the limit ends at closing time of the N-th working day
//!   after the day the case counts as arriving (the arrival day itself does
//!   not count, "counted from the next day"); 0 is closing time that day.
//! - N working hours: counted inside opening hours only.
//! - N calendar days: closing time of the N-th day after arrival; if that is
//!   not a working day, the next working day (as statutory periods do).
//! - Hours and minutes: elapsed time, round the clock.

use crate::localized::Localized;
use crate::time_limit::{TimeLimit, TimeUnit};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// Days off and make-up working days of one year, as the government publishes them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HolidayYear {
    pub holidays: Vec<Holiday>,
    /// Weekend days that are working days (调休上班).
    pub make_up_working_days: Vec<NaiveDate>,
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

impl Calendar {
    /// The last day the holiday calendar covers (31 December of its last year).
    pub fn covered_until(&self) -> Option<NaiveDate> {
        let year = *self.years.keys().next_back()?;
        NaiveDate::from_ymd_opt(year, 12, 31)
    }

    /// When a limit that starts at `start` runs out.
    pub fn deadline(&self, start: DateTime<Utc>, limit: TimeLimit) -> DateTime<Utc> {
        let _ = (start, limit, TimeUnit::Hours);
        todo!("deadline arithmetic")
    }
}
