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

/// `YYYY-MM-DD(Thh:mm:ss(.s*)?)?(Z|±hh:mm)?` as a timestamp; no zone is read as UTC.
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

#[cfg(test)]
mod tests {
    use super::*;

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
