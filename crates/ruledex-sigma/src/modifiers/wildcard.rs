//! Sigma strings: literal text with `*` (any run) and `?` (any one character)
//! wildcards, and their reduction to model operators.
//!
//! Escaping follows the specification: `\*`, `\?` and `\\` stand for the
//! literal characters; a backslash before anything else is a literal backslash
//! (so `C:\Windows` needs no escaping).

use ruledex_model::Op;

use super::Position;

/// One piece of a Sigma string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Literal text.
    Lit(String),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
}

/// A parsed Sigma string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SigmaString {
    pub(crate) pieces: Vec<Piece>,
}

impl SigmaString {
    /// Parse a value as written in a rule.
    pub(crate) fn parse(s: &str) -> SigmaString {
        let mut out = SigmaString::default();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.peek() {
                    Some(&n @ ('*' | '?' | '\\')) => {
                        chars.next();
                        out.push_char(n);
                    }
                    _ => out.push_char('\\'),
                },
                '*' => out.pieces.push(Piece::Star),
                '?' => out.pieces.push(Piece::One),
                c => out.push_char(c),
            }
        }
        out
    }

    /// A string that is all literal.
    pub(crate) fn literal(s: &str) -> SigmaString {
        let mut out = SigmaString::default();
        if !s.is_empty() {
            out.pieces.push(Piece::Lit(s.to_owned()));
        }
        out
    }

    fn push_char(&mut self, c: char) {
        if let Some(Piece::Lit(s)) = self.pieces.last_mut() {
            s.push(c);
        } else {
            self.pieces.push(Piece::Lit(c.to_string()));
        }
    }

    /// Whether the string has a `*` or `?`.
    pub(crate) fn has_wildcards(&self) -> bool {
        self.pieces.iter().any(|p| !matches!(p, Piece::Lit(_)))
    }

    /// The literal text, when there is no wildcard.
    pub(crate) fn as_literal(&self) -> Option<String> {
        if self.has_wildcards() {
            return None;
        }
        Some(
            self.pieces
                .iter()
                .map(|p| {
                    if let Piece::Lit(s) = p {
                        s.as_str()
                    } else {
                        ""
                    }
                })
                .collect(),
        )
    }

    /// Anchor the string as a position modifier asks: `contains` adds `*` at
    /// both ends, `startswith` at the end, `endswith` at the start (never twice).
    pub(crate) fn anchor(mut self, position: Option<Position>) -> SigmaString {
        let (front, back) = match position {
            None => (false, false),
            Some(Position::Contains) => (true, true),
            Some(Position::StartsWith) => (false, true),
            Some(Position::EndsWith) => (true, false),
        };
        if front && self.pieces.first() != Some(&Piece::Star) {
            self.pieces.insert(0, Piece::Star);
        }
        if back && self.pieces.last() != Some(&Piece::Star) {
            self.pieces.push(Piece::Star);
        }
        self
    }

    /// As a model pattern (consecutive `*` are one).
    fn to_model(&self) -> ruledex_model::pattern::Pattern {
        use ruledex_model::pattern::Piece as P;
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Lit(s) => P::Lit(s.clone()),
                Piece::Star => P::Star,
                Piece::One => P::One,
            })
            .collect()
    }

    /// The canonical wildcard pattern: `*`, `?` wildcards; `\*`, `\?`, `\\` literals.
    #[cfg(test)]
    pub(crate) fn to_pattern(&self) -> String {
        self.to_model().canonical()
    }

    /// Reduce to the simplest operator that means the same (see
    /// `ruledex_model::pattern`).
    pub(crate) fn reduce(&self) -> (Op, String) {
        self.to_model().reduce()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! reduce_cases {
        ($($name:ident: $input:expr, $pos:expr => $op:expr, $val:expr;)*) => {$(
            #[test]
            fn $name() {
                let got = SigmaString::parse($input).anchor($pos).reduce();
                assert_eq!(got, ($op, $val.to_string()));
            }
        )*};
    }

    reduce_cases! {
        plain_is_eq: "cmd.exe", None => Op::Eq, "cmd.exe";
        leading_star_is_ends_with: "*\\cmd.exe", None => Op::EndsWith, "\\cmd.exe";
        trailing_star_is_starts_with: "C:\\Windows*", None => Op::StartsWith, "C:\\Windows";
        backslash_star_is_an_escaped_star: "C:\\Windows\\*", None => Op::Eq, "C:\\Windows*";
        both_stars_is_contains: "*-enc *", None => Op::Contains, "-enc ";
        contains_modifier: " -l ", Some(Position::Contains) => Op::Contains, " -l ";
        endswith_modifier: "/nc", Some(Position::EndsWith) => Op::EndsWith, "/nc";
        startswith_modifier: "C:\\", Some(Position::StartsWith) => Op::StartsWith, "C:\\";
        contains_with_inner_star: "a*b", Some(Position::Contains) => Op::Wildcard, "*a*b*";
        question_mark_is_wildcard: "cmd.ex?", None => Op::Wildcard, "cmd.ex?";
        escaped_star_is_literal: "a\\*b", None => Op::Eq, "a*b";
        escaped_star_in_pattern: "*a\\*b?", None => Op::Wildcard, "*a\\*b?";
        escaped_backslash: "C:\\\\temp", None => Op::Eq, "C:\\temp";
        backslash_before_letter: "C:\\temp", None => Op::Eq, "C:\\temp";
        escaped_backslash_then_star: "C:\\\\*", None => Op::StartsWith, "C:\\";
        lone_star: "*", None => Op::Wildcard, "*";
        empty: "", None => Op::Eq, "";
        contains_on_starred: "*x*", Some(Position::Contains) => Op::Contains, "x";
        literal_backslash_in_pattern: "*\\a?", None => Op::Wildcard, "*\\\\a?";
    }
}
