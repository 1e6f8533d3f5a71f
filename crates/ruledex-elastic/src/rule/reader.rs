//! Typed access to the rule tree, reporting every misfit with its span.

use ruledex_diag::Span;

use super::error::{Error, ErrorKind};
use super::node::{Node, Value};

/// How bad a misfit is: an error loses what the rule detects, a warning only
/// descriptive metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    Error,
    Warning,
}

/// The file being read and what has gone wrong so far.
pub(crate) struct Cx<'t> {
    pub(crate) text: &'t str,
    pub(crate) errors: Vec<Error>,
    pub(crate) warnings: Vec<Error>,
}

impl<'t> Cx<'t> {
    pub(crate) fn new(text: &'t str) -> Cx<'t> {
        Cx {
            text,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub(crate) fn report(&mut self, level: Level, kind: ErrorKind, span: Span) {
        let e = Error::new(kind, span);
        match level {
            Level::Error => self.errors.push(e),
            Level::Warning => self.warnings.push(e),
        }
    }

    pub(crate) fn wrong_type(
        &mut self,
        level: Level,
        key: String,
        expected: &'static str,
        node: &Node,
        fallback: Span,
    ) {
        self.report(
            level,
            ErrorKind::WrongType {
                key,
                expected,
                found: node.kind(),
            },
            node.span_or(fallback),
        );
    }

    /// The file text a node is written as (empty for implied tables).
    pub(crate) fn slice(&self, node: &Node) -> &'t str {
        node.span
            .and_then(|s| s.slice(self.text))
            .unwrap_or_default()
    }

    /// `table.key` as a string; `None` when absent or not a string (reported).
    pub(crate) fn string<'n>(
        &mut self,
        level: Level,
        table: &'n Node,
        path: &str,
        key: &str,
        fallback: Span,
    ) -> Option<&'n str> {
        let node = table.get(key)?;
        match node.as_str() {
            Some(s) => Some(s),
            None => {
                self.wrong_type(level, format!("{path}.{key}"), "a string", node, fallback);
                None
            }
        }
    }

    /// `table.key` as a list of strings (one string counts as a list of one);
    /// `None` when absent or of another type (reported).
    pub(crate) fn strings(
        &mut self,
        level: Level,
        table: &Node,
        path: &str,
        key: &str,
        fallback: Span,
    ) -> Option<Vec<String>> {
        let node = table.get(key)?;
        let list = match &node.value {
            Value::Str(s) => Some(vec![s.clone()]),
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect(),
            _ => None,
        };
        if list.is_none() {
            self.wrong_type(
                level,
                format!("{path}.{key}"),
                "a string or an array of strings",
                node,
                fallback,
            );
        }
        list
    }

    /// `table.key` as an integer; `None` when absent or not an integer (reported).
    pub(crate) fn int(
        &mut self,
        level: Level,
        table: &Node,
        path: &str,
        key: &str,
        fallback: Span,
    ) -> Option<i64> {
        let node = table.get(key)?;
        let value = node.as_int();
        if value.is_none() {
            self.wrong_type(level, format!("{path}.{key}"), "an integer", node, fallback);
        }
        value
    }
}
