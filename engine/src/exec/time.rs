//! The time values of `wait`, `onAlarm` and `repeatEvery`: `xsd:duration` to milliseconds and
//! `xsd:dateTime` / `xsd:date` to a [`Timestamp`] (milliseconds since the Unix epoch, UTC).

use crate::runtime::Timestamp;

/// `-?PnYnMnDTnHnMnS` in milliseconds. A month counts 30 days and a year 365 (a duration added to
/// an instant is calendar arithmetic in XML Schema; for timers this approximation is documented).
/// `None` if the text is not a duration; a negative duration is `Some(0)`.
pub fn duration_millis(text: &str) -> Option<u64> {
    let text = text.trim();
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let rest = rest.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut millis: f64 = 0.0;
    let mut components = 0;
    let mut read = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut number = String::new();
        let mut next_unit = 0;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let position = units[next_unit..].iter().position(|(u, _)| *u == c)? + next_unit;
            let value: f64 = number.parse().ok()?;
            if number.contains('.') && c != 'S' {
                return None;
            }
            millis += value * units[position].1;
            number.clear();
            next_unit = position + 1;
            components += 1;
        }
        number.is_empty().then_some(())
    };
    const DAY: f64 = 86_400_000.0;
    read(date, &[('Y', 365.0 * DAY), ('M', 30.0 * DAY), ('D', DAY)])?;
    if let Some(time) = time {
        read(time, &[('H', 3_600_000.0), ('M', 60_000.0), ('S', 1_000.0)])?;
    }
    if components == 0 {
        return None;
    }
    if negative || millis <= 0.0 {
        return Some(0);
    }
    Some(millis.min(u64::MAX as f64 / 2.0).round() as u64)
}

/// The furthest year a [`Timestamp`] (milliseconds since 1970 in an `i64`) reaches, either way.
const MAX_YEAR: i64 = 292_000_000;

/// `YYYY-MM-DD(Thh:mm:ss(.s*)?)?(Z|±hh:mm)?` as a timestamp; no zone is read as UTC. `None` also
/// for a year a timestamp cannot hold (beyond ±292 million).
pub fn date_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let (negative_year, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (date, rest) = match text.find('T') {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => {
            let end = text.find(['Z', '+']).or_else(|| text.rfind('-').filter(|&i| i > 7)).unwrap_or(text.len());
            (&text[..end], &text[end..])
        }
    };
    let mut fields = date.split('-');
    let year: i64 = fields.next()?.parse().ok()?;
    let month: u32 = fields.next()?.parse().ok()?;
    let day: u32 = fields.next()?.parse().ok()?;
    if fields.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let year = if negative_year { -year } else { year };
    if year.abs() > MAX_YEAR {
        return None;
    }
    let (clock, zone) = match rest.find(['Z', '+']).or_else(|| rest.rfind('-')) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut seconds_of_day = 0.0;
    if !clock.is_empty() {
        let mut parts = clock.split(':');
        let h: f64 = parts.next()?.parse().ok()?;
        let m: f64 = parts.next()?.parse().ok()?;
        let s: f64 = parts.next()?.parse().ok()?;
        if parts.next().is_some() || h > 24.0 || m >= 60.0 || s >= 61.0 {
            return None;
        }
        seconds_of_day = h * 3600.0 + m * 60.0 + s;
    }
    let offset_minutes: i64 = match zone {
        "" | "Z" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let (h, m) = z[1..].split_once(':')?;
            sign * (h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?)
        }
    };
    let days = crate::model::xsd::days_from_civil(year, month, day);
    let millis = days as f64 * 86_400_000.0 + seconds_of_day * 1000.0 - offset_minutes as f64 * 60_000.0;
    Some(Timestamp(millis.round() as i64))
}

/// A timestamp as `xsd:dateTime` text in UTC: `2026-12-08T00:00:00Z`, with milliseconds when
/// there are any (`…T00:00:00.250Z`).
pub fn date_time_text(at: Timestamp) -> String {
    const DAY: i64 = 86_400_000;
    let millis = at.as_millis();
    let (year, month, day) = civil_from_days(millis.div_euclid(DAY));
    let of_day = millis.rem_euclid(DAY);
    let (h, m, s, ms) = (of_day / 3_600_000, of_day / 60_000 % 60, of_day / 1000 % 60, of_day % 1000);
    let year = if year < 0 { format!("-{:04}", -year) } else { format!("{year:04}") };
    match ms {
        0 => format!("{year}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z"),
        ms => format!("{year}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z"),
    }
}

/// The proleptic Gregorian date of a day counted from 1970-01-01, with XML Schema's years (no year
/// 0: the year before 0001 is -0001), the inverse of `days_from_civil` (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (if year <= 0 { year - 1 } else { year }, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_time_texts() {
        assert_eq!(date_time_text(Timestamp(0)), "1970-01-01T00:00:00Z");
        assert_eq!(date_time_text(Timestamp(951_865_200_250)), "2000-02-29T23:00:00.250Z");
        assert_eq!(date_time_text(Timestamp(-1)), "1969-12-31T23:59:59.999Z");
        for text in
            ["2026-12-08T00:00:00Z", "1600-03-01T12:34:56Z", "2100-02-28T00:00:01Z", "-0044-03-15T00:00:00Z", "-0001-12-31T00:00:00Z"]
        {
            let at = date_time(text).unwrap();
            assert_eq!(date_time_text(at), text);
        }
        // years a timestamp cannot hold are refused, not overflowed (fuzz/regressions/scenario)
        assert_eq!(date_time("0000004983108671024016155-01-01T00:00:00Z"), None);
        assert_eq!(date_time("-9223372036854775807-01-01"), None);
        assert!(date_time("291999999-12-31T00:00:00Z").is_some());
        // the end of representable time does not overflow
        assert!(date_time_text(Timestamp(i64::MAX)).ends_with('Z'));
        assert!(date_time_text(Timestamp(i64::MIN)).ends_with('Z'));
    }

    #[test]
    fn durations() {
        assert_eq!(duration_millis("PT1S"), Some(1_000));
        assert_eq!(duration_millis("P1DT2H"), Some(93_600_000));
        assert_eq!(duration_millis("PT0.5S"), Some(500));
        assert_eq!(duration_millis("-PT5S"), Some(0));
        assert_eq!(duration_millis("P"), None);
        assert_eq!(duration_millis("PT"), None);
        assert_eq!(duration_millis("P1.5D"), None);
        assert_eq!(duration_millis("PT1H1H"), None);
        assert_eq!(duration_millis("nonsense"), None);
    }

    #[test]
    fn date_times() {
        assert_eq!(date_time("1970-01-01T00:00:00Z"), Some(Timestamp(0)));
        assert_eq!(date_time("1970-01-02"), Some(Timestamp(86_400_000)));
        assert_eq!(date_time("2000-03-01T00:00:00+01:00"), Some(Timestamp(951_865_200_000)));
        assert_eq!(date_time("2000-13-01T00:00:00Z"), None);
        assert_eq!(date_time("yesterday"), None);
    }
}
