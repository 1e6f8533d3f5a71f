//! A TOML document as a tree whose every value knows where it is written.
//!
//! `toml::Value` forgets positions, and `toml::Spanned<T>` fails on tables the
//! document only implies (`[rule.threat.tactic]` implies `rule.threat`; a dotted
//! key `a.b = 1` implies `a`). This tree asks the deserializer for a span on
//! every value and key and takes what it gets, so implied tables simply have
//! none. Nesting is bounded by the TOML parser itself (it refuses documents
//! nested deeper than its recursion limit), so building and walking the tree
//! cannot exhaust the stack.

use std::fmt;
use std::sync::OnceLock;

use ruledex_diag::Span;
use serde::Deserialize as _;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// One TOML value and where it is written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    /// The value's text in the file (quotes and brackets included); `None` for
    /// tables the document only implies.
    pub(crate) span: Option<Span>,
    /// The value.
    pub(crate) value: Value,
}

/// A TOML value whose children are [`Node`]s.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// An offset date-time, local date-time, date or time, as written.
    Datetime(String),
    Array(Vec<Node>),
    Table(Vec<Entry>),
}

/// A key of a table and its value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_span: Option<Span>,
    pub(crate) node: Node,
}

impl Node {
    /// Parse a whole document. The error is the TOML parser's message and span.
    pub(crate) fn parse(text: &str) -> Result<Node, toml::de::Error> {
        NodeSeed.deserialize(toml::Deserializer::new(text))
    }

    /// The entry for `key`, when this is a table that has it.
    pub(crate) fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Table(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The value of `key`, when this is a table that has it.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.node)
    }

    /// The entries, when this is a table.
    pub(crate) fn entries(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Table(entries) => Some(entries),
            _ => None,
        }
    }

    /// The string, when this is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, when this is one.
    pub(crate) fn as_int(&self) -> Option<i64> {
        match &self.value {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The boolean, when this is one.
    pub(crate) fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The items, when this is an array.
    pub(crate) fn as_array(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Where the value is written, or `fallback` for implied tables.
    pub(crate) fn span_or(&self, fallback: Span) -> Span {
        self.span.unwrap_or(fallback)
    }

    /// What kind of value this is, for messages (`a string`, `a table`).
    pub(crate) fn kind(&self) -> &'static str {
        match self.value {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Bool(_) => "a boolean",
            Value::Datetime(_) => "a date-time",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }

    /// The value as JSON, for metadata kept verbatim in `Rule::extra`.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Str(s) | Value::Datetime(s) => serde_json::Value::String(s.clone()),
            Value::Int(i) => (*i).into(),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Bool(b) => (*b).into(),
            Value::Array(items) => items.iter().map(Node::to_json).collect(),
            Value::Table(entries) => entries
                .iter()
                .map(|e| (e.key.clone(), e.node.to_json()))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }
}

/// The struct name and field names by which `toml::Spanned` and
/// `toml::value::Datetime` ask the TOML deserializer for a span or a
/// date-time. They are private to the toml crates, so they are read once from
/// the types themselves rather than copied here.
struct Magic {
    spanned_name: &'static str,
    spanned_fields: &'static [&'static str],
    datetime_field: &'static str,
}

fn magic() -> &'static Magic {
    static MAGIC: OnceLock<Magic> = OnceLock::new();
    MAGIC.get_or_init(|| {
        let spanned = Recorder::record(|r| toml::Spanned::<()>::deserialize(r).map(drop));
        let datetime = Recorder::record(|r| toml::value::Datetime::deserialize(r).map(drop));
        Magic {
            spanned_name: spanned.0,
            spanned_fields: spanned.1,
            datetime_field: datetime.1.first().copied().unwrap_or(""),
        }
    })
}

/// A deserializer that only records the struct name and fields it is asked for.
struct Recorder<'r> {
    seen: &'r mut (&'static str, &'static [&'static str]),
}

impl Recorder<'_> {
    fn record(
        f: impl FnOnce(Recorder<'_>) -> Result<(), de::value::Error>,
    ) -> (&'static str, &'static [&'static str]) {
        let mut seen: (&'static str, &'static [&'static str]) = ("", &[]);
        let _ = f(Recorder { seen: &mut seen });
        seen
    }
}

impl<'de> Deserializer<'de> for Recorder<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("recorder"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.seen = (name, fields);
        Err(de::Error::custom("recorder"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// Deserializes a [`Node`], asking for its span.
struct NodeSeed;

impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        let m = magic();
        d.deserialize_struct(m.spanned_name, m.spanned_fields, NodeVisitor)
    }
}

/// Deserializes a [`Node`] whose span is already known (the inside of a
/// spanned value): asking for a span again would loop.
struct PlainSeed;

impl<'de> DeserializeSeed<'de> for PlainSeed {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

fn plain(value: Value) -> Node {
    Node { span: None, value }
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(plain(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(plain(Value::Int(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        i64::try_from(v)
            .map(|i| plain(Value::Int(i)))
            .map_err(|_| E::custom("integer out of range"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(plain(Value::Float(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(plain(Value::Str(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(plain(Value::Str(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(NodeSeed)? {
            items.push(item);
        }
        Ok(plain(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let m = magic();
        let Some((first, first_span)) = map.next_key_seed(KeySeed)? else {
            return Ok(plain(Value::Table(Vec::new())));
        };
        if m.spanned_fields.first() == Some(&first.as_str()) {
            // A spanned value: start, end, then the value itself.
            let start: usize = map.next_value()?;
            let _end_key = map.next_key_seed(KeySeed)?;
            let end: usize = map.next_value()?;
            let _value_key = map.next_key_seed(KeySeed)?;
            let mut node = map.next_value_seed(PlainSeed)?;
            node.span = Some(Span::new(start, end));
            return Ok(node);
        }
        if !m.datetime_field.is_empty() && first == m.datetime_field {
            let text: String = map.next_value()?;
            return Ok(plain(Value::Datetime(text)));
        }
        let mut entries = vec![Entry {
            key: first,
            key_span: first_span,
            node: map.next_value_seed(NodeSeed)?,
        }];
        while let Some((key, key_span)) = map.next_key_seed(KeySeed)? {
            let node = map.next_value_seed(NodeSeed)?;
            entries.push(Entry {
                key,
                key_span,
                node,
            });
        }
        Ok(plain(Value::Table(entries)))
    }
}

/// Deserializes a table key, asking for its span.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = (String, Option<Span>);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let m = magic();
        d.deserialize_struct(m.spanned_name, m.spanned_fields, KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = (String, Option<Span>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((v.to_owned(), None))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok((v, None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut start = None;
        let mut end = None;
        let mut key = None;
        let fields = magic().spanned_fields;
        while let Some(name) = map.next_key::<String>()? {
            match fields.iter().position(|f| *f == name) {
                Some(0) => start = Some(map.next_value::<usize>()?),
                Some(1) => end = Some(map.next_value::<usize>()?),
                _ => key = Some(map.next_value::<String>()?),
            }
        }
        let key = key.ok_or_else(|| de::Error::custom("spanned key without a value"))?;
        let span = start.zip(end).map(|(s, e)| Span::new(s, e));
        Ok((key, span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        Node::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn slice<'a>(text: &'a str, node: &Node) -> &'a str {
        node.span.and_then(|s| s.slice(text)).unwrap_or("<none>")
    }

    #[test]
    fn values_and_keys_have_spans() {
        let text = "[rule]\nname = \"x\"\nrisk = 47\ntags = [\"a\", 'b']\n";
        let doc = parse(text);
        let rule = doc.get("rule").unwrap();
        assert_eq!(slice(text, rule.get("name").unwrap()), "\"x\"");
        assert_eq!(slice(text, rule.get("risk").unwrap()), "47");
        let tags = rule.get("tags").unwrap();
        assert_eq!(slice(text, tags), "[\"a\", 'b']");
        assert_eq!(slice(text, &tags.as_array().unwrap()[1]), "'b'");
        let entry = rule.entry("risk").unwrap();
        assert_eq!(entry.key_span.and_then(|s| s.slice(text)), Some("risk"));
        assert!(slice(text, rule).starts_with("[rule]"));
    }

    #[test]
    fn implied_tables_have_no_span_but_their_values_do() {
        let text = "[rule.threat.tactic]\nid = \"TA0007\"\n[rule]\nx.y = 1\n";
        let doc = parse(text);
        let rule = doc.get("rule").unwrap();
        let xy = rule.get("x").unwrap();
        assert_eq!(xy.span, None);
        assert_eq!(slice(text, xy.get("y").unwrap()), "1");
        let id = rule.get("threat").unwrap().get("tactic").unwrap().get("id");
        assert_eq!(slice(text, id.unwrap()), "\"TA0007\"");
    }

    #[test]
    fn datetimes_are_kept_as_written() {
        let doc = parse("d = 1979-05-27\nt = 1979-05-27T07:32:00Z\n");
        assert_eq!(
            doc.get("d").unwrap().value,
            Value::Datetime("1979-05-27".into())
        );
        assert_eq!(doc.get("t").unwrap().kind(), "a date-time");
    }

    #[test]
    fn arrays_of_tables_and_json() {
        let text = "[[a]]\nx = 1\n[[a]]\nx = 2.5\ny = true\n";
        let doc = parse(text);
        assert_eq!(
            doc.to_json(),
            serde_json::json!({"a": [{"x": 1}, {"x": 2.5, "y": true}]})
        );
        let items = doc.get("a").unwrap().as_array().unwrap();
        assert!(slice(text, &items[1]).starts_with("[[a]]\nx = 2.5"));
    }

    #[test]
    fn syntax_errors_have_spans() {
        let err = Node::parse("a = \"open\n").unwrap_err();
        assert!(err.span().is_some());
    }
}
