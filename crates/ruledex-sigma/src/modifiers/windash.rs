//! `windash`: Windows command-line flags may start with `-`, `/`, or one of
//! the Unicode dashes (en dash, em dash, horizontal bar) and mean the same.
//!
//! A dash or slash is a flag prefix when it starts a word: the character
//! before it is not a word character (or it begins the value) and the
//! character after it is one. Every combination of prefixes is generated.

use super::wildcard::{Piece, SigmaString};

/// The characters a flag prefix can be.
pub(crate) const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// Most variants one value may expand to (5 prefixes at 4 positions).
pub(crate) const MAX_VARIANTS: usize = 625;

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Expand `s`; `None` when it would give more than [`MAX_VARIANTS`] values.
pub(crate) fn expand(s: &SigmaString) -> Option<Vec<SigmaString>> {
    // Flatten literal characters with their piece index so positions can be rewritten.
    let mut chars: Vec<Option<char>> = Vec::new();
    for p in &s.pieces {
        match p {
            Piece::Lit(t) => chars.extend(t.chars().map(Some)),
            // A wildcard is neither a word character nor a dash.
            _ => chars.push(None),
        }
    }
    let spots: Vec<usize> = (0..chars.len())
        .filter(|&i| {
            let Some(c) = chars[i] else { return false };
            let before_ok = i == 0 || chars[i - 1].is_none_or(|b| !is_word(b));
            let after_ok = chars.get(i + 1).copied().flatten().is_some_and(is_word);
            (c == '-' || c == '/') && before_ok && after_ok
        })
        .collect();
    let count = DASHES.len().checked_pow(spots.len() as u32)?;
    if count > MAX_VARIANTS {
        return None;
    }
    let mut out = Vec::with_capacity(count);
    for n in 0..count {
        let mut k = n;
        let mut variant = SigmaString::default();
        let mut flat = 0;
        for p in &s.pieces {
            match p {
                Piece::Lit(t) => {
                    let mut lit = String::with_capacity(t.len());
                    for c in t.chars() {
                        if spots.contains(&flat) {
                            lit.push(DASHES[k % DASHES.len()]);
                            k /= DASHES.len();
                        } else {
                            lit.push(c);
                        }
                        flat += 1;
                    }
                    variant.pieces.push(Piece::Lit(lit));
                }
                other => {
                    variant.pieces.push(other.clone());
                    flat += 1;
                }
            }
        }
        out.push(variant);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        expand(&SigmaString::parse(s))
            .unwrap()
            .iter()
            .map(SigmaString::to_pattern)
            .collect()
    }

    #[test]
    fn one_flag_gives_five_variants() {
        assert_eq!(
            texts(" -enc "),
            vec![
                " -enc ",
                " /enc ",
                " \u{2013}enc ",
                " \u{2014}enc ",
                " \u{2015}enc "
            ]
        );
    }

    #[test]
    fn inner_dash_is_not_a_flag() {
        assert_eq!(texts("Set-MpPreference"), vec!["Set-MpPreference"]);
    }

    #[test]
    fn slash_at_start_is_a_flag() {
        assert_eq!(texts("/c").len(), 5);
    }

    #[test]
    fn two_flags_multiply() {
        assert_eq!(texts("-a -b").len(), 25);
    }

    #[test]
    fn too_many_flags_is_refused() {
        assert!(expand(&SigmaString::parse("-a -b -c -d -e")).is_none());
    }
}
