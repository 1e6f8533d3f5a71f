//! Glob patterns — `*` (any run of characters) and `?` (one character) — and
//! their reduction to the simplest operator that means the same.
//!
//! Every dialect has its own wildcard syntax and escapes (Sigma `\*`, KQL
//! `\*`, EQL with no escape, Lucene, ES|QL `LIKE`); each front-end parses its
//! own syntax into a [`Pattern`], and this one reduction decides the model's
//! operator, so that `*x*` is `contains x` whatever dialect wrote it:
//!
//! | pattern | op | value |
//! |---|---|---|
//! | `x` | `eq` | `x` |
//! | `*x*` | `contains` | `x` |
//! | `x*` | `starts_with` | `x` |
//! | `*x` | `ends_with` | `x` |
//! | anything else | `wildcard` | canonical pattern: `*`, `?` wildcards; `\*`, `\?`, `\\` literals |
//!
//! Consecutive `*` are one `*`.
//!
//! ```
//! use ruledex_model::{Op, pattern::Pattern};
//!
//! let mut p = Pattern::default();
//! p.push_star();
//! p.push_str("\\nmap.exe");
//! assert_eq!(p.reduce(), (Op::EndsWith, "\\nmap.exe".to_owned()));
//! ```

use crate::expr::Op;

/// One piece of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Lit(String),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
}

/// A glob pattern, built piece by piece by a front-end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pattern {
    pieces: Vec<Piece>,
}

impl Pattern {
    /// Add a literal character.
    pub fn push_char(&mut self, c: char) {
        if let Some(Piece::Lit(s)) = self.pieces.last_mut() {
            s.push(c);
        } else {
            self.pieces.push(Piece::Lit(c.to_string()));
        }
    }

    /// Add literal text.
    pub fn push_str(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if let Some(Piece::Lit(t)) = self.pieces.last_mut() {
            t.push_str(s);
        } else {
            self.pieces.push(Piece::Lit(s.to_owned()));
        }
    }

    /// Add a `*` (a `*` right after another adds nothing).
    pub fn push_star(&mut self) {
        if self.pieces.last() != Some(&Piece::Star) {
            self.pieces.push(Piece::Star);
        }
    }

    /// Add a `?`.
    pub fn push_one(&mut self) {
        self.pieces.push(Piece::One);
    }

    /// Add a piece.
    pub fn push(&mut self, piece: Piece) {
        match piece {
            Piece::Lit(s) => self.push_str(&s),
            Piece::Star => self.push_star(),
            Piece::One => self.push_one(),
        }
    }

    /// The pieces.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Whether the pattern has a `*` or `?`.
    pub fn has_wildcards(&self) -> bool {
        self.pieces.iter().any(|p| !matches!(p, Piece::Lit(_)))
    }

    /// The canonical text: `*`, `?` wildcards; `\*`, `\?`, `\\` literals.
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Star => out.push('*'),
                Piece::One => out.push('?'),
                Piece::Lit(s) => {
                    for c in s.chars() {
                        if matches!(c, '*' | '?' | '\\') {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                }
            }
        }
        out
    }

    /// The simplest operator that means the same, with its value (see the
    /// [module documentation](self)).
    pub fn reduce(&self) -> (Op, String) {
        use Piece::{Lit, Star};
        match self.pieces.as_slice() {
            [] => (Op::Eq, String::new()),
            [Lit(s)] => (Op::Eq, s.clone()),
            [Star, Lit(s), Star] => (Op::Contains, s.clone()),
            [Lit(s), Star] => (Op::StartsWith, s.clone()),
            [Star, Lit(s)] => (Op::EndsWith, s.clone()),
            _ => (Op::Wildcard, self.canonical()),
        }
    }
}

impl FromIterator<Piece> for Pattern {
    fn from_iter<I: IntoIterator<Item = Piece>>(iter: I) -> Pattern {
        let mut p = Pattern::default();
        for piece in iter {
            p.push(piece);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(s: &str) -> Pattern {
        let mut p = Pattern::default();
        for c in s.chars() {
            match c {
                '*' => p.push_star(),
                '?' => p.push_one(),
                c => p.push_char(c),
            }
        }
        p
    }

    macro_rules! cases {
        ($($name:ident: $glob:expr => $op:expr, $value:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(glob($glob).reduce(), ($op, $value.to_owned()));
            }
        )*};
    }

    cases! {
        literal_is_eq: "cmd.exe" => Op::Eq, "cmd.exe";
        empty_is_eq: "" => Op::Eq, "";
        stars_around_is_contains: "*-enc *" => Op::Contains, "-enc ";
        trailing_star_is_starts_with: "C:\\Windows*" => Op::StartsWith, "C:\\Windows";
        leading_star_is_ends_with: "*\\nmap.exe" => Op::EndsWith, "\\nmap.exe";
        inner_star_is_wildcard: "a*b" => Op::Wildcard, "a*b";
        question_mark_is_wildcard: "cmd.ex?" => Op::Wildcard, "cmd.ex?";
        literal_backslash_is_escaped: "?:\\Users" => Op::Wildcard, "?:\\\\Users";
        lone_star_is_wildcard: "*" => Op::Wildcard, "*";
        double_star_is_one_star: "**a**" => Op::Contains, "a";
        star_pair_alone: "**" => Op::Wildcard, "*";
    }

    #[test]
    fn literal_wildcard_characters_are_escaped() {
        let mut p = Pattern::default();
        p.push_str("a*b");
        p.push_one();
        assert_eq!(p.reduce(), (Op::Wildcard, "a\\*b?".to_owned()));
    }
}
