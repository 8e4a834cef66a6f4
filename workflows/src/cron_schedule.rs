//! When a backup schedule is due: a cron expression of 5 fields (minute
//! first) or 6 (seconds first), read by the maintained `croner` parser, in
//! an IANA time zone.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// Consecutive gaps checked against the minimum interval: enough to see
/// through expressions such as `0,1 * * * *` whose first gap is short.
const GAPS_CHECKED: usize = 64;

/// A parsed schedule.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    cron: Cron,
    zone: Tz,
}

impl CronSchedule {
    /// Parses `expr` in `timezone`; errors name the field (`cron_expr`, `timezone`).
    pub fn parse(expr: &str, timezone: &str) -> Result<Self, String> {
        if expr.len() > 256 || expr.chars().any(char::is_control) {
            return Err("cron_expr: at most 256 printable characters".into());
        }
        let fields = expr.split_whitespace().count();
        if !(5..=6).contains(&fields) {
            return Err(format!(
                "cron_expr: {fields} fields; use 5 (minute hour day month weekday) or 6 (with seconds first)"
            ));
        }
        let parser = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build();
        let cron = parser.parse(expr).map_err(|e| format!("cron_expr: {e}"))?;
        let zone = Tz::from_str(timezone).map_err(|_| format!("timezone: {timezone:?} is not an IANA time zone"))?;
        Ok(Self { cron, zone })
    }

    /// The first due time strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(&self.zone);
        self.cron
            .find_next_occurrence(&local, false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The last due time at or before `at`.
    pub fn last_at_or_before(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&self.zone);
        self.cron
            .find_previous_occurrence(&local, true)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// Refuses a schedule that fires more often than every `min_secs` seconds.
    pub fn check_interval(&self, from: DateTime<Utc>, min_secs: u64) -> Result<(), String> {
        let mut last = self.next_after(from).ok_or("cron_expr: the expression never fires")?;
        for _ in 0..GAPS_CHECKED {
            let Some(next) = self.next_after(last) else {
                return Ok(());
            };
            let gap = (next - last).num_seconds();
            if gap < i64::try_from(min_secs).unwrap_or(i64::MAX) {
                return Err(format!(
                    "cron_expr: fires {gap} s apart at {last}; this server allows at most one backup every {min_secs} s"
                ));
            }
            last = next;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    #[test]
    fn five_and_six_fields_in_a_zone() {
        let daily = CronSchedule::parse("30 2 * * *", "Asia/Shanghai").expect("parse");
        // 02:30 in Shanghai is 18:30 UTC the day before.
        assert_eq!(
            daily.next_after(at("2026-11-26T00:00:00Z")),
            Some(at("2026-11-26T18:30:00Z"))
        );
        let seconds = CronSchedule::parse("*/10 * * * * *", "UTC").expect("parse");
        assert_eq!(
            seconds.next_after(at("2026-11-26T00:00:01Z")),
            Some(at("2026-11-26T00:00:10Z"))
        );
    }

    #[test]
    fn bad_input_names_the_field() {
        assert!(
            CronSchedule::parse("61 * * * *", "UTC")
                .expect_err("minute")
                .starts_with("cron_expr")
        );
        assert!(
            CronSchedule::parse("* * *", "UTC")
                .expect_err("fields")
                .starts_with("cron_expr")
        );
        assert!(
            CronSchedule::parse("* * * * *", "Mars/Olympus")
                .expect_err("zone")
                .starts_with("timezone")
        );
    }

    #[test]
    fn too_frequent_is_refused() {
        let now = at("2026-11-26T00:00:00Z");
        let every_second = CronSchedule::parse("* * * * * *", "UTC").expect("parse");
        assert!(every_second.check_interval(now, 60).is_err());
        assert!(every_second.check_interval(now, 1).is_ok());
        let twice_an_hour_close = CronSchedule::parse("0,1 * * * *", "UTC").expect("parse");
        assert!(twice_an_hour_close.check_interval(now, 120).is_err());
        let hourly = CronSchedule::parse("0 * * * *", "UTC").expect("parse");
        assert!(hourly.check_interval(now, 60).is_ok());
    }
}
