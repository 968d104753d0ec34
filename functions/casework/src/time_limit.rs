//! Time limits as editors write them: "15 working days", "1 hour", "same working day".

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// What a time limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// Working days on the calendar; the day a case arrives does not count
    /// ("counted from the next day"), and 0 means the same working day.
    WorkingDays,
    /// Hours inside working hours on working days.
    WorkingHours,
    /// Calendar days counted from the next day; a limit that ends on a
    /// non-working day moves to the next working day.
    CalendarDays,
    /// Elapsed hours, round the clock.
    Hours,
    /// Elapsed minutes, round the clock.
    Minutes,
}

/// An amount of time in one unit, e.g. 15 working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct TimeLimit {
    pub amount: u32,
    pub unit: TimeUnit,
}

impl TimeLimit {
    pub const fn working_days(amount: u32) -> Self {
        TimeLimit {
            amount,
            unit: TimeUnit::WorkingDays,
        }
    }
    pub const fn working_hours(amount: u32) -> Self {
        TimeLimit {
            amount,
            unit: TimeUnit::WorkingHours,
        }
    }
    pub const fn calendar_days(amount: u32) -> Self {
        TimeLimit {
            amount,
            unit: TimeUnit::CalendarDays,
        }
    }
    pub const fn hours(amount: u32) -> Self {
        TimeLimit {
            amount,
            unit: TimeUnit::Hours,
        }
    }
    pub const fn minutes(amount: u32) -> Self {
        TimeLimit {
            amount,
            unit: TimeUnit::Minutes,
        }
    }

    /// The limit in Chinese, as published: "15个工作日", "当个工作日".
    pub fn to_zh(&self) -> String {
        let n = self.amount;
        match (self.unit, n) {
            (TimeUnit::WorkingDays, 0) => "当个工作日内".to_string(),
            (TimeUnit::WorkingDays, n) => format!("{n}个工作日"),
            (TimeUnit::WorkingHours, n) => format!("{n}个工作小时"),
            (TimeUnit::CalendarDays, n) => format!("{n}日"),
            (TimeUnit::Hours, n) => format!("{n}小时"),
            (TimeUnit::Minutes, n) => format!("{n}分钟"),
        }
    }

    /// The limit in English, as published.
    pub fn to_en(&self) -> String {
        self.to_string()
    }

    pub fn localized(&self, lang: crate::Lang) -> String {
        match lang {
            crate::Lang::Zh => self.to_zh(),
            crate::Lang::En => self.to_en(),
        }
    }

    /// A rough length in minutes, only for comparing limits of different
    /// units when checking the rulebook (a working day counts as 24 hours).
    pub fn approx_minutes(&self) -> u64 {
        let n = u64::from(self.amount);
        match self.unit {
            TimeUnit::WorkingDays | TimeUnit::CalendarDays => (n.max(1)) * 24 * 60,
            TimeUnit::WorkingHours | TimeUnit::Hours => n * 60,
            TimeUnit::Minutes => n,
        }
    }
}

impl fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.amount;
        let plural = if n == 1 { "" } else { "s" };
        match self.unit {
            TimeUnit::WorkingDays if n == 0 => write!(f, "same working day"),
            TimeUnit::WorkingDays => write!(f, "{n} working day{plural}"),
            TimeUnit::WorkingHours => write!(f, "{n} working hour{plural}"),
            TimeUnit::CalendarDays => write!(f, "{n} calendar day{plural}"),
            TimeUnit::Hours => write!(f, "{n} hour{plural}"),
            TimeUnit::Minutes => write!(f, "{n} minute{plural}"),
        }
    }
}

/// Why a time limit could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeLimitError {
    #[error("the amount is negative")]
    Negative,
    #[error("`{0}` is not a whole number")]
    BadAmount(String),
    #[error("`{0}` is not a unit of time")]
    BadUnit(String),
    #[error("a time limit is a number and a unit")]
    Shape,
}

/// How to write a time limit, for hints.
pub const TIME_LIMIT_FORMS: &str = "\"15 working days\", \"4 working hours\", \"30 calendar days\", \"48 hours\", \"10 minutes\" or \"same working day\"";

impl FromStr for TimeLimit {
    type Err = TimeLimitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim().to_ascii_lowercase();
        let words: Vec<&str> = text.split_whitespace().collect();
        if words == ["same", "working", "day"] || words == ["same", "day"] {
            return Ok(TimeLimit::working_days(0));
        }
        let (amount, unit_words) = match words.split_first() {
            Some((amount, rest)) if !rest.is_empty() => (*amount, rest),
            _ => return Err(TimeLimitError::Shape),
        };
        if amount.starts_with('-') {
            return Err(TimeLimitError::Negative);
        }
        let amount: u32 = amount
            .parse()
            .map_err(|_| TimeLimitError::BadAmount(amount.to_string()))?;
        let unit = match unit_words.join(" ").as_str() {
            "working day" | "working days" => TimeUnit::WorkingDays,
            "working hour" | "working hours" => TimeUnit::WorkingHours,
            "calendar day" | "calendar days" | "day" | "days" => TimeUnit::CalendarDays,
            "hour" | "hours" => TimeUnit::Hours,
            "minute" | "minutes" => TimeUnit::Minutes,
            other => return Err(TimeLimitError::BadUnit(other.to_string())),
        };
        Ok(TimeLimit { amount, unit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_editors_write() {
        assert_eq!("15 working days".parse(), Ok(TimeLimit::working_days(15)));
        assert_eq!("1 working day".parse(), Ok(TimeLimit::working_days(1)));
        assert_eq!("same working day".parse(), Ok(TimeLimit::working_days(0)));
        assert_eq!("30 days".parse(), Ok(TimeLimit::calendar_days(30)));
        assert_eq!(" 1  Hour ".parse(), Ok(TimeLimit::hours(1)));
        assert_eq!("10 minutes".parse(), Ok(TimeLimit::minutes(10)));
        assert_eq!(
            "-3 working days".parse::<TimeLimit>(),
            Err(TimeLimitError::Negative)
        );
        assert_eq!(
            "3 fortnights".parse::<TimeLimit>(),
            Err(TimeLimitError::BadUnit("fortnights".into()))
        );
        assert_eq!("15".parse::<TimeLimit>(), Err(TimeLimitError::Shape));
    }

    #[test]
    fn displays_round_trip() {
        for limit in [
            TimeLimit::working_days(0),
            TimeLimit::working_days(1),
            TimeLimit::working_days(15),
            TimeLimit::working_hours(4),
            TimeLimit::calendar_days(30),
            TimeLimit::hours(1),
            TimeLimit::minutes(10),
        ] {
            assert_eq!(limit.to_string().parse(), Ok(limit));
        }
        assert_eq!(TimeLimit::working_days(15).to_zh(), "15个工作日");
    }
}
