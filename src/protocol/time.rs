//! Dates as Top.gg writes them (`2026-02-09T00:47:14.2510149+00:00`), without a date-time crate:
//! the protocol needs UTC formatting, one parser for ISO 8601 with an offset, and ages.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, as Unix seconds.
pub fn now_unix() -> i64 {
    now_unix_nanos().div_euclid(1_000_000_000) as i64
}

/// Now, as Unix nanoseconds.
pub fn now_unix_nanos() -> i128 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A civil date to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn split(unix: i64) -> (i64, u32, u32, i64, i64, i64) {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
}

/// Top.gg's form: 7 fractional digits and `+00:00`, e.g. `2026-02-09T00:47:14.2510149+00:00`.
pub fn format_topgg(unix_nanos: i128) -> String {
    let secs = unix_nanos.div_euclid(1_000_000_000) as i64;
    let ticks = unix_nanos.rem_euclid(1_000_000_000) / 100;
    let (y, mo, d, h, mi, s) = split(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ticks:07}+00:00")
}

/// A readable UTC date: `2026-02-09 00:47:14 UTC`.
pub fn format_utc(unix: i64) -> String {
    let (y, mo, d, h, mi, s) = split(unix);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC")
}

/// How far `then` is from `now`, in words: `42 s ago`, `3 min in the future`, `5 days ago`.
pub fn format_age(then: i64, now: i64) -> String {
    let delta = i128::from(now) - i128::from(then);
    let n = delta.unsigned_abs();
    let amount = match n {
        0..=119 => format!("{n} s"),
        120..=7_199 => format!("{} min", n / 60),
        7_200..=172_799 => format!("{} h", n / 3600),
        _ => format!("{} days", n / 86_400),
    };
    if delta >= 0 { format!("{amount} ago") } else { format!("{amount} in the future") }
}

/// A duration for people: `0.8 ms`, `300 ms`, `5 s`, `1.5 s`.
pub fn format_duration(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    if ms < 10 {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    } else if ms < 1000 {
        format!("{ms} ms")
    } else if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Parses ISO 8601 / RFC 3339 with a `Z` or `±hh:mm` offset and any number of fractional digits.
/// Returns Unix nanoseconds, or a short reason.
pub fn parse_iso8601(s: &str) -> Result<i128, String> {
    let b = s.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Result<i64, String> {
        let part = s.get(range.clone()).ok_or("it is too short")?;
        if part.len() != range.len() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return Err(format!("{part:?} is not a number"));
        }
        part.parse().map_err(|_| format!("{part:?} is not a number"))
    };
    if b.len() < 19 {
        return Err("it is too short for YYYY-MM-DDTHH:MM:SS plus an offset".into());
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return Err("it is not in the form YYYY-MM-DDTHH:MM:SS".into());
    }
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo as u32) || h > 23 || mi > 59 || sec > 60 {
        return Err("a field is out of range".into());
    }
    let mut i = 19;
    let mut nanos: i128 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = &s[start..i];
        if frac.is_empty() {
            return Err("the fraction after '.' is empty".into());
        }
        let padded: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
        nanos = padded.parse::<i128>().map_err(|_| "bad fraction".to_string())?;
    }
    let offset_secs = match &s[i..] {
        "Z" | "z" => 0,
        // Compare bytes, not str slices: a multi-byte character here must be an error, not a panic.
        rest if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) && rest.as_bytes()[3] == b':' => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (oh * 3600 + om * 60)
        }
        "" => return Err("it has no time-zone offset (Z or +00:00)".into()),
        rest => return Err(format!("{rest:?} is not a time-zone offset")),
    };
    let unix = days_from_civil(y, mo as u32, d as u32) * 86_400 + h * 3600 + mi * 60 + sec - offset_secs;
    Ok(i128::from(unix) * 1_000_000_000 + nanos)
}

fn days_in_month(y: i64, m: u32) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_topgg() {
        let nanos = parse_iso8601("2026-02-09T00:47:14.2510149+00:00").unwrap();
        assert_eq!(format_topgg(nanos), "2026-02-09T00:47:14.2510149+00:00");
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(1_770_598_034), "2026-02-09 00:47:14 UTC");
        assert_eq!(format_topgg(951_782_400_000_000_000), "2000-02-29T00:00:00.0000000+00:00");
    }

    #[test]
    fn parses_offsets_and_rejects_garbage() {
        let a = parse_iso8601("2026-02-09T02:47:14+02:00").unwrap();
        let b = parse_iso8601("2026-02-09T00:47:14Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(b / 1_000_000_000, 1_770_598_034);
        assert_eq!(parse_iso8601("2026-02-09T00:47:14").unwrap_err(), "it has no time-zone offset (Z or +00:00)");
        for bad in [
            "",
            "yesterday",
            "2026-02-30T00:00:00Z",
            "2026-02-09T00:47:14",
            "2026-02-09T00:47:14.+00:00",
            "2026-02-09T00:47:14+0000",
        ] {
            assert!(parse_iso8601(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        use std::time::Duration;
        assert_eq!(format_duration(Duration::from_millis(40)), "40 ms");
        assert_eq!(format_duration(Duration::from_micros(800)), "0.8 ms");
        assert_eq!(format_duration(Duration::from_secs(5)), "5 s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5 s");
    }

    #[test]
    fn ages() {
        assert_eq!(format_age(100, 142), "42 s ago");
        assert_eq!(format_age(1000, 400), "10 min in the future");
        assert_eq!(format_age(0, 86_400 * 3), "3 days ago");
    }
}
