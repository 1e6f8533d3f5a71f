//! Thin helpers over `saphyr`'s marked YAML: byte spans and typed access.

use ruledex_diag::{CharToByte, Span};
use saphyr::{MarkedYaml, Scalar, YamlData};

use crate::error::{Error, ErrorKind};

/// A YAML node with its position.
pub(crate) type Node<'a> = MarkedYaml<'a>;

/// The source text of a file, able to turn YAML markers into byte spans.
pub(crate) struct Source<'a> {
    pub(crate) text: &'a str,
    chars: CharToByte,
}

impl<'a> Source<'a> {
    pub(crate) fn new(text: &'a str) -> Source<'a> {
        Source {
            text,
            chars: CharToByte::new(text),
        }
    }

    /// Byte offset of a YAML marker.
    pub(crate) fn offset(&self, m: &saphyr::Marker) -> usize {
        self.chars.byte(m.index())
    }

    /// The byte span of a node, with trailing whitespace trimmed (block
    /// collections end at the start of the next line).
    pub(crate) fn span(&self, node: &Node<'_>) -> Span {
        let start = self.offset(&node.span.start);
        let mut end = self.offset(&node.span.end).max(start);
        let bytes = self.text.as_bytes();
        while end > start && bytes.get(end - 1).is_some_and(u8::is_ascii_whitespace) {
            end -= 1;
        }
        Span::new(start, end)
    }
}

/// The string of a scalar string node.
pub(crate) fn as_str<'n>(node: &'n Node<'_>) -> Option<&'n str> {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => Some(s),
        _ => None,
    }
}

/// The text of any scalar (strings, numbers, booleans) as written in value form.
pub(crate) fn scalar_text(node: &Node<'_>) -> Option<String> {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
        YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
        YamlData::Value(Scalar::FloatingPoint(f)) => Some(f.to_string()),
        YamlData::Value(Scalar::Boolean(b)) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether the node is a YAML null (`~`, `null`, or nothing).
pub(crate) fn is_null(node: &Node<'_>) -> bool {
    matches!(node.data, YamlData::Value(Scalar::Null))
}

/// The entries of a mapping node, in document order; `None` if not a mapping.
pub(crate) fn entries<'n, 'a>(node: &'n Node<'a>) -> Option<Vec<(&'n Node<'a>, &'n Node<'a>)>> {
    match &node.data {
        YamlData::Mapping(m) => Some(m.iter().collect()),
        _ => None,
    }
}

/// The items of a sequence node; `None` if not a sequence.
pub(crate) fn items<'n, 'a>(node: &'n Node<'a>) -> Option<&'n [Node<'a>]> {
    match &node.data {
        YamlData::Sequence(s) => Some(s),
        _ => None,
    }
}

/// A time span (`5m`, `1h`) as a window; an error when it has no known unit.
pub(crate) fn window(src: &Source<'_>, node: &Node<'_>) -> Result<ruledex_model::Window, Error> {
    let text = scalar_text(node).unwrap_or_default();
    let w = ruledex_model::Window::parse(&text);
    if w.seconds.is_none() {
        return Err(Error::new(
            ErrorKind::InvalidTimespan { value: text },
            src.span(node),
        ));
    }
    Ok(w)
}

/// A typed view of a mapping that looks keys up by string.
pub(crate) struct Map<'n, 'a> {
    pub(crate) entries: Vec<(&'n Node<'a>, &'n Node<'a>)>,
}

impl<'n, 'a> Map<'n, 'a> {
    pub(crate) fn new(node: &'n Node<'a>) -> Option<Map<'n, 'a>> {
        entries(node).map(|entries| Map { entries })
    }

    /// The key node and value node for `key`.
    pub(crate) fn entry(&self, key: &str) -> Option<(&'n Node<'a>, &'n Node<'a>)> {
        self.entries
            .iter()
            .copied()
            .find(|(k, _)| as_str(k) == Some(key))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'n Node<'a>> {
        self.entry(key).map(|(_, v)| v)
    }

    /// A string value (numbers and booleans are accepted and written out);
    /// `Ok(None)` when absent or null.
    pub(crate) fn string(&self, src: &Source<'_>, key: &str) -> Result<Option<String>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if is_null(v) => Ok(None),
            Some(v) => scalar_text(v).map(Some).ok_or_else(|| {
                Error::new(
                    ErrorKind::WrongType {
                        key: key.to_owned(),
                        expected: "a string",
                    },
                    src.span(v),
                )
            }),
        }
    }

    /// A list of strings; a single string is accepted as a one-item list.
    pub(crate) fn strings(&self, src: &Source<'_>, key: &str) -> Result<Vec<String>, Error> {
        let Some(v) = self.get(key) else {
            return Ok(Vec::new());
        };
        if is_null(v) {
            return Ok(Vec::new());
        }
        if let Some(s) = scalar_text(v) {
            return Ok(vec![s]);
        }
        let wrong = |n: &Node<'_>| {
            Error::new(
                ErrorKind::WrongType {
                    key: key.to_owned(),
                    expected: "a list of strings",
                },
                src.span(n),
            )
        };
        let list = items(v).ok_or_else(|| wrong(v))?;
        list.iter()
            .filter(|n| !is_null(n))
            .map(|n| scalar_text(n).ok_or_else(|| wrong(n)))
            .collect()
    }
}
