//! Calendar dates without a date library: the release date of a changelog heading
//! (`SOURCE_DATE_EPOCH` when set, so builds and tests are reproducible, else today, in
//! UTC) and the HTTP-dates servers send in `Retry-After`. The one place that converts
//! between days since 1970 and year-month-day.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result};

/// Today's date as `YYYY-MM-DD`, or the one `SOURCE_DATE_EPOCH` pins.
pub fn today() -> Result<String> {
    let seconds = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) if !value.trim().is_empty() => value.trim().parse::<i64>().with_context(|| {
            format!("SOURCE_DATE_EPOCH is `{value}`, not a number of seconds; set it to a Unix time or unset it")
        })?,
        _ => {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).context("the system clock is before 1970")?;
            now.as_secs() as i64
        }
    };
    Ok(iso_date(seconds))
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, `None` for anything else or a date
/// that does not exist (`2026-02-30`).
pub fn parse_iso_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if !text.is_ascii() || bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| {
        let part = &text[range];
        part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse::<u32>().ok()).flatten()
    };
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    // A day past the month's end comes back as another date.
    (civil_from_days(days) == (i64::from(year), month, day)).then_some(days)
}

/// The UTC calendar date of a Unix time, as `YYYY-MM-DD`.
pub fn iso_date(unix_seconds: i64) -> String {
    let (year, month, day) = civil_from_days(unix_seconds.div_euclid(86_400));
    format!("{year:04}-{month:02}-{day:02}")
}

/// A Unix time as an RFC 3339 UTC timestamp, `YYYY-MM-DDTHH:MM:SSZ`.
pub fn iso_datetime(unix_seconds: i64) -> String {
    let secs = unix_seconds.rem_euclid(86_400);
    format!("{}T{:02}:{:02}:{:02}Z", iso_date(unix_seconds), secs / 3600, secs / 60 % 60, secs % 60)
}

/// An IMF-fixdate (RFC 9110 §5.6.7), the one HTTP-date form servers may send:
/// `Sun, 06 Nov 1994 08:49:37 GMT`. `None` for anything else, or a date before 1970.
pub fn parse_http_date(text: &str) -> Option<SystemTime> {
    let mut parts = text.split_ascii_whitespace();
    let weekday = parts.next()?;
    let (day, month, year, time, zone) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !weekday.ends_with(',') || zone != "GMT" || day.len() != 2 || year.len() != 4 {
        return None;
    }
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == month)? as u32 + 1;
    let day: u32 = day.parse().ok()?;
    let year: i64 = year.parse().ok()?;
    let mut hms = time.split(':').map(|n| if n.len() == 2 { n.parse::<u64>().ok() } else { None });
    let (hour, minute, second) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = u64::try_from(days_from_civil(year, month, day)).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(days * 86_400 + hour * 3600 + minute * 60 + second))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a count of days since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`), the inverse of [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shift the epoch to 0000-03-01 so that leap days fall at the end of a 400-year era.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 is March
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn known_dates() {
        assert_eq!(iso_date(0), "1970-01-01");
        assert_eq!(iso_date(86_399), "1970-01-01");
        assert_eq!(iso_date(951_782_400), "2000-02-29");
        assert_eq!(iso_date(951_868_800), "2000-03-01");
        assert_eq!(iso_date(1_700_000_000), "2023-11-14");
        assert_eq!(iso_date(4_107_542_400), "2100-03-01");
        assert_eq!(iso_date(-1), "1969-12-31");
        assert_eq!(super::iso_datetime(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn parses_iso_dates_that_exist() {
        assert_eq!(parse_iso_date("1970-01-01"), Some(0));
        assert_eq!(parse_iso_date("2000-02-29"), Some(951_782_400 / 86_400));
        for text in ["2026-02-29", "2026-13-01", "2026-00-10", "2026-1-01", "26-01-01", "2026/01/01", "２０２６-01-01"]
        {
            assert_eq!(parse_iso_date(text), None, "{text}");
        }
    }

    #[test]
    fn the_two_directions_agree() {
        for days in (-800_000..800_000).step_by(997) {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days, "{year}-{month}-{day}");
        }
    }

    #[test]
    fn parses_imf_fixdate() {
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(at(784_111_777)));
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(at(0)));
        assert_eq!(parse_http_date("Thu, 29 Feb 2024 23:59:59 GMT"), Some(at(1_709_251_199)));
    }

    #[test]
    fn rejects_other_date_forms() {
        for text in [
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Wed, 31 Dec 1969 23:59:59 GMT",
            "",
        ] {
            assert_eq!(parse_http_date(text), None, "{text}");
        }
    }
}
