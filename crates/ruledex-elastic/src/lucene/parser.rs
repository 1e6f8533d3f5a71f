//! Tokens → [`Query`], after the classic grammar:
//!
//! ```text
//! Query     ::= Modifier? Clause ( Conj? Modifier? Clause )*
//! Conj      ::= AND | OR            Modifier ::= + | - | NOT
//! Clause    ::= ( TERM ":" | "*" ":" )? ( Term | "(" Query ")" Boost? )
//! Term      ::= (TERM | WILDTERM | REGEX | BAREOP) ( Boost Slop? | Slop Boost? )?
//!             | ("[" | "{") Value TO Value ("]" | "}") Boost?
//!             | QUOTED ( Boost Slop? | Slop Boost? )?
//! ```
//!
//! Elasticsearch's additions are applied here too: under a field (written or
//! inherited from `field:( … )`), a plain term that starts with `>`, `>=`, `<`
//! or `<=` is a one-sided range ([`Compare`]).

use ruledex_diag::Span;

use super::MAX_DEPTH;
use super::ast::{
    Bound, Clause, Compare, CompareOp, Conj, Modifier, Node, Phrase, Query, Range, Regex, Slop,
    Term,
};
use super::lexer::{Tok, Token, tokenize};
use crate::error::{QueryError, QueryErrorKind};

/// Parse a Lucene query into its AST.
pub fn parse(text: &str) -> Result<Query, QueryError> {
    let toks = tokenize(text)?;
    let mut p = Parser {
        src: text,
        toks,
        pos: 0,
    };
    let q = p.query(0, false)?;
    let t = p.peek();
    if t.kind != Tok::Eof {
        return Err(p.unexpected(t, "a clause or end of query"));
    }
    Ok(q)
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Token {
        self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn peek2(&self) -> Token {
        self.toks[(self.pos + 1).min(self.toks.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek();
        if t.kind != Tok::Eof {
            self.pos += 1;
        }
        t
    }

    /// End of the last token taken.
    fn last_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .map_or(0, |i| self.toks[i.min(self.toks.len() - 1)].end)
    }

    fn unexpected(&self, t: Token, expected: &'static str) -> QueryError {
        let found = match t.kind {
            Tok::Eof => "end of query".to_owned(),
            _ => format!("`{}`", t.text(self.src)),
        };
        QueryError::new(QueryErrorKind::Unexpected { expected, found }, t.span())
    }

    /// Clauses up to `)` (inside a group) or the end.
    fn query(&mut self, depth: usize, fielded: bool) -> Result<Query, QueryError> {
        let mut clauses = Vec::new();
        loop {
            let t = self.peek();
            match t.kind {
                Tok::Eof => break,
                Tok::RParen if depth > 0 => break,
                Tok::RParen => return Err(self.unexpected(t, "a clause or end of query")),
                _ => {}
            }
            let conj = match t.kind {
                Tok::And | Tok::Or if clauses.is_empty() => {
                    return Err(self.unexpected(t, "a clause"));
                }
                Tok::And => Some(Conj::And),
                Tok::Or => Some(Conj::Or),
                _ => None,
            };
            if conj.is_some() {
                self.bump();
            }
            let modifier = match self.peek().kind {
                Tok::Plus => Some(Modifier::Plus),
                Tok::Minus => Some(Modifier::Minus),
                Tok::Not => Some(Modifier::Not),
                _ => None,
            };
            if modifier.is_some() {
                self.bump();
            }
            let mut clause = self.clause(depth, fielded)?;
            clause.conj = conj;
            clause.modifier = modifier;
            clauses.push(clause);
        }
        if clauses.is_empty() {
            return Err(self.unexpected(self.peek(), "a clause"));
        }
        Ok(Query { clauses })
    }

    fn clause(&mut self, depth: usize, fielded: bool) -> Result<Clause, QueryError> {
        let first = self.peek();
        let mut field = None;
        if self.peek2().kind == Tok::Colon {
            match first.kind {
                Tok::Term { wild: false } => {
                    field = Some(unescape(first.text(self.src), first.start)?);
                }
                Tok::Term { wild: true } if first.text(self.src) == "*" => {
                    field = Some("*".to_owned());
                }
                _ => {}
            }
            if field.is_some() {
                self.bump();
                self.bump();
            }
        }
        let fielded = fielded || field.is_some();
        let t = self.peek();
        let (node, boost) = if t.kind == Tok::LParen {
            if depth >= MAX_DEPTH {
                return Err(QueryError::new(
                    QueryErrorKind::TooDeep { limit: MAX_DEPTH },
                    t.span(),
                ));
            }
            self.bump();
            let q = self.query(depth + 1, fielded)?;
            let close = self.peek();
            if close.kind != Tok::RParen {
                return Err(self.unexpected(close, "`)`"));
            }
            self.bump();
            let boost = self.boost()?;
            (Node::Group(Box::new(q)), boost)
        } else {
            self.term(fielded)?
        };
        Ok(Clause {
            conj: None,
            modifier: None,
            field,
            node,
            boost,
            span: Span::new(first.start, self.last_end()),
        })
    }

    fn boost(&mut self) -> Result<Option<f32>, QueryError> {
        let t = self.peek();
        if t.kind != Tok::Boost {
            return Ok(None);
        }
        self.bump();
        let text = &t.text(self.src)[1..];
        match text.parse::<f32>() {
            Ok(b) if b.is_finite() => Ok(Some(b)),
            _ => Err(QueryError::new(
                QueryErrorKind::InvalidLiteral {
                    what: "boost",
                    text: text.to_owned(),
                },
                t.span(),
            )),
        }
    }

    fn slop(&mut self) -> Option<Slop> {
        let t = self.peek();
        if t.kind != Tok::Slop {
            return None;
        }
        self.bump();
        let text = &t.text(self.src)[1..];
        Some(Slop((!text.is_empty()).then(|| text.to_owned())))
    }

    /// `( Boost Slop? | Slop Boost? )?`
    fn suffixes(&mut self) -> Result<(Option<Slop>, Option<f32>), QueryError> {
        match self.peek().kind {
            Tok::Boost => {
                let b = self.boost()?;
                Ok((self.slop(), b))
            }
            Tok::Slop => {
                let s = self.slop();
                Ok((s, self.boost()?))
            }
            _ => Ok((None, None)),
        }
    }

    fn term(&mut self, fielded: bool) -> Result<(Node, Option<f32>), QueryError> {
        let t = self.peek();
        match t.kind {
            Tok::Term { wild } => {
                self.bump();
                let text = glob(t.text(self.src), t.start)?;
                let (fuzzy, boost) = self.suffixes()?;
                let term = Term { text, fuzzy };
                if fielded && !wild && term.fuzzy.is_none() {
                    let lit = term.literal().unwrap_or_default();
                    if let Some(c) = compare(&lit) {
                        return Ok((Node::Compare(c), boost));
                    }
                }
                Ok((Node::Term(term), boost))
            }
            Tok::BareOp => {
                self.bump();
                let text = t.text(self.src)[..1].to_owned();
                let (fuzzy, boost) = self.suffixes()?;
                Ok((Node::Term(Term { text, fuzzy }), boost))
            }
            Tok::Quoted => {
                self.bump();
                let raw = t.text(self.src);
                let text = unescape(&raw[1..raw.len() - 1], t.start + 1)?;
                let (slop, boost) = self.suffixes()?;
                Ok((Node::Phrase(Phrase { text, slop }), boost))
            }
            Tok::Regex => {
                self.bump();
                let raw = t.text(self.src);
                let pattern = raw[1..raw.len() - 1].to_owned();
                let (fuzzy, boost) = self.suffixes()?;
                Ok((Node::Regex(Regex { pattern, fuzzy }), boost))
            }
            Tok::RangeStart { inclusive } => {
                self.bump();
                let lower = self.bound()?;
                let to = self.peek();
                if to.kind != Tok::RangeTo {
                    return Err(self.unexpected(to, "`TO`"));
                }
                self.bump();
                let upper = self.bound()?;
                let end = self.peek();
                let Tok::RangeEnd {
                    inclusive: include_upper,
                } = end.kind
                else {
                    return Err(self.unexpected(end, "`]` or `}`"));
                };
                self.bump();
                let boost = self.boost()?;
                let range = Range {
                    lower,
                    upper,
                    include_lower: inclusive,
                    include_upper,
                };
                Ok((Node::Range(range), boost))
            }
            _ => Err(self.unexpected(t, "a term, phrase, range or group")),
        }
    }

    /// A range end point: `*`, a bare value or a quoted one. The grammar also
    /// takes a `TO` here (as the text `TO`).
    fn bound(&mut self) -> Result<Bound, QueryError> {
        let t = self.peek();
        match t.kind {
            Tok::RangeValue { quoted: true } => {
                self.bump();
                let raw = t.text(self.src);
                Ok(Bound::Value(unescape(&raw[1..raw.len() - 1], t.start + 1)?))
            }
            Tok::RangeValue { quoted: false } => {
                self.bump();
                let raw = t.text(self.src);
                if raw == "*" {
                    Ok(Bound::Open)
                } else {
                    Ok(Bound::Value(unescape(raw, t.start)?))
                }
            }
            Tok::RangeTo => {
                self.bump();
                Ok(Bound::Value("TO".to_owned()))
            }
            _ => Err(self.unexpected(t, "a range value")),
        }
    }
}

/// Elasticsearch's one-sided ranges: `>5`, `>=5`, `<5`, `<=5` (the text
/// after escapes are undone; longer than one character).
fn compare(lit: &str) -> Option<Compare> {
    let mut chars = lit.chars();
    let first = chars.next()?;
    if !matches!(first, '>' | '<') || lit.chars().nth(1).is_none() {
        return None;
    }
    let rest = &lit[1..];
    let (op, value) = match (first, rest.strip_prefix('=')) {
        (_, Some(v)) if !v.is_empty() => (
            if first == '>' {
                CompareOp::Gte
            } else {
                CompareOp::Lte
            },
            v,
        ),
        _ => (
            if first == '>' {
                CompareOp::Gt
            } else {
                CompareOp::Lt
            },
            rest,
        ),
    };
    Some(Compare {
        op,
        value: value.to_owned(),
    })
}

fn bad_escape(what: &'static str, text: &str, at: usize, len: usize) -> QueryError {
    QueryError::new(
        QueryErrorKind::InvalidLiteral {
            what,
            text: text.to_owned(),
        },
        Span::new(at, at + len),
    )
}

/// Read the four hex digits of a `\uXXXX` escape starting at byte `i` of
/// `raw` (just after the `u`).
fn hex4(raw: &str, i: usize, at: usize) -> Result<u32, QueryError> {
    let digits = raw.get(i..i + 4).filter(|d| d.len() == 4);
    digits
        .and_then(|d| {
            u32::from_str_radix(d, 16)
                .ok()
                .filter(|_| d.chars().all(|c| c.is_ascii_hexdigit()))
        })
        .ok_or_else(|| {
            let end = raw.len().min(i + 4);
            let text = raw.get(i - 2..end).unwrap_or("\\u");
            bad_escape("unicode escape", text, at + i - 2, text.len())
        })
}

/// Undo escapes: `\x` is `x`, `\uXXXX` a UTF-16 unit (a surrogate pair
/// makes one character). `at` is the offset of `raw` in the query, for errors.
fn unescape_with(raw: &str, at: usize, mut push: impl FnMut(char, bool)) -> Result<(), QueryError> {
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i..].chars().next().unwrap_or_default();
        if c != '\\' {
            push(c, false);
            i += c.len_utf8();
            continue;
        }
        let Some(n) = raw[i + 1..].chars().next() else {
            return Err(bad_escape("escape", "\\", at + i, 1));
        };
        if n != 'u' {
            push(n, true);
            i += 1 + n.len_utf8();
            continue;
        }
        let unit = hex4(raw, i + 2, at)?;
        let mut next = i + 6;
        let ch = if (0xD800..0xDC00).contains(&unit) {
            // A high surrogate needs a `\uDC00`–`\uDFFF` right after it.
            let low = if raw[next..].starts_with("\\u") {
                hex4(raw, next + 2, at).ok()
            } else {
                None
            };
            match low {
                Some(low @ 0xDC00..0xE000) => {
                    next += 6;
                    char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                }
                _ => None,
            }
        } else {
            char::from_u32(unit)
        };
        let Some(ch) = ch else {
            return Err(bad_escape(
                "unicode escape",
                &raw[i..next.min(raw.len())],
                at + i,
                next.min(raw.len()) - i,
            ));
        };
        push(ch, true);
        i = next;
    }
    Ok(())
}

/// Escapes undone.
pub(crate) fn unescape(raw: &str, at: usize) -> Result<String, QueryError> {
    let mut out = String::with_capacity(raw.len());
    unescape_with(raw, at, |c, _| out.push(c))?;
    Ok(out)
}

/// A term in the model's wildcard form: unescaped `*`/`?` are wildcards;
/// literal `*`, `?` and `\` are written `\*`, `\?`, `\\`.
fn glob(raw: &str, at: usize) -> Result<String, QueryError> {
    let mut out = String::with_capacity(raw.len());
    unescape_with(raw, at, |c, escaped| {
        if escaped && matches!(c, '*' | '?') || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! parse_cases {
        ($($name:ident: $src:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let q = parse($src).unwrap_or_else(|e| panic!("{}: {e}", $src));
                assert_eq!(format!("{q:?}"), $want);
            }
        )*};
    }

    // Debug output is long; these cases pin the parts that matter.
    macro_rules! print_cases {
        ($($name:ident: $src:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let q = parse($src).unwrap_or_else(|e| panic!("{}: {e}", $src));
                assert_eq!(q.to_string(), $want);
                assert_eq!(parse(&q.to_string()).unwrap(), q, "round trip of {}", $src);
            }
        )*};
    }

    parse_cases! {
        compare_gte: "f:>=5" => "Query { clauses: [Clause { conj: None, modifier: None, field: Some(\"f\"), node: Compare(Compare { op: Gte, value: \"5\" }), boost: None, span: Span { start: 0, end: 5 } }] }";
        bare_gt_is_a_term: ">5" => "Query { clauses: [Clause { conj: None, modifier: None, field: None, node: Term(Term { text: \">5\", fuzzy: None }), boost: None, span: Span { start: 0, end: 2 } }] }";
    }

    print_cases! {
        canonical_operators: "a && b || !c" => "a AND b OR NOT c";
        space_before_colon: "process.name : chmod" => "process.name:chmod";
        field_group: "f:(a OR b)^2" => "f:(a OR b)^2";
        inherited_compare: "f:(>5 OR <=2)" => "f:(>5 OR <=2)";
        compare_under_star_field: "*:>5" => "*:>5";
        escaped_gt_is_still_compare: "f:\\>5" => "f:>5";
        fuzzy_gt_is_a_term: "f:>5~" => "f:\\>5~";
        wildcard_gt_is_a_term: "f:>5*" => "f:\\>5*";
        gte_alone: "f:>=" => "f:>\\=";
        escapes_undone: "a\\:b" => "a\\:b";
        unicode_escape: "\\u0041b" => "Ab";
        surrogate_pair: "\\uD83D\\uDE00" => "\u{1F600}";
        escaped_star_field: "book.\\*:x" => "book.\\*:x";
        star_field: "*:*" => "*:*";
        bare_op_term: "a + b" => "a \\+ b";
        suffix_order: "a^2~1" => "a~1^2";
        phrase_suffixes: "\"a b\"^3~4" => "\"a b\"~4^3";
        regex_slop_kept: "/ab/~" => "/ab/~";
        range_quoted_star: "[\"*\" TO b]" => "[\"*\" TO b]";
        range_to_value: "[TO TO TO]" => "[\"TO\" TO \"TO\"]";
        range_escaped_goop: "[a\\:b TO c]" => "[a:b TO c]";
        nested_groups: "((a))" => "((a))";
        modifier_on_group: "-(a b)" => "-(a b)";
        leading_not: "NOT a" => "NOT a";
    }

    macro_rules! error_cases {
        ($($name:ident: $src:expr => $code:expr, $start:expr, $end:expr;)*) => {$(
            #[test]
            fn $name() {
                let e = parse($src).unwrap_err();
                assert_eq!((e.kind.code(), e.span), ($code, Span::new($start, $end)), "{e}");
            }
        )*};
    }

    error_cases! {
        empty: "" => "query-syntax", 0, 0;
        blank: "   " => "query-syntax", 3, 3;
        leading_and: "AND a" => "query-syntax", 0, 3;
        trailing_and: "a AND" => "query-syntax", 5, 5;
        double_conj: "a AND OR b" => "query-syntax", 6, 8;
        double_modifier: "NOT -a" => "query-syntax", 4, 5;
        unclosed_group: "(a b" => "query-syntax", 4, 4;
        stray_close: "a) b" => "query-syntax", 1, 2;
        empty_group: "()" => "query-syntax", 1, 2;
        wildcard_field: "pro*:x" => "query-syntax", 4, 5;
        double_colon: "a:b:c" => "query-syntax", 3, 4;
        range_without_to: "[a b]" => "query-syntax", 3, 4;
        range_missing_end: "[a TO b c]" => "query-syntax", 8, 9;
        slop_alone: "~2" => "query-syntax", 0, 2;
        bad_unicode: "a\\u00zz" => "query-invalid-literal", 1, 7;
        short_unicode: "a\\u00" => "query-invalid-literal", 1, 5;
        lone_surrogate: "\\uD800x" => "query-invalid-literal", 0, 6;
        goop_ends_with_escape: "[a TO b\\]" => "query-invalid-literal", 7, 8;
        boost_after_range_slop: "[a TO b]~2" => "query-syntax", 8, 10;
        too_deep: &format!("{}a{}", "(".repeat(200), ")".repeat(200)) => "query-too-deep", 100, 101;
    }
}
