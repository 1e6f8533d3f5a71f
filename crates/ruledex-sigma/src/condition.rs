//! The `condition` language: tokenizer, parser and AST.
//!
//! ```text
//! condition := or ( '|' aggregation )?
//! or        := and ( 'or' and )*
//! and       := not ( 'and' not )*
//! not       := 'not' not | primary
//! primary   := '(' or ')' | quantifier 'of' ( pattern | 'them' ) | name
//! quantifier:= '1' | 'any' | 'all'
//! aggregation := 'count' '(' name? ')' ( 'by' name ( ',' name )* )? cmp number
//! ```
//!
//! Keywords are case-insensitive. `not` binds tighter than `and`, which binds
//! tighter than `or`. The `| count()` aggregation is the deprecated Sigma 1.x
//! form; it is still read so that older rules keep their meaning.

use std::fmt;

use ruledex_diag::Span;
use ruledex_model::Op;

use crate::error::{Error, ErrorKind};

/// Deepest nesting of parentheses and `not` accepted.
pub(crate) const MAX_DEPTH: usize = 64;

/// How many selections `x of` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Quantifier {
    /// `1 of` / `any of`.
    One,
    /// `all of`.
    All,
}

/// A parsed condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cond {
    /// Two or more terms joined by `and` (kept flat: long chains do not nest).
    And(Vec<Cond>),
    /// Two or more terms joined by `or`.
    Or(Vec<Cond>),
    Not(Box<Cond>),
    /// A selection name.
    Name(String, Span),
    /// `1 of pattern` / `all of pattern`; `None` pattern means `them`.
    Of(Quantifier, Option<String>, Span),
}

impl fmt::Display for Cond {
    /// Prints the condition back, fully parenthesized.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cond::And(terms) | Cond::Or(terms) => {
                let sep = if matches!(self, Cond::And(_)) {
                    " and "
                } else {
                    " or "
                };
                f.write_str("(")?;
                for (i, t) in terms.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str(")")
            }
            Cond::Not(a) => write!(f, "not {a}"),
            Cond::Name(n, _) => f.write_str(n),
            Cond::Of(q, p, _) => {
                let q = if *q == Quantifier::One { "1" } else { "all" };
                write!(f, "{q} of {}", p.as_deref().unwrap_or("them"))
            }
        }
    }
}

/// The deprecated `| count(...) by ... > N` aggregation.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PipeAggregation {
    /// The counted field (`count(field)` counts distinct values).
    pub(crate) field: Option<String>,
    pub(crate) group_by: Vec<String>,
    pub(crate) op: Op,
    pub(crate) value: f64,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    LParen,
    RParen,
    Pipe,
    Comma,
    Cmp(Op),
    Number(f64),
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    span: Span,
}

fn tokenize(text: &str, map: &[usize]) -> Result<Vec<Token>, Error> {
    // Byte `i` of the condition text sits at `map[i]` in the file.
    let at = |i: usize| {
        map.get(i)
            .copied()
            .unwrap_or_else(|| map.last().copied().unwrap_or(0))
    };
    let span = |a: usize, b: usize| Span::new(at(a), at(b));
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let single = match c {
            b'(' => Some(Tok::LParen),
            b')' => Some(Tok::RParen),
            b'|' => Some(Tok::Pipe),
            b',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(tok) = single {
            i += 1;
            out.push(Token {
                tok,
                span: span(start, i),
            });
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if matches!(c, b'<' | b'>' | b'=' | b'!') {
            i += 1;
            if bytes.get(i) == Some(&b'=') {
                i += 1;
            }
            let op = match &text[start..i] {
                ">" => Op::Gt,
                ">=" => Op::Gte,
                "<" => Op::Lt,
                "<=" => Op::Lte,
                "=" | "==" => Op::Eq,
                other => {
                    return Err(Error::new(
                        ErrorKind::ConditionSyntax {
                            expected: "a comparison operator",
                            found: format!("`{other}`"),
                        },
                        span(start, i),
                    ));
                }
            };
            out.push(Token {
                tok: Tok::Cmp(op),
                span: span(start, i),
            });
            continue;
        }
        if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'*' | b'-' | b'.' | b'?') {
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || matches!(bytes[i], b'_' | b'*' | b'-' | b'.' | b'?'))
            {
                i += 1;
            }
            let word = &text[start..i];
            let tok = match word.parse::<f64>() {
                Ok(n) if word != "1" => Tok::Number(n),
                _ => Tok::Ident(word.to_owned()),
            };
            out.push(Token {
                tok,
                span: span(start, i),
            });
            continue;
        }
        let ch = text[i..].chars().next().unwrap_or('?');
        return Err(Error::new(
            ErrorKind::ConditionSyntax {
                expected: "a selection name, `(`, `not`, `1 of` or `all of`",
                found: format!("`{ch}`"),
            },
            span(i, i + ch.len_utf8()),
        ));
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    end: Span,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn peek_word(&self) -> Option<String> {
        match self.peek() {
            Some(Token {
                tok: Tok::Ident(w), ..
            }) => Some(w.to_ascii_lowercase()),
            _ => None,
        }
    }

    fn found(&self) -> (String, Span) {
        match self.peek() {
            None => ("end of condition".to_owned(), self.end),
            Some(t) => {
                let text = match &t.tok {
                    Tok::Ident(w) => w.clone(),
                    Tok::LParen => "(".into(),
                    Tok::RParen => ")".into(),
                    Tok::Pipe => "|".into(),
                    Tok::Comma => ",".into(),
                    Tok::Cmp(op) => op.to_string(),
                    Tok::Number(n) => n.to_string(),
                };
                (format!("`{text}`"), t.span)
            }
        }
    }

    fn error(&self, expected: &'static str) -> Error {
        let (found, span) = self.found();
        Error::new(ErrorKind::ConditionSyntax { expected, found }, span)
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let span = self.peek().map_or(self.end, |t| t.span);
            return Err(Error::new(
                ErrorKind::ConditionTooDeep { limit: MAX_DEPTH },
                span,
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Cond, Error> {
        let mut terms = vec![self.and()?];
        while self.peek_word().as_deref() == Some("or") {
            self.pos += 1;
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 {
            terms.pop().expect("one term")
        } else {
            Cond::Or(terms)
        })
    }

    fn and(&mut self) -> Result<Cond, Error> {
        let mut terms = vec![self.not()?];
        while self.peek_word().as_deref() == Some("and") {
            self.pos += 1;
            terms.push(self.not()?);
        }
        Ok(if terms.len() == 1 {
            terms.pop().expect("one term")
        } else {
            Cond::And(terms)
        })
    }

    fn not(&mut self) -> Result<Cond, Error> {
        if self.peek_word().as_deref() == Some("not") {
            self.pos += 1;
            self.enter()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Cond::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Cond, Error> {
        const EXPECTED: &str = "a selection name, `(`, `not`, `1 of` or `all of`";
        let Some(tok) = self.peek().cloned() else {
            return Err(self.error(EXPECTED));
        };
        match tok.tok {
            Tok::LParen => {
                self.pos += 1;
                self.enter()?;
                let inner = self.or()?;
                self.depth -= 1;
                match self.peek() {
                    Some(Token {
                        tok: Tok::RParen, ..
                    }) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => Err(self.error("`)`")),
                }
            }
            Tok::Ident(word) => {
                let lower = word.to_ascii_lowercase();
                if matches!(lower.as_str(), "and" | "or" | "of" | "them") {
                    return Err(self.error(EXPECTED));
                }
                self.pos += 1;
                let quantifier = match lower.as_str() {
                    "1" | "any" => Some(Quantifier::One),
                    "all" => Some(Quantifier::All),
                    _ => None,
                };
                if let Some(q) = quantifier
                    && self.peek_word().as_deref() == Some("of")
                {
                    self.pos += 1;
                    let Some(Token {
                        tok: Tok::Ident(target),
                        span,
                    }) = self.peek().cloned()
                    else {
                        return Err(self.error("a selection pattern or `them`"));
                    };
                    let t = target.to_ascii_lowercase();
                    if matches!(t.as_str(), "and" | "or" | "not" | "of") {
                        return Err(self.error("a selection pattern or `them`"));
                    }
                    self.pos += 1;
                    let pattern = (t != "them").then_some(target);
                    return Ok(Cond::Of(q, pattern, tok.span.cover(span)));
                }
                Ok(Cond::Name(word, tok.span))
            }
            _ => Err(self.error(EXPECTED)),
        }
    }

    fn aggregation(&mut self) -> Result<PipeAggregation, Error> {
        if self.peek_word().as_deref() != Some("count") {
            return Err(self.error("`count(...)` after `|`"));
        }
        self.pos += 1;
        self.expect(&Tok::LParen, "`(`")?;
        let field = match self.peek().map(|t| t.tok.clone()) {
            Some(Tok::Ident(f)) => {
                self.pos += 1;
                Some(f)
            }
            _ => None,
        };
        self.expect(&Tok::RParen, "`)`")?;
        let mut group_by = Vec::new();
        if self.peek_word().as_deref() == Some("by") {
            self.pos += 1;
            loop {
                match self.peek().map(|t| t.tok.clone()) {
                    Some(Tok::Ident(f)) => {
                        self.pos += 1;
                        group_by.push(f);
                    }
                    _ => return Err(self.error("a field name after `by`")),
                }
                if self.peek().map(|t| &t.tok) == Some(&Tok::Comma) {
                    self.pos += 1;
                } else {
                    break;
                }
            }
        }
        let Some(Tok::Cmp(op)) = self.peek().map(|t| t.tok.clone()) else {
            return Err(self.error("a comparison (`>`, `>=`, `<`, `<=`, `=`)"));
        };
        self.pos += 1;
        let value = match self.peek().map(|t| t.tok.clone()) {
            Some(Tok::Number(n)) => n,
            Some(Tok::Ident(w)) if w == "1" => 1.0,
            _ => return Err(self.error("a number")),
        };
        self.pos += 1;
        Ok(PipeAggregation {
            field,
            group_by,
            op,
            value,
        })
    }

    fn expect(&mut self, tok: &Tok, expected: &'static str) -> Result<(), Error> {
        if self.peek().map(|t| &t.tok) == Some(tok) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(expected))
        }
    }
}

/// Parse a condition that starts at byte `base` of the file and is written
/// there exactly as `text` (a plain one-line scalar).
#[cfg(test)]
pub(crate) fn parse(text: &str, base: usize) -> Result<(Cond, Option<PipeAggregation>), Error> {
    let map: Vec<usize> = (0..=text.len()).map(|i| base + i).collect();
    parse_mapped(text, &map)
}

/// Parse a condition; `map[i]` is the file offset of byte `i` of `text`
/// (see [`position_map`]), so spans point into the file.
pub(crate) fn parse_mapped(
    text: &str,
    map: &[usize],
) -> Result<(Cond, Option<PipeAggregation>), Error> {
    let toks = tokenize(text, map)?;
    let last = text.trim_end().len();
    let end = Span::point(map.get(last).copied().unwrap_or_default());
    let mut p = Parser {
        toks,
        pos: 0,
        end,
        depth: 0,
    };
    let cond = p.or()?;
    let agg = if p.peek().map(|t| &t.tok) == Some(&Tok::Pipe) {
        p.pos += 1;
        Some(p.aggregation()?)
    } else {
        None
    };
    if p.peek().is_some() {
        return Err(p.error("`and`, `or`, `|` or the end of the condition"));
    }
    Ok((cond, agg))
}

/// Map each byte of a decoded YAML scalar (`decoded`) to its offset in the
/// file, given the scalar's raw text `raw` starting at file offset `start`.
///
/// YAML folds line breaks and indentation into single spaces and undoes
/// escapes, so the two texts are aligned character by character: a decoded
/// space consumes any run of raw white space (or one escape sequence), any
/// other character is looked for from the current raw position.
pub(crate) fn position_map(decoded: &str, raw: &str, start: usize) -> Vec<usize> {
    let rb = raw.as_bytes();
    let mut map = Vec::with_capacity(decoded.len() + 1);
    let mut j = 0;
    for c in decoded.chars() {
        let here = j.min(raw.len());
        if c.is_whitespace() && rb.get(j).is_some_and(u8::is_ascii_whitespace) {
            for _ in 0..c.len_utf8() {
                map.push(start + here);
            }
            while rb.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
            continue;
        }
        if rb.get(j) == Some(&b'\\') && !c.is_ascii_alphanumeric() && c != '\\' {
            // An escape sequence in a double-quoted scalar stands for `c`.
            let len = match rb.get(j + 1) {
                Some(b'x') => 4,
                Some(b'u') => 6,
                Some(b'U') => 10,
                _ => 2,
            };
            for _ in 0..c.len_utf8() {
                map.push(start + here);
            }
            j = (j + len).min(raw.len());
            continue;
        }
        let mut buf = [0u8; 4];
        let needle = c.encode_utf8(&mut buf).as_bytes();
        let found = raw
            .get(j..)
            .and_then(|r| r.as_bytes().windows(needle.len()).position(|w| w == needle));
        let pos = found.map_or(here, |k| j + k);
        for k in 0..c.len_utf8() {
            map.push(start + pos + k);
        }
        j = pos + needle.len();
    }
    map.push(start + j.min(raw.len()));
    map
}

/// Whether a selection name matches a `1 of` pattern (`*` matches any run, `?` one character).
///
/// Greedy matching with a single back-tracking point: linear in practice and
/// never worse than `O(pattern × name)`.
pub(crate) fn pattern_matches(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(text: &str) -> String {
        parse(text, 0).map_or_else(
            |e| format!("error[{}]", e.kind.code()),
            |(c, _)| c.to_string(),
        )
    }

    macro_rules! cases {
        ($($name:ident: $input:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(round($input), $want);
            }
        )*};
    }

    cases! {
        single: "selection" => "selection";
        and_not: "selection and not filter" => "(selection and not filter)";
        precedence: "a or b and c" => "(a or (b and c))";
        not_binds_tight: "not a and b" => "(not a and b)";
        parens: "(a or b) and c" => "((a or b) and c)";
        one_of: "1 of selection_*" => "1 of selection_*";
        any_of: "any of sel*" => "1 of sel*";
        all_of: "all of selection_*" => "all of selection_*";
        one_of_them: "1 of them" => "1 of them";
        all_of_them: "all of them" => "all of them";
        not_one_of: "selection and not 1 of filter_main_*" => "(selection and not 1 of filter_main_*)";
        uppercase_keywords: "sel AND NOT filter" => "(sel and not filter)";
        double_not: "not not a" => "not not a";
        long_chain_is_flat: "a or b or c and d and e" => "(a or b or (c and d and e))";
        seed_000: "(selection_netcat and not filter_main_netcat_listen_flag) or selection_network_scanning_tools"
            => "((selection_netcat and not filter_main_netcat_listen_flag) or selection_network_scanning_tools)";
        unclosed: "(a and b" => "error[condition-syntax]";
        dangling_and: "a and" => "error[condition-syntax]";
        missing_of_target: "1 of" => "error[condition-syntax]";
        trailing_name: "a b" => "error[condition-syntax]";
        bad_char: "a & b" => "error[condition-syntax]";
        empty: "" => "error[condition-syntax]";
        keyword_as_name: "and" => "error[condition-syntax]";
    }

    #[test]
    fn too_deep_is_refused() {
        let text = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        assert_eq!(round(&text), "error[condition-too-deep]");
        let text = format!("{}a", "not ".repeat(100));
        assert_eq!(round(&text), "error[condition-too-deep]");
    }

    #[test]
    fn spans_are_offset_by_base() {
        let (cond, _) = parse("sel and x", 100).unwrap();
        let Cond::And(terms) = cond else { panic!() };
        assert_eq!(terms[1], Cond::Name("x".into(), Span::new(108, 109)));
    }

    #[test]
    fn position_map_follows_folded_lines() {
        // `sel and\n    not filtr` decodes to `sel and not filtr`.
        let raw = "sel and\n    not filtr";
        let map = position_map("sel and not filtr", raw, 100);
        assert_eq!(map[12], 100 + raw.find("filtr").unwrap());
        let map = position_map("a b", "\"a\\x20b\"", 10);
        assert_eq!(map[2], 10 + 6);
    }

    #[test]
    fn pipe_count_aggregation() {
        let (_, agg) = parse("selection | count(TargetUserName) by IpAddress > 10", 0).unwrap();
        assert_eq!(
            agg,
            Some(PipeAggregation {
                field: Some("TargetUserName".into()),
                group_by: vec!["IpAddress".into()],
                op: Op::Gt,
                value: 10.0
            })
        );
        assert!(parse("selection | max(x) > 3", 0).is_err());
    }

    #[test]
    fn patterns() {
        assert!(pattern_matches("selection_*", "selection_img"));
        assert!(pattern_matches("selection*", "selection"));
        assert!(!pattern_matches("filter_*", "selection"));
        assert!(pattern_matches("sel?", "sel1"));
        assert!(pattern_matches("*", "anything"));
        assert!(!pattern_matches(&"*a".repeat(30), &"a".repeat(20)));
    }
}
