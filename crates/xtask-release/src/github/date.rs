//! The release date for changelog headings: `SOURCE_DATE_EPOCH` when set, so builds and
//! tests are reproducible, else today, in UTC.

use std::time::{SystemTime, UNIX_EPOCH};

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

/// Howard Hinnant's `civil_from_days`: the proleptic Gregorian date of a count of days
/// since 1970-01-01, exact for every day, without a date library.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
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
    use super::iso_date;

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
}
