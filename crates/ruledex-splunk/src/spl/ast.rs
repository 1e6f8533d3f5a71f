//! The SPL syntax tree, and its printing back to SPL.
//!
//! Spans are kept on words, commands and comparisons, and left out of
//! equality on purpose: two trees are equal when they say the same thing,
//! wherever it was written. `Display` prints a search that [`super::parse`]
//! reads back to an equal tree (words keep their raw spelling, quotes and
//! escapes included; explicit `AND` is printed as the implicit one, which has
//! the same precedence in SPL).

use std::fmt;

use ruledex_diag::Span;
use ruledex_model::pattern::Pattern;

/// A word as written: a quoted string, an unquoted run, or several glued
/// together with no space between (`""*x*""`).
#[derive(Clone, Debug)]
pub struct Word {
    /// The text exactly as written, quotes and escapes included.
    pub raw: String,
    /// Where.
    pub span: Span,
}

impl PartialEq for Word {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl Word {
    /// A word from its raw text (span empty).
    pub fn new(raw: impl Into<String>) -> Word {
        Word {
            raw: raw.into(),
            span: Span::default(),
        }
    }

    /// Whether any part of the word is double-quoted.
    pub fn is_quoted(&self) -> bool {
        self.raw.contains('"')
    }

    /// The text with quotes removed and escapes undone (`\\` → `\`, `\"` → `"`);
    /// `*` stays `*`.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (c, _) in self.chars() {
            out.push(c);
        }
        out
    }

    /// The word as a search pattern: `*` is a wildcard, quoted or not (as in
    /// SPL); `\*` is a literal star.
    pub fn pattern(&self) -> Pattern {
        let mut p = Pattern::default();
        for (c, escaped) in self.chars() {
            if c == '*' && !escaped {
                p.push_star();
            } else {
                p.push_char(c);
            }
        }
        p
    }

    /// The characters with quoting removed, each with whether it was escaped.
    fn chars(&self) -> Vec<(char, bool)> {
        let mut out = Vec::new();
        let mut quoted = false;
        let mut it = self.raw.chars().peekable();
        while let Some(c) = it.next() {
            match c {
                '"' => quoted = !quoted,
                '\\' => match it.peek().copied() {
                    Some(n @ ('\\' | '"')) => {
                        it.next();
                        out.push((n, true));
                    }
                    Some('*') => {
                        it.next();
                        out.push(('*', true));
                    }
                    Some('|') if !quoted => {
                        it.next();
                        out.push(('|', true));
                    }
                    _ => out.push(('\\', false)),
                },
                c => out.push((c, false)),
            }
        }
        out
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// A pipeline: commands separated by `|`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    /// Written with a `|` before the first command (a generating command such
    /// as `tstats` or `inputlookup`).
    pub leading_pipe: bool,
    /// The commands in order.
    pub commands: Vec<Command>,
}

/// One command of a pipeline.
#[derive(Clone, Debug)]
pub struct Command {
    /// What it is.
    pub kind: CommandKind,
    /// From the command name to its last argument.
    pub span: Span,
}

impl PartialEq for Command {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

/// The commands the parser reads structurally; the rest are [`CommandKind::Args`]
/// (known commands read as options and words) or [`CommandKind::Generic`].
#[derive(Clone, Debug, PartialEq)]
pub enum CommandKind {
    /// `search <expr>`, or the implicit search at the start of a pipeline.
    Search {
        /// `search` was written.
        keyword: bool,
        /// The expression (none for a bare `search`).
        expr: Option<SearchExpr>,
    },
    /// `where <eval expression>`.
    Where(EvalExpr),
    /// `tstats … from datamodel=X where … by …`.
    Tstats(Tstats),
    /// `stats`, `eventstats`, `streamstats`.
    Stats(Stats),
    /// `eval a = expr, b = expr`.
    Eval(Vec<Assign>),
    /// `rename a as b, c as d`.
    Rename(Vec<(Word, Word)>),
    /// A macro standing alone as a command: `` `security_content_ctime(firstTime)` ``.
    Macro(MacroCall),
    /// A known command read as options and words (`rex`, `lookup`, `table`, …).
    Args {
        /// The command name as written.
        name: String,
        /// Its arguments.
        args: Vec<Arg>,
    },
    /// Any other command, kept as written.
    Generic {
        /// The command name as written.
        name: String,
        /// Everything after the name, trimmed.
        raw: String,
    },
}

/// A macro call: `` `name` `` or `` `name(arg, …)` ``.
#[derive(Clone, Debug)]
pub struct MacroCall {
    /// The macro name.
    pub name: String,
    /// The arguments as written (trimmed); `None` without parentheses.
    pub args: Option<Vec<String>>,
    /// Everything between the backticks, exactly as written.
    pub raw: String,
    /// From backtick to backtick.
    pub span: Span,
}

impl PartialEq for MacroCall {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl fmt::Display for MacroCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.raw)
    }
}

/// A comparison operator of the search command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=`.
    Eq,
    /// `==`.
    EqEq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl CmpOp {
    /// The SPL spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::EqEq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// A search-command expression. Precedence, loosest first: `AND` (also
/// implicit, between terms), `OR`, `NOT`; the keywords are uppercase only.
#[derive(Clone, Debug)]
pub enum SearchExpr {
    /// `a b` or `a AND b`.
    And(Vec<SearchExpr>),
    /// `a OR b`.
    Or(Vec<SearchExpr>),
    /// `NOT a`.
    Not(Box<SearchExpr>),
    /// `( a )`, kept so that printing gives back what was written.
    Group(Box<SearchExpr>),
    /// `field=value`, `field!=value`, `field>value`, ….
    Compare(Compare),
    /// `field IN (a, b, …)`.
    In {
        /// The field.
        field: Word,
        /// The values.
        values: Vec<Word>,
        /// From the field to the closing parenthesis.
        span: Span,
    },
    /// A bare term, searched for in the raw event.
    Term(Word),
    /// A macro call, expanded when lowering.
    Macro(MacroCall),
    /// `[ subsearch ]`.
    Subsearch(Box<Pipeline>),
}

impl PartialEq for SearchExpr {
    fn eq(&self, other: &Self) -> bool {
        use SearchExpr as S;
        match (self, other) {
            (S::And(a), S::And(b)) | (S::Or(a), S::Or(b)) => a == b,
            (S::Not(a), S::Not(b)) | (S::Group(a), S::Group(b)) => a == b,
            (S::Compare(a), S::Compare(b)) => a == b,
            (
                S::In { field, values, .. },
                S::In {
                    field: f2,
                    values: v2,
                    ..
                },
            ) => field == f2 && values == v2,
            (S::Term(a), S::Term(b)) => a == b,
            (S::Macro(a), S::Macro(b)) => a == b,
            (S::Subsearch(a), S::Subsearch(b)) => a == b,
            _ => false,
        }
    }
}

/// `field op value` in a search.
#[derive(Clone, Debug)]
pub struct Compare {
    /// The field (may be quoted).
    pub field: Word,
    /// The operator.
    pub op: CmpOp,
    /// The value.
    pub value: Word,
    /// From the field to the value.
    pub span: Span,
}

impl PartialEq for Compare {
    fn eq(&self, other: &Self) -> bool {
        self.field == other.field && self.op == other.op && self.value == other.value
    }
}

/// A binary operator of eval expressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `OR`.
    Or,
    /// `XOR`.
    Xor,
    /// `AND`.
    And,
    /// A comparison.
    Cmp(CmpOp),
    /// `LIKE`.
    Like,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `.` (string concatenation).
    Concat,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Rem,
}

impl BinOp {
    /// The SPL spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "OR",
            BinOp::Xor => "XOR",
            BinOp::And => "AND",
            BinOp::Cmp(c) => c.as_str(),
            BinOp::Like => "LIKE",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Concat => ".",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }

    /// Binding strength: higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or | BinOp::Xor => 1,
            BinOp::And => 2,
            BinOp::Cmp(_) | BinOp::Like => 4,
            BinOp::Add | BinOp::Sub | BinOp::Concat => 5,
            BinOp::Mul | BinOp::Div | BinOp::Rem => 6,
        }
    }
}

/// An eval expression (`where`, `eval`, aggregate arguments).
#[derive(Clone, Debug)]
pub enum EvalExpr {
    /// `a op b`.
    Binary {
        /// The operator.
        op: BinOp,
        /// Left operand.
        lhs: Box<EvalExpr>,
        /// Right operand.
        rhs: Box<EvalExpr>,
    },
    /// `NOT a`.
    Not(Box<EvalExpr>),
    /// `-a`.
    Neg(Box<EvalExpr>),
    /// `a IN (b, c)`.
    In {
        /// The tested value.
        lhs: Box<EvalExpr>,
        /// The list.
        list: Vec<EvalExpr>,
    },
    /// `name(args)`.
    Call {
        /// The function name as written.
        name: String,
        /// The arguments.
        args: Vec<EvalExpr>,
        /// From the name to the closing parenthesis.
        span: Span,
    },
    /// A field: a bare name or a `'single-quoted'` one.
    Field(Word),
    /// A `"string"`.
    Str(Word),
    /// A number, or `true`/`false`/`null` words.
    Num(Word),
    /// `( a )`.
    Group(Box<EvalExpr>),
    /// A macro standing for a value (`` `previously_seen_window` ``).
    Macro(MacroCall),
}

impl PartialEq for EvalExpr {
    fn eq(&self, other: &Self) -> bool {
        use EvalExpr as E;
        match (self, other) {
            (
                E::Binary { op, lhs, rhs },
                E::Binary {
                    op: o2,
                    lhs: l2,
                    rhs: r2,
                },
            ) => op == o2 && lhs == l2 && rhs == r2,
            (E::Not(a), E::Not(b)) | (E::Neg(a), E::Neg(b)) | (E::Group(a), E::Group(b)) => a == b,
            (E::In { lhs, list }, E::In { lhs: l2, list: x2 }) => lhs == l2 && list == x2,
            (
                E::Call { name, args, .. },
                E::Call {
                    name: n2, args: a2, ..
                },
            ) => name == n2 && args == a2,
            (E::Field(a), E::Field(b)) | (E::Str(a), E::Str(b)) | (E::Num(a), E::Num(b)) => a == b,
            (E::Macro(a), E::Macro(b)) => a == b,
            _ => false,
        }
    }
}

impl EvalExpr {
    /// From the first to the last character of the expression.
    pub fn span(&self) -> Span {
        match self {
            EvalExpr::Binary { lhs, rhs, .. } => lhs.span().cover(rhs.span()),
            EvalExpr::Not(e) | EvalExpr::Neg(e) | EvalExpr::Group(e) => e.span(),
            EvalExpr::In { lhs, list } => list
                .last()
                .map_or(lhs.span(), |l| lhs.span().cover(l.span())),
            EvalExpr::Call { span, .. } => *span,
            EvalExpr::Field(w) | EvalExpr::Str(w) | EvalExpr::Num(w) => w.span,
            EvalExpr::Macro(m) => m.span,
        }
    }

    fn binds(&self) -> u8 {
        match self {
            EvalExpr::Binary { op, .. } => op.precedence(),
            EvalExpr::Not(_) => 3,
            EvalExpr::In { .. } => 4,
            _ => 9,
        }
    }
}

/// `name = expr` in `eval`.
#[derive(Clone, Debug, PartialEq)]
pub struct Assign {
    /// The field written.
    pub field: Word,
    /// Its value.
    pub value: EvalExpr,
}

/// An aggregate of `stats`/`tstats`: `count`, `dc(user) as users`.
#[derive(Clone, Debug)]
pub struct Agg {
    /// The function name as written.
    pub function: String,
    /// Its arguments (none for a bare `count`).
    pub args: Option<Vec<EvalExpr>>,
    /// `as name`.
    pub alias: Option<Word>,
    /// Where.
    pub span: Span,
}

impl PartialEq for Agg {
    fn eq(&self, other: &Self) -> bool {
        self.function == other.function && self.args == other.args && self.alias == other.alias
    }
}

impl Agg {
    /// The column it writes: the alias, or the call as written (`count`, `dc(user)`).
    pub fn name(&self) -> String {
        match &self.alias {
            Some(a) => a.text(),
            None => {
                let mut s = self.function.clone();
                if let Some(args) = &self.args {
                    let list: Vec<String> = args.iter().map(ToString::to_string).collect();
                    s = format!("{s}({})", list.join(", "));
                }
                s
            }
        }
    }
}

/// `key=value` option of a command.
#[derive(Clone, Debug, PartialEq)]
pub struct Opt {
    /// The option name.
    pub key: String,
    /// The value (a word, or a macro call for `tstats` options).
    pub value: Word,
}

/// `stats`, `eventstats`, `streamstats`.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// Which command (as written).
    pub name: String,
    /// Options before the aggregates.
    pub options: Vec<Opt>,
    /// The aggregates.
    pub aggs: Vec<Agg>,
    /// `by` fields.
    pub by: Vec<Word>,
}

/// One item before `from` in `tstats`, or after it.
#[derive(Clone, Debug, PartialEq)]
pub enum TstatsItem {
    /// `summariesonly=t`.
    Opt(Opt),
    /// A macro standing for options (`` `security_content_summariesonly` ``).
    Macro(MacroCall),
    /// An aggregate.
    Agg(Agg),
}

/// `tstats [options] aggregates from datamodel=X.Y [where …] [by … [span=…]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tstats {
    /// Options, macros and aggregates before `from`.
    pub items: Vec<TstatsItem>,
    /// The data model and dataset (`Endpoint.Processes`).
    pub datamodel: Option<Word>,
    /// The `where` condition (search syntax).
    pub filter: Option<SearchExpr>,
    /// `by` fields.
    pub by: Vec<Word>,
    /// Options after `from` (`span=1h`, `prestats=t`).
    pub options: Vec<Opt>,
}

/// An argument of a command read as options and words.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// `key=value` or `key!=value`.
    Opt {
        /// The key.
        key: Word,
        /// The value.
        value: Word,
        /// Written `!=`.
        negated: bool,
    },
    /// A word.
    Word(Word),
    /// A comma.
    Comma,
    /// `[ subsearch ]`.
    Subsearch(Box<Pipeline>),
    /// A macro call.
    Macro(MacroCall),
}

impl fmt::Display for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.leading_pipe {
            f.write_str("| ")?;
        }
        for (i, c) in self.commands.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

fn join<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T], sep: &str) -> fmt::Result {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{x}")?;
    }
    Ok(())
}

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandKind::Search { keyword, expr } => {
                if *keyword {
                    f.write_str("search")?;
                    if expr.is_some() {
                        f.write_str(" ")?;
                    }
                }
                if let Some(e) = expr {
                    write!(f, "{e}")?;
                }
                Ok(())
            }
            CommandKind::Where(e) => write!(f, "where {e}"),
            CommandKind::Tstats(t) => write!(f, "{t}"),
            CommandKind::Stats(s) => write!(f, "{s}"),
            CommandKind::Eval(list) => {
                f.write_str("eval ")?;
                for (i, a) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}={}", a.field, a.value)?;
                }
                Ok(())
            }
            CommandKind::Rename(pairs) => {
                f.write_str("rename ")?;
                for (i, (a, b)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a} as {b}")?;
                }
                Ok(())
            }
            CommandKind::Macro(m) => write!(f, "{m}"),
            CommandKind::Args { name, args } => {
                f.write_str(name)?;
                for a in args {
                    match a {
                        Arg::Comma => f.write_str(",")?,
                        other => write!(f, " {other}")?,
                    }
                }
                Ok(())
            }
            CommandKind::Generic { name, raw } => {
                f.write_str(name)?;
                if !raw.is_empty() {
                    write!(f, " {raw}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Opt {
                key,
                value,
                negated,
            } => write!(f, "{key}{}{value}", if *negated { "!=" } else { "=" }),
            Arg::Word(w) => write!(f, "{w}"),
            Arg::Comma => f.write_str(","),
            Arg::Subsearch(p) => write!(f, "[{p}]"),
            Arg::Macro(m) => write!(f, "{m}"),
        }
    }
}

impl fmt::Display for Opt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

impl fmt::Display for Agg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.function)?;
        if let Some(args) = &self.args {
            f.write_str("(")?;
            join(f, args, ", ")?;
            f.write_str(")")?;
        }
        if let Some(a) = &self.alias {
            write!(f, " as {a}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for o in &self.options {
            write!(f, " {o}")?;
        }
        for a in &self.aggs {
            write!(f, " {a}")?;
        }
        if !self.by.is_empty() {
            f.write_str(" by ")?;
            join(f, &self.by, " ")?;
        }
        Ok(())
    }
}

impl fmt::Display for Tstats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tstats")?;
        for i in &self.items {
            match i {
                TstatsItem::Opt(o) => write!(f, " {o}")?,
                TstatsItem::Macro(m) => write!(f, " {m}")?,
                TstatsItem::Agg(a) => write!(f, " {a}")?,
            }
        }
        if let Some(d) = &self.datamodel {
            write!(f, " from datamodel={d}")?;
        }
        if let Some(w) = &self.filter {
            write!(f, " where {w}")?;
        }
        if !self.by.is_empty() {
            f.write_str(" by ")?;
            join(f, &self.by, " ")?;
        } else if !self.options.is_empty() {
            // Options read after `by` (or `from`) print after a bare `by`, so
            // that they read back as such.
            f.write_str(" by")?;
        }
        for o in &self.options {
            write!(f, " {o}")?;
        }
        Ok(())
    }
}

impl SearchExpr {
    fn write_operand(&self, f: &mut fmt::Formatter<'_>, parent: u8) -> fmt::Result {
        let own = match self {
            SearchExpr::And(_) => 1,
            SearchExpr::Or(_) => 2,
            _ => 3,
        };
        if own < parent {
            write!(f, "({self})")
        } else {
            write!(f, "{self}")
        }
    }
}

impl fmt::Display for SearchExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SearchExpr::And(items) => {
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    // A nested `And` is only ever a group when parsed; print
                    // built trees so that they read back the same.
                    x.write_operand(f, 2)?;
                }
                Ok(())
            }
            SearchExpr::Or(items) => {
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" OR ")?;
                    }
                    x.write_operand(f, 3)?;
                }
                Ok(())
            }
            SearchExpr::Not(x) => {
                f.write_str("NOT ")?;
                x.write_operand(f, 3)
            }
            SearchExpr::Group(x) => write!(f, "({x})"),
            SearchExpr::Compare(c) => write!(f, "{}{}{}", c.field, c.op.as_str(), c.value),
            SearchExpr::In { field, values, .. } => {
                write!(f, "{field} IN (")?;
                join(f, values, ", ")?;
                f.write_str(")")
            }
            SearchExpr::Term(w) => write!(f, "{w}"),
            SearchExpr::Macro(m) => write!(f, "{m}"),
            SearchExpr::Subsearch(p) => write!(f, "[{p}]"),
        }
    }
}

impl fmt::Display for EvalExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let operand = |f: &mut fmt::Formatter<'_>, e: &EvalExpr, min: u8| {
            if e.binds() < min {
                write!(f, "({e})")
            } else {
                write!(f, "{e}")
            }
        };
        match self {
            EvalExpr::Binary { op, lhs, rhs } => {
                let p = op.precedence();
                operand(f, lhs, p)?;
                write!(f, " {} ", op.as_str())?;
                operand(f, rhs, p + 1)
            }
            EvalExpr::Not(e) => {
                f.write_str("NOT ")?;
                operand(f, e, 3)
            }
            EvalExpr::Neg(e) => {
                f.write_str("-")?;
                operand(f, e, 9)
            }
            EvalExpr::In { lhs, list } => {
                operand(f, lhs, 5)?;
                f.write_str(" IN (")?;
                join(f, list, ", ")?;
                f.write_str(")")
            }
            EvalExpr::Call { name, args, .. } => {
                write!(f, "{name}(")?;
                join(f, args, ", ")?;
                f.write_str(")")
            }
            EvalExpr::Field(w) | EvalExpr::Str(w) | EvalExpr::Num(w) => write!(f, "{w}"),
            EvalExpr::Group(e) => write!(f, "({e})"),
            EvalExpr::Macro(m) => write!(f, "{m}"),
        }
    }
}
