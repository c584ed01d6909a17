//! HTTP dates (`Last-Modified`) to unix seconds: RFC 1123 (`Wed, 21 Oct 2015 07:28:00 GMT`),
//! and the obsolete RFC 850 (`Wednesday, 21-Oct-15 07:28:00 GMT`) and asctime
//! (`Wed Oct 21 07:28:00 2015`) forms that RFC 9110 says recipients must accept. Like Go's
//! `http.ParseTime` (and unlike the `httpdate` crate) the weekday is not checked against the
//! date, so ADD gives files the mtime docker gives them; the calendar is berth-units'.

use berth_units::civil::days_from_civil;

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Parses an HTTP date into unix seconds; `None` when it is not one of the three forms.
pub(crate) fn parse_http_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let fields: Vec<&str> = s.split_ascii_whitespace().collect();
    let (day, month, year, time) = match fields.as_slice() {
        // RFC 1123: "Wed, 21 Oct 2015 07:28:00 GMT"
        [wd, day, month, year, time, "GMT"] if wd.ends_with(',') => {
            (day.parse().ok()?, *month, year.parse().ok()?, *time)
        }
        // RFC 850: "Wednesday, 21-Oct-15 07:28:00 GMT"
        [wd, date, time, "GMT"] if wd.ends_with(',') => {
            let mut parts = date.split('-');
            let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
            let y: i64 = y.parse().ok()?;
            // Two-digit years: RFC 9110 says to read them as the most recent matching year;
            // a fixed 70 split (like Go and most HTTP stacks) is close enough.
            let y = match y {
                0..=69 => 2000 + y,
                70..=99 => 1900 + y,
                _ => y,
            };
            (d.parse().ok()?, m, y, *time)
        }
        // asctime: "Wed Oct 21 07:28:00 2015" (day may be space-padded)
        [_, month, day, time, year] => (day.parse().ok()?, *month, year.parse().ok()?, *time),
        _ => return None,
    };
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))? as i64 + 1;
    let mut hms = time.split(':');
    let (h, m, sec): (i64, i64, i64) = (
        hms.next()?.parse().ok()?,
        hms.next()?.parse().ok()?,
        hms.next()?.parse().ok()?,
    );
    if hms.next().is_some() || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        // date -u -d '2015-10-21 07:28:00' +%s
        let want = Some(1_445_412_480);
        assert_eq!(parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT"), want);
        assert_eq!(parse_http_date("Wednesday, 21-Oct-15 07:28:00 GMT"), want);
        assert_eq!(parse_http_date("Wed Oct 21 07:28:00 2015"), want);
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2000 23:59:59 GMT"),
            Some(951_868_799)
        );
        assert_eq!(
            parse_http_date("Sun Nov  6 08:49:37 1994"),
            Some(784_111_777)
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "yesterday",
            "Wed, 21 Oct 2015 07:28:00 PST",
            "Wed, 21 Foo 2015 07:28:00 GMT",
            "Wed, 32 Oct 2015 07:28:00 GMT",
            "Wed, 21 Oct 2015 24:28:00 GMT",
            "Wed, 21 Oct 2015 07:28 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }
}
