//! The Lucene query AST: what was written, clause by clause.
//!
//! The classic query parser has no operator precedence: a query (or a
//! parenthesized group) is a flat list of clauses, each with the conjunction
//! written before it (`AND`, `OR` or none), an optional modifier (`+`, `-`,
//! `NOT`), an optional field and a node. How the clauses combine is decided
//! by [`super::lower`], the way Lucene's `addClause` does it; the AST only
//! keeps the list, so that it prints back what was parsed.
//!
//! Equality ignores spans (see [`Clause`]), so a query printed with
//! `Display` and parsed again compares equal to the original.

use std::fmt::{self, Write as _};

use ruledex_diag::Span;

/// A query or a parenthesized group: one or more clauses.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The clauses in the order written; never empty when parsed.
    pub clauses: Vec<Clause>,
}

/// One clause: `[AND|OR] [+|-|NOT] [field:] node [^boost]`.
#[derive(Clone, Debug)]
pub struct Clause {
    /// The conjunction written before the clause (`None` on the first clause
    /// and between juxtaposed clauses).
    pub conj: Option<Conj>,
    /// The modifier written before the clause.
    pub modifier: Option<Modifier>,
    /// The field named before `:`, escapes undone (`*` for every field).
    pub field: Option<String>,
    /// What the clause matches.
    pub node: Node,
    /// `^N` after the node: relevance only.
    pub boost: Option<f32>,
    /// Where `field:node^boost` is written (conjunction and modifier excluded).
    /// Not part of equality.
    pub span: Span,
}

impl PartialEq for Clause {
    fn eq(&self, other: &Clause) -> bool {
        self.conj == other.conj
            && self.modifier == other.modifier
            && self.field == other.field
            && self.node == other.node
            && self.boost == other.boost
    }
}

impl Clause {
    /// A clause with no conjunction, modifier, field or boost.
    pub fn new(node: Node) -> Clause {
        Clause {
            conj: None,
            modifier: None,
            field: None,
            node,
            boost: None,
            span: Span::default(),
        }
    }
}

/// `AND` (also `&&`) or `OR` (also `||`) between two clauses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Conj {
    /// `AND`, `&&`.
    And,
    /// `OR`, `||`.
    Or,
}

/// The prefix of a clause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// `+`: the clause must match.
    Plus,
    /// `-`: the clause must not match.
    Minus,
    /// `NOT` or `!`: the same as `-`.
    Not,
}

/// What one clause matches.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// A bare term, possibly with `*`/`?` wildcards: `chmod`, `cmd*`.
    Term(Term),
    /// A quoted phrase: `"a b"`, `"a b"~2`.
    Phrase(Phrase),
    /// A regular expression in Lucene syntax: `/2[0-9]{3}/`.
    Regex(Regex),
    /// A range: `[1 TO 5]`, `{a TO *]`.
    Range(Range),
    /// A one-sided range written as a comparison after a field: `f:>=5`.
    Compare(Compare),
    /// A parenthesized group.
    Group(Box<Query>),
}

/// A bare term.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    /// The term in the model's wildcard form: Lucene escapes are undone,
    /// except that unescaped `*` and `?` stay wildcards and the literal
    /// characters `*`, `?` and `\` are written `\*`, `\?`, `\\`.
    pub text: String,
    /// `~` after the term: fuzzy matching (ignored by Lucene on wildcard terms).
    pub fuzzy: Option<Slop>,
}

impl Term {
    /// A term from its wildcard form.
    pub fn new(text: impl Into<String>) -> Term {
        Term {
            text: text.into(),
            fuzzy: None,
        }
    }

    /// Whether the term has an unescaped `*` or `?`.
    pub fn has_wildcard(&self) -> bool {
        let mut chars = self.text.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '*' | '?' => return true,
                _ => {}
            }
        }
        false
    }

    /// The literal text (wildcard escapes undone), when there is no wildcard.
    pub fn literal(&self) -> Option<String> {
        if self.has_wildcard() {
            return None;
        }
        let mut out = String::with_capacity(self.text.len());
        let mut chars = self.text.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        Some(out)
    }
}

/// A quoted phrase.
#[derive(Clone, Debug, PartialEq)]
pub struct Phrase {
    /// The text between the quotes, escapes undone.
    pub text: String,
    /// `~N` after the phrase: proximity (how far apart its words may be).
    pub slop: Option<Slop>,
}

/// A regular expression between slashes.
#[derive(Clone, Debug, PartialEq)]
pub struct Regex {
    /// The pattern as written between the slashes (`\/` stays `\/`), in
    /// Lucene's regular-expression syntax.
    pub pattern: String,
    /// A `~` after the regex: accepted by the grammar, ignored by Lucene.
    pub fuzzy: Option<Slop>,
}

/// A range over the values of a field.
#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    /// The lower end.
    pub lower: Bound,
    /// The upper end.
    pub upper: Bound,
    /// `[` (inclusive) rather than `{` (exclusive).
    pub include_lower: bool,
    /// `]` (inclusive) rather than `}` (exclusive).
    pub include_upper: bool,
}

/// One end of a range.
#[derive(Clone, Debug, PartialEq)]
pub enum Bound {
    /// `*`: unbounded.
    Open,
    /// A value, escapes undone (`"*"` quoted is the literal star).
    Value(String),
}

/// `field:>5`, `field:>=5`, `field:<5`, `field:<=5` (Elasticsearch only).
#[derive(Clone, Debug, PartialEq)]
pub struct Compare {
    /// The comparison.
    pub op: CompareOp,
    /// The value after the operator, escapes undone; never empty.
    pub value: String,
}

/// The operator of a [`Compare`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `>`.
    Gt,
    /// `>=`.
    Gte,
    /// `<`.
    Lt,
    /// `<=`.
    Lte,
}

impl CompareOp {
    /// How it is written.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Gt => ">",
            CompareOp::Gte => ">=",
            CompareOp::Lt => "<",
            CompareOp::Lte => "<=",
        }
    }
}

/// The `~` suffix: edit distance on a term, proximity on a phrase. The text
/// after `~` is kept as written (`2`, `0.5`, `AUTO`); `None` for a bare `~`,
/// which means the default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slop(pub Option<String>);

impl Slop {
    /// The amount as a number, when it reads as one.
    pub fn amount(&self) -> Option<f32> {
        self.0.as_deref().and_then(|s| s.parse().ok())
    }
}

/// Whitespace as the classic query parser knows it.
pub(crate) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{3000}')
}

/// Characters that must be escaped in a term or field name to stay literal.
/// `=`, `<`, `>`, `&` and `|` are not special to Lucene on their own but are
/// reserved by Elasticsearch (or form `&&`/`||`); escaping them is harmless.
fn needs_escape(c: char) -> bool {
    is_space(c)
        || matches!(
            c,
            '+' | '-'
                | '!'
                | '('
                | ')'
                | ':'
                | '^'
                | '['
                | ']'
                | '"'
                | '{'
                | '}'
                | '~'
                | '*'
                | '?'
                | '\\'
                | '/'
                | '&'
                | '|'
                | '='
                | '<'
                | '>'
        )
}

/// Write literal text so that it reads back as one term with that text.
fn write_literal(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    // A term spelled exactly like an operator would be read as one.
    let guard = matches!(text, "AND" | "OR" | "NOT");
    for (i, c) in text.chars().enumerate() {
        if needs_escape(c) || (guard && i == 0) {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    Ok(())
}

/// Write a term in wildcard form: wildcards as is, everything else literal.
fn write_glob(f: &mut fmt::Formatter<'_>, glob: &str) -> fmt::Result {
    if matches!(glob, "AND" | "OR" | "NOT") {
        return write_literal(f, glob);
    }
    let mut chars = glob.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    f.write_char('\\')?;
                    f.write_char(n)?;
                }
            }
            '*' | '?' => f.write_char(c)?,
            c if needs_escape(c) => {
                f.write_char('\\')?;
                f.write_char(c)?;
            }
            c => f.write_char(c)?,
        }
    }
    Ok(())
}

/// Write text between double quotes, escaping `"` and `\`.
fn write_quoted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('"')
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.clauses.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.conj {
            Some(Conj::And) => f.write_str("AND ")?,
            Some(Conj::Or) => f.write_str("OR ")?,
            None => {}
        }
        match self.modifier {
            Some(Modifier::Plus) => f.write_char('+')?,
            Some(Modifier::Minus) => f.write_char('-')?,
            Some(Modifier::Not) => f.write_str("NOT ")?,
            None => {}
        }
        if let Some(field) = &self.field {
            if field == "*" {
                f.write_char('*')?;
            } else {
                write_literal(f, field)?;
            }
            f.write_char(':')?;
        }
        write!(f, "{}", self.node)?;
        if let Some(b) = self.boost {
            write!(f, "^{b}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Slop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('~')?;
        if let Some(s) = &self.0 {
            f.write_str(s)?;
        }
        Ok(())
    }
}

fn write_bound(f: &mut fmt::Formatter<'_>, b: &Bound) -> fmt::Result {
    match b {
        Bound::Open => f.write_char('*'),
        Bound::Value(v) => {
            let bare = !v.is_empty()
                && v != "*"
                && v != "TO"
                && !v
                    .chars()
                    .any(|c| is_space(c) || matches!(c, ']' | '}' | '"' | '\\'));
            if bare {
                f.write_str(v)
            } else {
                write_quoted(f, v)
            }
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Term(t) => {
                write_glob(f, &t.text)?;
                if let Some(s) = &t.fuzzy {
                    write!(f, "{s}")?;
                }
                Ok(())
            }
            Node::Phrase(p) => {
                write_quoted(f, &p.text)?;
                if let Some(s) = &p.slop {
                    write!(f, "{s}")?;
                }
                Ok(())
            }
            Node::Regex(r) => {
                write!(f, "/{}/", r.pattern)?;
                if let Some(s) = &r.fuzzy {
                    write!(f, "{s}")?;
                }
                Ok(())
            }
            Node::Range(r) => {
                f.write_char(if r.include_lower { '[' } else { '{' })?;
                write_bound(f, &r.lower)?;
                f.write_str(" TO ")?;
                write_bound(f, &r.upper)?;
                f.write_char(if r.include_upper { ']' } else { '}' })
            }
            Node::Compare(c) => {
                f.write_str(c.op.as_str())?;
                write_literal(f, &c.value)
            }
            Node::Group(q) => write!(f, "({q})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! display_cases {
        ($($name:ident: $node:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(Clause::new($node).to_string(), $want);
            }
        )*};
    }

    display_cases! {
        plain_term: Node::Term(Term::new("chmod")) => "chmod";
        wildcards_stay: Node::Term(Term::new("cmd*.ex?")) => "cmd*.ex?";
        escaped_star_stays_escaped: Node::Term(Term::new("a\\*b")) => "a\\*b";
        specials_are_escaped: Node::Term(Term::new("a:b/c (d)")) => "a\\:b\\/c\\ \\(d\\)";
        operator_word_is_escaped: Node::Term(Term::new("AND")) => "\\AND";
        lowercase_and_is_a_term: Node::Term(Term::new("and")) => "and";
        phrase_quotes: Node::Phrase(Phrase { text: "say \"hi\" \\o/".into(), slop: Some(Slop(Some("2".into()))) })
            => "\"say \\\"hi\\\" \\\\o/\"~2";
        regex_verbatim: Node::Regex(Regex { pattern: "a\\/b.*".into(), fuzzy: None }) => "/a\\/b.*/";
        range_bare_and_quoted: Node::Range(Range {
            lower: Bound::Value("a b".into()),
            upper: Bound::Open,
            include_lower: true,
            include_upper: false,
        }) => "[\"a b\" TO *}";
        range_literal_star_is_quoted: Node::Range(Range {
            lower: Bound::Value("*".into()),
            upper: Bound::Value("5".into()),
            include_lower: false,
            include_upper: true,
        }) => "{\"*\" TO 5]";
        compare_escapes_value: Node::Compare(Compare { op: CompareOp::Gte, value: "2020-01-01".into() })
            => ">=2020\\-01\\-01";
    }

    #[test]
    fn clause_prints_every_part() {
        let c = Clause {
            conj: Some(Conj::And),
            modifier: Some(Modifier::Not),
            field: Some("file name".into()),
            node: Node::Term(Term {
                text: "x".into(),
                fuzzy: Some(Slop(None)),
            }),
            boost: Some(2.5),
            span: Span::default(),
        };
        assert_eq!(c.to_string(), "AND NOT file\\ name:x~^2.5");
    }

    #[test]
    fn term_literal_and_wildcard() {
        assert_eq!(Term::new("a\\*b").literal().as_deref(), Some("a*b"));
        assert!(Term::new("a*b").has_wildcard());
        assert!(!Term::new("a\\?b\\\\").has_wildcard());
        assert_eq!(Term::new("a?").literal(), None);
    }
}
