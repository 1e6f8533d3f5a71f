//! Source positions and diagnostics shared by every ruledex front-end.
//!
//! A [`Span`] is a half-open byte range into one source text (a rule file, or a
//! query embedded in one). Spans are cheap to copy and are what the normalized
//! model keeps on every predicate; line and column are computed on demand with
//! a [`LineIndex`], because most spans are never shown to a person.
//!
//! A [`Diagnostic`] is a located, typed message. Front-ends produce their own
//! error enums and convert them into diagnostics when they are reported; the
//! [`Diagnostic::render`] method prints the offending line with a caret, the way
//! compilers do:
//!
//! ```
//! use ruledex_diag::{Diagnostic, Severity, Span};
//!
//! let src = "detection:\n  sel|bogus: x\n";
//! let d = Diagnostic::new("unknown-modifier", Severity::Error, Span::new(17, 22), "unknown modifier `bogus`");
//! let text = d.render("rule.yml", src);
//! assert!(text.contains("rule.yml:2:7"));
//! assert!(text.contains("^^^^^"));
//! ```
#![deny(missing_docs)]

use std::fmt;

use serde::{Deserialize, Serialize};

/// A half-open byte range `[start, end)` into a source text.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct Span {
    /// First byte of the range.
    pub start: u32,
    /// One past the last byte of the range.
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end` (bytes). `end` is clamped to be at least `start`.
    pub fn new(start: usize, end: usize) -> Span {
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        let end = u32::try_from(end).unwrap_or(u32::MAX).max(start);
        Span { start, end }
    }

    /// An empty span at `offset`.
    pub fn point(offset: usize) -> Span {
        Span::new(offset, offset)
    }

    /// The smallest span that covers both `self` and `other`.
    #[must_use]
    pub fn cover(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// This span moved `by` bytes to the right: used to turn a span inside an
    /// embedded query into a span inside the file that holds it.
    #[must_use]
    pub fn shift(self, by: usize) -> Span {
        Span::new(self.start as usize + by, self.end as usize + by)
    }

    /// Length in bytes.
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether the span covers no byte.
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The text the span covers, or `None` when it is out of range or splits a character.
    pub fn slice(self, src: &str) -> Option<&str> {
        src.get(self.start as usize..self.end as usize)
    }
}

/// A 1-based line and column (column counted in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LineCol {
    /// Line, starting at 1.
    pub line: u32,
    /// Column, starting at 1, in characters.
    pub column: u32,
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Maps byte offsets of one text to lines and columns.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset where each line starts.
    starts: Vec<usize>,
}

impl LineIndex {
    /// Index the line starts of `src`.
    pub fn new(src: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// Line and column of byte `offset` in `src` (the text this index was built from).
    pub fn line_col(&self, src: &str, offset: usize) -> LineCol {
        let offset = offset.min(src.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let column = src
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        LineCol {
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }

    /// The text of 1-based `line`, without its line break.
    pub fn line_text<'a>(&self, src: &'a str, line: u32) -> &'a str {
        let i = (line as usize).saturating_sub(1);
        let Some(&start) = self.starts.get(i) else {
            return "";
        };
        let end = self.starts.get(i + 1).map_or(src.len(), |&e| e);
        src.get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

/// Line and column of byte `offset` in `src`, for one-off lookups.
pub fn line_col(src: &str, offset: usize) -> LineCol {
    LineIndex::new(src).line_col(src, offset)
}

/// Converts character indices (as some parsers report them) to byte offsets.
#[derive(Clone, Debug)]
pub struct CharToByte {
    /// Byte offset of every character, or empty when the text is ASCII.
    offsets: Vec<usize>,
    len: usize,
}

impl CharToByte {
    /// Build the table for `src`; free for ASCII text.
    pub fn new(src: &str) -> CharToByte {
        let offsets = if src.is_ascii() {
            Vec::new()
        } else {
            src.char_indices().map(|(i, _)| i).collect()
        };
        CharToByte {
            offsets,
            len: src.len(),
        }
    }

    /// Byte offset of the character at `index`.
    pub fn byte(&self, index: usize) -> usize {
        if self.offsets.is_empty() {
            index.min(self.len)
        } else {
            self.offsets.get(index).copied().unwrap_or(self.len)
        }
    }
}

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The rule (or the part named by the span) could not be read.
    Error,
    /// The rule was read, but something in it is suspect or was approximated.
    Warning,
    /// Extra information.
    Note,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        })
    }
}

/// A located message with a stable machine-readable code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Stable kebab-case code, e.g. `unknown-modifier`.
    pub code: String,
    /// How bad it is.
    pub severity: Severity,
    /// Where in the source text it is.
    pub span: Span,
    /// What is wrong, for a person.
    pub message: String,
}

impl Diagnostic {
    /// A new diagnostic.
    pub fn new(
        code: impl Into<String>,
        severity: Severity,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            code: code.into(),
            severity,
            span,
            message: message.into(),
        }
    }

    /// Render as `path:line:col: severity[code]: message`, then the source line with a caret.
    pub fn render(&self, path: &str, src: &str) -> String {
        let index = LineIndex::new(src);
        let at = index.line_col(src, self.span.start as usize);
        let line = index.line_text(src, at.line);
        let width = self
            .span
            .slice(src)
            .map_or(1, |s| s.lines().next().unwrap_or("").chars().count())
            .max(1);
        let gutter = at.line.to_string().len();
        format!(
            "{path}:{at}: {sev}[{code}]: {msg}\n{pad} |\n{ln} | {line}\n{pad} | {space}{carets}\n",
            sev = self.severity,
            code = self.code,
            msg = self.message,
            pad = " ".repeat(gutter),
            ln = at.line,
            space = " ".repeat(at.column as usize - 1),
            carets = "^".repeat(width),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_in_characters() {
        let src = "ab\nçd\nef";
        let idx = LineIndex::new(src);
        assert_eq!(idx.line_col(src, 0), LineCol { line: 1, column: 1 });
        assert_eq!(idx.line_col(src, 3), LineCol { line: 2, column: 1 });
        // 'd' sits after the two-byte 'ç'.
        assert_eq!(idx.line_col(src, 5), LineCol { line: 2, column: 2 });
        assert_eq!(idx.line_col(src, 7), LineCol { line: 3, column: 1 });
        assert_eq!(idx.line_col(src, 99), LineCol { line: 3, column: 3 });
    }

    #[test]
    fn char_to_byte_handles_multibyte_text() {
        let src = "aéb";
        let t = CharToByte::new(src);
        assert_eq!(t.byte(0), 0);
        assert_eq!(t.byte(1), 1);
        assert_eq!(t.byte(2), 3);
        assert_eq!(t.byte(3), 4);
        assert_eq!(CharToByte::new("abc").byte(2), 2);
    }

    #[test]
    fn render_points_at_span() {
        let src = "a: 1\nbad: thing\n";
        let d = Diagnostic::new("x", Severity::Error, Span::new(10, 15), "nope");
        let out = d.render("f.yml", src);
        assert_eq!(
            out,
            "f.yml:2:6: error[x]: nope\n  |\n2 | bad: thing\n  |      ^^^^^\n"
        );
    }

    #[test]
    fn span_cover_and_shift() {
        assert_eq!(Span::new(3, 5).cover(Span::new(1, 4)), Span::new(1, 5));
        assert_eq!(Span::new(3, 5).shift(10), Span::new(13, 15));
        assert_eq!(Span::new(5, 2), Span::new(5, 5));
    }
}
