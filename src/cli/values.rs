//! Parsers for flag values (durations, rates) that clap calls through `value_parser`. Plain
//! functions returning the one-sentence message clap prints; no clap here.

use std::time::Duration;

/// Parses `5`, `0.5`, `2s` or `500ms` into a duration.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, scale) = if let Some(ms) = s.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(secs) = s.strip_suffix('s') {
        (secs, 1.0)
    } else {
        (s, 1.0)
    };
    let value: f64 = num.trim().parse().map_err(|_| format!("{s:?} is not a duration (try 5, 0.5, 2s or 500ms)"))?;
    if !value.is_finite() || value < 0.0 || value * scale > 86_400.0 {
        return Err(format!("{s:?} is not a duration between 0 and 1 day"));
    }
    Ok(Duration::from_secs_f64(value * scale))
}

/// Parses `500` or `500/s` into deliveries per second.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let n = s.strip_suffix("/s").unwrap_or(s);
    match n.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!("{s:?} is not a rate (try 500 or 500/s)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("0.25s").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1").is_err());
        assert_eq!(parse_rate("500/s").unwrap(), 500.0);
        assert!(parse_rate("0").is_err());
    }
}
