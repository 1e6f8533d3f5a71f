//! KQL parser: recursive descent over the [`Lexer`], following Kibana's grammar.
//!
//! ```text
//! query       := or
//! or          := and ( 'or' and )*
//! and         := not ( 'and' not )*
//! not         := 'not' not | group
//! group       := '(' or ')' | nested | expression
//! nested      := literal ':' '{' or '}'
//! expression  := literal range_op literal        -- field > value
//!              | literal ':' values              -- field: values
//!              | literal                         -- free text
//! values      := 'not' values | '(' or_values ')' | literal
//! or_values   := and_values ( 'or' and_values )*
//! and_values  := values ( 'and' values )*
//! ```
//!
//! Beyond Kibana, `not not x` and `field: not x` are accepted (Kibana wants
//! parentheses: `not (not x)`, `field:(not x)`); both read as they would
//! with the parentheses.

use ruledex_diag::Span;

use super::ast::{FieldMatch, NestedMatch, Query, RangeMatch, ValueList};
use super::tokenizer::Lexer;
use crate::error::{QueryError, QueryErrorKind};

/// Deepest nesting of parentheses, braces and `not` accepted.
pub const MAX_DEPTH: usize = 64;

pub(crate) fn parse(text: &str) -> Result<Query, QueryError> {
    let mut p = Parser {
        lex: Lexer::new(text),
        depth: 0,
    };
    p.lex.skip_ws();
    if p.lex.at_end() {
        return Err(p.unexpected("a query"));
    }
    let q = p.or()?;
    p.lex.skip_ws();
    if !p.lex.at_end() {
        return Err(p.unexpected("`and`, `or` or the end of the query"));
    }
    Ok(q)
}

struct Parser<'a> {
    lex: Lexer<'a>,
    depth: usize,
}

impl Parser<'_> {
    fn unexpected(&self, expected: &'static str) -> QueryError {
        let (found, span) = self.lex.found();
        QueryError::new(QueryErrorKind::Unexpected { expected, found }, span)
    }

    /// Enter one level of nesting.
    fn enter(&mut self, at: usize) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError::new(
                QueryErrorKind::TooDeep { limit: MAX_DEPTH },
                Span::new(at, self.lex.pos()),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Consume `kw` (after optional whitespace, and whitespace after it) if it is next.
    fn keyword(&mut self, kw: &str) -> bool {
        let save = self.lex.pos();
        self.lex.skip_ws();
        if self.lex.eat_keyword(kw) {
            self.lex.skip_ws();
            true
        } else {
            self.lex.reset(save);
            false
        }
    }

    /// Expect `close` after optional whitespace.
    fn close(&mut self, close: char, expected: &'static str) -> Result<usize, QueryError> {
        self.lex.skip_ws();
        if self.lex.eat(close) {
            Ok(self.lex.pos())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn or(&mut self) -> Result<Query, QueryError> {
        let first = self.and()?;
        if !self.keyword("or") {
            return Ok(first);
        }
        let mut items = vec![first, self.and()?];
        while self.keyword("or") {
            items.push(self.and()?);
        }
        Ok(Query::Or(items))
    }

    fn and(&mut self) -> Result<Query, QueryError> {
        let first = self.not()?;
        if !self.keyword("and") {
            return Ok(first);
        }
        let mut items = vec![first, self.not()?];
        while self.keyword("and") {
            items.push(self.not()?);
        }
        Ok(Query::And(items))
    }

    fn not(&mut self) -> Result<Query, QueryError> {
        self.lex.skip_ws();
        let start = self.lex.pos();
        if self.lex.eat_keyword("not") {
            self.lex.skip_ws();
            self.enter(start)?;
            let inner = self.not()?;
            self.leave();
            return Ok(Query::Not(Box::new(inner)));
        }
        self.group()
    }

    fn group(&mut self) -> Result<Query, QueryError> {
        let start = self.lex.pos();
        if self.lex.eat('(') {
            self.enter(start)?;
            let q = self.or()?;
            self.close(')', "`)`")?;
            self.leave();
            return Ok(q);
        }
        let Some(first) = self.lex.literal()? else {
            return Err(self.unexpected("a field, a value or `(`"));
        };
        let after = self.lex.pos();
        self.lex.skip_ws();
        if self.lex.eat(':') {
            self.lex.skip_ws();
            let brace = self.lex.pos();
            if self.lex.eat('{') {
                self.enter(brace)?;
                let query = self.or()?;
                let end = self.close('}', "`}`")?;
                self.leave();
                return Ok(Query::Nested(NestedMatch {
                    span: Span::new(start, end),
                    field: first,
                    query: Box::new(query),
                }));
            }
            let values = self.values()?;
            return Ok(Query::Match(FieldMatch {
                span: Span::new(start, self.lex.pos()),
                field: first,
                values,
            }));
        }
        if let Some(op) = self.lex.range_op() {
            self.lex.skip_ws();
            let Some(value) = self.lex.literal()? else {
                return Err(self.unexpected("a value to compare with"));
            };
            return Ok(Query::Range(RangeMatch {
                span: Span::new(start, self.lex.pos()),
                field: first,
                op,
                value,
            }));
        }
        self.lex.reset(after);
        Ok(Query::FreeText(first))
    }

    /// `values`: a value, a parenthesized list, or `not` before either.
    fn values(&mut self) -> Result<ValueList, QueryError> {
        self.lex.skip_ws();
        let start = self.lex.pos();
        if self.lex.eat_keyword("not") {
            self.lex.skip_ws();
            self.enter(start)?;
            let inner = self.values()?;
            self.leave();
            return Ok(ValueList::Not(Box::new(inner)));
        }
        if self.lex.eat('(') {
            self.enter(start)?;
            let list = self.or_values()?;
            self.close(')', "`)`")?;
            self.leave();
            return Ok(list);
        }
        match self.lex.literal()? {
            Some(v) => Ok(ValueList::Value(v)),
            None => Err(self.unexpected("a value or `(`")),
        }
    }

    fn or_values(&mut self) -> Result<ValueList, QueryError> {
        let first = self.and_values()?;
        if !self.keyword("or") {
            return Ok(first);
        }
        let mut items = vec![first, self.and_values()?];
        while self.keyword("or") {
            items.push(self.and_values()?);
        }
        Ok(ValueList::Or(items))
    }

    fn and_values(&mut self) -> Result<ValueList, QueryError> {
        let first = self.values()?;
        if !self.keyword("and") {
            return Ok(first);
        }
        let mut items = vec![first, self.values()?];
        while self.keyword("and") {
            items.push(self.values()?);
        }
        Ok(ValueList::And(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parse, check that printing reads back to the same tree, and return the print.
    fn round(src: &str) -> String {
        let q = parse(src).unwrap_or_else(|e| panic!("{src:?}: {e} at {:?}", e.span));
        let printed = q.to_string();
        let again = parse(&printed).unwrap_or_else(|e| panic!("reprint {printed:?}: {e}"));
        assert_eq!(again, q, "{src:?} printed as {printed:?}");
        printed
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
        field_value: "process.name:cmd.exe" => "process.name:cmd.exe";
        spaces_around_colon: "process.name : cmd.exe" => "process.name:cmd.exe";
        quoted_value: r#"process.name:"cmd.exe""# => r#"process.name:"cmd.exe""#;
        quoted_field: r#""process.name":x"# => r#""process.name":x"#;
        value_list: "event.type:(start or process_started)" => "event.type:(start or process_started)";
        value_list_one: "event.type:(start)" => "event.type:start";
        value_list_and_not: "user.name:(* and not root)" => "user.name:(* and not root)";
        value_list_nested: "a:((x or y) and z)" => "a:((x or y) and z)";
        value_list_not_without_parens: "a: not x" => "a:(not x)";
        value_list_multiline: "a:(\n  x or\n  \"y\"\n)" => r#"a:(x or "y")"#;
        exists: "host.name:*" => "host.name:*";
        wildcard_value: r"process.args:*\\bin\\* or x:y*" => r"process.args:*\\bin\\* or x:y*";
        range: "score >= 21" => "score >= 21";
        range_no_spaces: "score<5" => "score < 5";
        range_quoted_date: r#"@timestamp < "2024-01-01""# => r#"@timestamp < "2024-01-01""#;
        precedence: "a:1 or b:2 and not c:3" => "a:1 or b:2 and not c:3";
        parens_kept_where_needed: "(a:1 or b:2) and c:3" => "(a:1 or b:2) and c:3";
        redundant_parens_dropped: "(a:1 and b:2) or (c:3)" => "a:1 and b:2 or c:3";
        same_kind_nesting_kept: "(a:1 or b:2) or c:3" => "(a:1 or b:2) or c:3";
        keywords_any_case: "a:1 AND NOT b:2 Or c:3" => "a:1 and not b:2 or c:3";
        not_group: "not (a:1 or b:2)" => "not (a:1 or b:2)";
        not_not: "not not a:1" => "not (not a:1)";
        not_paren_no_space: "not(a:1)" => "not a:1";
        nested: r#"x.y:{ action: "ADD" and role: (a or b) }"# => r#"x.y:{ action:"ADD" and role:(a or b) }"#;
        free_text: "powershell" => "powershell";
        free_text_quoted: r#""Invoke-Mimikatz" and x:1"# => r#""Invoke-Mimikatz" and x:1"#;
        free_text_spaces: "foo bar" => "foo bar";
        value_with_spaces: "a: foo bar" => "a:foo bar";
        value_named_and: "a: and" => r"a:\and";
        // As in Kibana, `and` at the very end is part of the value.
        trailing_and_is_text: "a:1 and" => r"a:1 \and";
        value_list_word_and_end: "a:(x and)" => r"a:x \and";
        escaped_colon_value: r"user.name:system\:serviceaccount\:*" => r"user.name:system\:serviceaccount\:*";
        wildcard_field: "file.hash.*:*" => "file.hash.*:*";
        unicode: r#"x:"OÜ""# => r#"x:"OÜ""#;
        tabs_and_newlines: "a:1\tand\nb:2" => "a:1 and b:2";
        nbsp_is_space: "a:1\u{a0}and b:2" => "a:1 and b:2";
        leading_trailing_ws: "  a:1  " => "a:1";
        value_cannot_be: "x: cannot be" => r"x:can\u006eot be";
        value_starts_with_not_word: "x: nothing" => "x:nothing";
        // Found by the round-trip proptest: `\n` is read before `\not`.
        not_after_escape: r"\:not " => r"\:\u006eot";
        upper_not_in_braces: r#""a":{ \nOT }"# => r#""a":{ \nOT }"#;
    }

    macro_rules! errors {
        ($($name:ident: $input:expr => $code:expr, $span:expr;)*) => {$(
            #[test]
            fn $name() {
                let err = parse($input).expect_err("fails");
                assert_eq!((err.kind.code(), (err.span.start, err.span.end)), ($code, $span), "{err}");
            }
        )*};
    }

    errors! {
        empty: "" => "query-syntax", (0, 0);
        blank: "   " => "query-syntax", (3, 3);
        missing_value: "a:" => "query-syntax", (2, 2);
        missing_close: "(a:1" => "query-syntax", (4, 4);
        missing_close_list: "a:(x or y" => "query-syntax", (9, 9);
        missing_brace: "a:{ b:1" => "query-syntax", (7, 7);
        stray_close: "a:1)" => "query-syntax", (3, 4);
        missing_operator: "a:1 not b:2" => "query-syntax", (4, 7);
        range_without_value: "a >= )" => "query-syntax", (5, 6);
        unterminated: r#"a:"abc"# => "query-unterminated", (2, 6);
        bad_escape: r"path:C:\Windows" => "query-syntax", (6, 7);
        bad_escape_in_value: r"path:C\:\Windows" => "query-invalid-literal", (8, 10);
        two_colons: "a:b:c" => "query-syntax", (3, 4);
    }

    #[test]
    fn long_unexpected_word_is_cut() {
        let src = format!("a:(1) {}", "z".repeat(10_000));
        let err = parse(&src).expect_err("fails");
        assert_eq!((err.span.start, err.span.end), (6, 46));
        assert!(err.to_string().len() < 120, "{err}");
    }

    #[test]
    fn too_deep() {
        let deep = format!(
            "{}a:1{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        let err = parse(&deep).expect_err("too deep");
        assert_eq!(err.kind, QueryErrorKind::TooDeep { limit: MAX_DEPTH });
        let ok = format!("{}a:1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let nots = format!("{}a:1", "not ".repeat(MAX_DEPTH + 1));
        assert!(parse(&nots).is_err());
    }

    #[test]
    fn spans_point_into_the_text() {
        let src = r#"event.category:process and process.name : ( "a" or b* )"#;
        let Query::And(items) = parse(src).unwrap() else {
            panic!("and")
        };
        let Query::Match(m) = &items[1] else {
            panic!("match")
        };
        assert_eq!(m.span.slice(src), Some(r#"process.name : ( "a" or b* )"#));
        assert_eq!(m.field.to_string(), "process.name");
        let ValueList::Or(vs) = &m.values else {
            panic!("or")
        };
        let ValueList::Value(b) = &vs[1] else {
            panic!("value")
        };
        assert_eq!(b.span.slice(src), Some("b*"));
    }
}
