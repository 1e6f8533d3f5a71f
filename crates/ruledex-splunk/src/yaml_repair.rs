//! A repair for one YAML laxity the security_content files rely on.
//!
//! Some detections and macros continue a multi-line quoted `search:` or
//! `definition:` at column 0 (`| stats …` on a line of its own). YAML 1.2
//! wants such continuation lines indented, and `saphyr` rejects them
//! ("invalid indentation in quoted scalar") where other loaders accept them.
//! Folding trims a continuation line's leading white space, so indenting it by
//! one space gives the same value: [`indent_continuations`] does that, and
//! [`Repaired::original`] maps offsets in the repaired text back.

/// A repaired text and where spaces were inserted.
pub(crate) struct Repaired {
    pub(crate) text: String,
    /// Offsets in the original text before which one space was inserted, ascending.
    inserted: Vec<usize>,
}

impl Repaired {
    /// The original offset of a byte offset in the repaired text.
    pub(crate) fn original(&self, offset: usize) -> usize {
        let mut shift = 0;
        for (k, at) in self.inserted.iter().enumerate() {
            // The k-th insertion sits at repaired offset `at + k`.
            if at + k < offset {
                shift += 1;
            } else {
                break;
            }
        }
        offset - shift
    }
}

/// Whether a column-0 line starts a new YAML node rather than continuing one.
fn starts_node(line: &str) -> bool {
    if line.trim().is_empty()
        || line.starts_with('#')
        || line.starts_with("- ")
        || line == "-"
        || line.starts_with("---")
        || line.starts_with("...")
    {
        return true;
    }
    // `key:` followed by a space or the end of the line.
    let key_len = line
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(line.len());
    key_len > 0
        && line[key_len..].starts_with(':')
        && line[key_len + 1..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace)
}

/// Indent by one space every column-0 line that continues a quoted scalar.
/// Returns `None` when nothing needed changing.
pub(crate) fn indent_continuations(text: &str) -> Option<Repaired> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut inserted = Vec::new();
    let mut offset = 0;
    // Inside a quoted scalar that is still open at the end of the line.
    let mut open: Option<char> = None;
    for line in text.split_inclusive('\n') {
        if open.is_some() && !starts_node(line) {
            inserted.push(offset);
            out.push(' ');
        } else if open.is_some() {
            open = None;
        }
        open = scan_line(line, open);
        out.push_str(line);
        offset += line.len();
    }
    (!inserted.is_empty()).then_some(Repaired {
        text: out,
        inserted,
    })
}

/// Whether a quoted scalar is open at the end of `line`, given whether one
/// was open at its start.
fn scan_line(line: &str, mut open: Option<char>) -> Option<char> {
    let mut chars = line.char_indices().peekable();
    if open.is_none() {
        // Only a value after `key: ` can open a quoted scalar.
        let colon = line.find(": ")?;
        let value = line[colon + 2..].trim_start();
        if !(value.starts_with('\'') || value.starts_with('"')) {
            return None;
        }
        let start = line.len() - line[colon + 2..].trim_start().len();
        chars = line[start..].char_indices().peekable();
        let (_, q) = chars.next()?;
        open = Some(q);
    }
    while let Some((_, c)) = chars.next() {
        match (open, c) {
            (Some('\''), '\'') => {
                if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                    chars.next();
                } else {
                    return None;
                }
            }
            (Some('"'), '\\') => {
                chars.next();
            }
            (Some('"'), '"') => return None,
            _ => {}
        }
    }
    open
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_lines_are_indented_and_offsets_map_back() {
        let text = "a: 'x\n| y'\nb: 1\n";
        let r = indent_continuations(text).expect("repaired");
        assert_eq!(r.text, "a: 'x\n | y'\nb: 1\n");
        // `b` is at 11 in the original, 12 in the repaired text.
        assert_eq!(r.original(12), 11);
        assert_eq!(r.original(3), 3);
    }

    #[test]
    fn closed_scalars_and_keys_are_left_alone() {
        assert!(indent_continuations("a: 'x'\nb: 'it''s'\n").is_none());
        assert!(indent_continuations("a: \"x\\\"\"\nb: 1\n").is_none());
    }
}
