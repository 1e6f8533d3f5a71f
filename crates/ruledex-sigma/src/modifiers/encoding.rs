//! `base64`, `base64offset`, `utf16`, `utf16le`, `utf16be` and `wide`.
//!
//! Values are encoded as bytes: first UTF-8 (or UTF-16 when asked), then base64.
//! `base64offset` yields the three encodings a value can have depending on its
//! offset inside a longer base64 text: the value is prefixed with 0, 1 or 2
//! bytes, encoded, and the characters that depend on the unknown neighbours
//! are cut from both ends (the standard Sigma construction).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::Encoding;

/// Apply `encodings` in order to `value`. Returns the variants (one, or three
/// for `base64offset`); `None` if the result is not text (UTF-16 without base64
/// — rejected earlier when the chain is parsed).
pub(crate) fn encode(value: &str, encodings: &[Encoding]) -> Option<Vec<String>> {
    let mut bytes: Vec<Vec<u8>> = vec![value.as_bytes().to_vec()];
    for e in encodings {
        bytes = bytes.into_iter().flat_map(|b| apply(&b, *e)).collect();
    }
    bytes
        .into_iter()
        .map(|b| String::from_utf8(b).ok())
        .collect()
}

fn apply(b: &[u8], e: Encoding) -> Vec<Vec<u8>> {
    match e {
        Encoding::Utf16Le | Encoding::Utf16Bom | Encoding::Utf16Be => {
            let text = String::from_utf8_lossy(b);
            let mut out = Vec::with_capacity(b.len() * 2 + 2);
            if e == Encoding::Utf16Bom {
                out.extend_from_slice(&[0xFF, 0xFE]);
            }
            for unit in text.encode_utf16() {
                let pair = if e == Encoding::Utf16Be {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                };
                out.extend_from_slice(&pair);
            }
            vec![out]
        }
        Encoding::Base64 => vec![STANDARD.encode(b).into_bytes()],
        Encoding::Base64Offset => base64_offsets(b)
            .into_iter()
            .map(String::into_bytes)
            .collect(),
    }
}

/// The three offset encodings of `b`.
pub(crate) fn base64_offsets(b: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    // How many characters to cut at the end, indexed by (len + shift) % 3.
    const END_CUT: [usize; 3] = [0, 3, 2];
    (0..3)
        .map(|shift| {
            let mut prefixed = vec![b' '; shift];
            prefixed.extend_from_slice(b);
            let enc = STANDARD.encode(&prefixed);
            let cut = END_CUT[(b.len() + shift) % 3];
            let end = enc.len().saturating_sub(cut);
            enc.get(START[shift]..end).unwrap_or("").to_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_plain() {
        assert_eq!(
            encode("spinstall0.aspx", &[Encoding::Base64]).unwrap(),
            vec!["c3BpbnN0YWxsMC5hc3B4"]
        );
    }

    #[test]
    fn base64offset_gives_three_variants() {
        // Known values for "/bin/bash" from the Sigma specification's examples.
        assert_eq!(
            base64_offsets(b"/bin/bash"),
            vec!["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]
        );
    }

    #[test]
    fn base64offset_matches_inside_longer_text() {
        // Each variant must be a substring of the encoding of the value at that offset.
        for prefix in ["", "x", "xy"] {
            let full = STANDARD.encode(format!("{prefix}ping -n 1 host trailing"));
            let variants = base64_offsets(b"ping -n 1");
            assert!(
                variants.iter().any(|v| full.contains(v.as_str())),
                "{prefix:?}: {full} vs {variants:?}"
            );
        }
    }

    #[test]
    fn wide_then_base64offset() {
        let v = encode("iex", &[Encoding::Utf16Le, Encoding::Base64Offset]).unwrap();
        assert_eq!(v.len(), 3);
        // "iex" as UTF-16LE is "aQBlAHgA" in base64.
        assert!("aQBlAHgA".contains(&v[0]));
    }

    #[test]
    fn utf16_with_bom_and_big_endian() {
        assert_eq!(
            encode("A", &[Encoding::Utf16Bom, Encoding::Base64]).unwrap(),
            vec!["//5BAA=="]
        );
        assert_eq!(
            encode("A", &[Encoding::Utf16Be, Encoding::Base64]).unwrap(),
            vec!["AEE="]
        );
        assert_eq!(
            encode("A", &[Encoding::Utf16Le, Encoding::Base64]).unwrap(),
            vec!["QQA="]
        );
    }
}
