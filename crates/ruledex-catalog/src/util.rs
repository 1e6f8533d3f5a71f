//! Small helpers: timestamps, content hashes, dates.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time as RFC 3339 UTC with seconds (`2026-03-25T02:50:08Z`).
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

/// Seconds since the Unix epoch as RFC 3339 UTC.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days` algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A stable 64-bit FNV-1a hash of `parts`, as 16 hex digits. Stable across
/// builds and platforms, unlike `std`'s hasher, so a catalog written by one
/// ruledex compares with the next.
pub fn content_hash(parts: &[&[u8]]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // Separate parts so ("ab", "c") and ("a", "bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A rule date as `YYYY-MM-DD` when it starts with one (`2020/10/21`,
/// `2020-10-21T…`); anything else is kept as written.
pub fn normalize_date(date: &str) -> String {
    let d = date.trim();
    let b = d.as_bytes();
    if b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && matches!(b[4], b'/' | b'-')
        && b[5..7].iter().all(u8::is_ascii_digit)
        && matches!(b[7], b'/' | b'-')
        && b[8..10].iter().all(u8::is_ascii_digit)
    {
        format!("{}-{}-{}", &d[..4], &d[5..7], &d[8..10])
    } else {
        d.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        // 2000-02-29 is a leap day (divisible by 400).
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_774_407_008), "2026-03-25T02:50:08Z");
    }

    #[test]
    fn hash_separates_parts_and_is_stable() {
        assert_ne!(content_hash(&[b"ab", b"c"]), content_hash(&[b"a", b"bc"]));
        assert_eq!(content_hash(&[b"x"]), content_hash(&[b"x"]));
        assert_eq!(content_hash(&[b"x"]).len(), 16);
    }

    #[test]
    fn dates_normalize() {
        assert_eq!(normalize_date("2020/10/21"), "2020-10-21");
        assert_eq!(normalize_date("2024-09-19T10:00:00Z"), "2024-09-19");
        assert_eq!(normalize_date("yesterday"), "yesterday");
    }
}
