"""Parse converted queries into one normalized boolean form, to compare them.

Both pySigma's and ruledex's queries for a target are parsed by the same
small parser of that target's language (only the part of the language the
two converters write) into a tree:

    ("and", children) | ("or", children) | ("not", child)
    ("p", field, op, value, ci)     a predicate; field None for a keyword
    ("raw", text)                   a piece the parser does not model

`op` is one of eq, contains, startswith, endswith, wildcard, regex, cidr,
exists, empty, term, gt, gte, lt, lte. A wildcard pattern is reduced to
eq/contains/startswith/endswith when its shape allows (`*x*` is contains x),
so `F like~ "*x*"`, `F contains "x"`, `F:*x*` and `F="*x*"` all become
("p", F, "contains", "x", ci). `ci` says whether the comparison ignores case;
a value without cased letters is compared the same either way, so it gets
ci=True; a case-insensitive value is lowercased.

`normalize` flattens nested and/or, removes duplicates, sorts operands and
removes double negation. Two queries whose trees are equal match the same
events (given the same field names): they differ only in parenthesization,
operand order, quoting/escaping, list-vs-disjunction or operator spelling.
The parser is total: what it cannot read becomes ("raw", text), which only
equals the same text.
"""

import re

# ---------------------------------------------------------------- tokens

TOKEN_RE = {
    # word: identifiers, field paths, numbers, bare Lucene/SPL values.
    "kusto": re.compile(
        r"""\s*(?:(?P<str>@?"(?:[^"\\]|\\.)*"|@?'(?:[^'\\]|\\.)*')|(?P<qfield>\['(?:[^'\\]|\\.)*'\])|"""
        r"""(?P<op>==|!=|=~|!~|>=|<=|>|<|\(|\)|,|\|)|(?P<word>[A-Za-z0-9_.$\-:~!@*/]+))"""
    ),
    "eql": re.compile(
        r"""\s*(?:(?P<str>\"\"\"(?:.|\n)*?\"\"\"|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<qfield>`[^`]*`)|"""
        r"""(?P<op>==|!=|>=|<=|>|<|:|\(|\)|,|\[|\])|(?P<word>\??[A-Za-z0-9_.@\-~]+))"""
    ),
    "esql": re.compile(
        r"""\s*(?:(?P<str>\"\"\"(?:.|\n)*?\"\"\"|"(?:[^"\\]|\\.)*")|(?P<qfield>`(?:[^`]|``)*`)|"""
        r"""(?P<op>==|!=|>=|<=|>|<|:|\(|\)|,|\|)|(?P<word>[A-Za-z0-9_.@\-*]+))"""
    ),
}


class Tok:
    __slots__ = ("kind", "text")

    def __init__(self, kind, text):
        self.kind, self.text = kind, text

    def __repr__(self):
        return f"{self.kind}:{self.text}"


def tokenize(lang, text):
    rx = TOKEN_RE[lang]
    pos, out = 0, []
    n = len(text)
    while pos < n:
        if text[pos].isspace():
            pos += 1
            continue
        m = rx.match(text, pos)
        if not m or m.end() == pos:
            raise ParseError(f"cannot tokenize at {text[pos:pos + 20]!r}")
        kind = m.lastgroup
        out.append(Tok(kind, m.group(kind)))
        pos = m.end()
    return out


class ParseError(Exception):
    pass


def unquote_c(s):
    """A double- or single-quoted string with backslash escapes."""
    if s.startswith('"""'):
        return s[3:-3]
    if s.startswith("@"):
        q = s[1]
        return s[2:-1].replace(q + q, q)
    body = s[1:-1]
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


# ------------------------------------------------------- patterns, values


def lit_to_pat(s):
    """A literal string as a pattern (wildcard characters escaped)."""
    return s.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def pattern_parts(pat):
    """Split a pattern into literal text and the wildcards * and ?."""
    parts, buf, i = [], [], 0
    while i < len(pat):
        c = pat[i]
        if c == "\\" and i + 1 < len(pat):
            buf.append(pat[i + 1])
            i += 2
            continue
        if c in "*?":
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(c if c == "?" else STAR)
        else:
            buf.append(c)
        i += 1
    if buf:
        parts.append("".join(buf))
    # Consecutive stars are one star.
    merged = []
    for p in parts:
        if p is STAR and merged and merged[-1] is STAR:
            continue
        merged.append(p)
    return merged


class _Star:
    def __repr__(self):
        return "*"


STAR = _Star()


def regex_to_pattern(rx):
    """A regular expression that only says "these characters, with anything
    between" as a wildcard pattern (search semantics: unanchored ends match
    anything); None when it says more. Returns (pattern, case-insensitive)."""
    ci = False
    if rx.startswith("(?i)"):
        ci, rx = True, rx[4:]
    start = rx.startswith("^")
    end = rx.endswith("$") and not rx.endswith("\\$")
    body = rx[1 if start else 0: len(rx) - 1 if end else len(rx)]
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if body.startswith(".*", i):
            out.append("*")
            i += 2
        elif c == "." and not body.startswith(".+", i) and not body.startswith(".?", i) and not body.startswith(".{", i):
            out.append("?")
            i += 1
        elif c == "\\" and i + 1 < len(body) and not body[i + 1].isalnum():
            out.append(lit_to_pat(body[i + 1]))
            i += 2
        elif c in ".^$|?*+()[]{}\\":
            return None
        else:
            out.append(lit_to_pat(c))
            i += 1
    return ("" if start else "*") + "".join(out) + ("" if end else "*"), ci


# Lucene's regular expressions (Lucene `/…/`, EQL `regex`, ES|QL `RLIKE`)
# must match the whole value, where Kusto's `matches regex` and SPL's regex
# search in it. Set while parsing a Lucene-dialect target.
REGEX_FULL_MATCH = [False]

# Characters that are operators in Lucene's syntax, beside the always
# reserved `.?+*|{}[]()"\`: Elasticsearch enables the optional ones by
# default (`@` any string, `&` intersection, `~` complement, `<1-9>`, `#`).
LUCENE_OPTIONAL = "#@&<>~"
INF = float("inf")
# The predicates of the last parse() that were written as a Lucene regular
# expression and read as a wildcard pattern (see compare.unanchored_regex).
REGEX_DERIVED = set()


def lucene_regex_items(rx):
    """A Lucene regular expression as a list of items (kind, text, lo, hi):
    kind `lit` (one literal character), `any` (`.`), `class` (a character class,
    canonical text), or `op` (`(`, `)`, `|` or an optional operator), each with
    its repetition bounds. None for what this reader does not model (a quoted
    string, a quantifier on a quantifier, an unbalanced class)."""
    items, i = [], 0
    while i < len(rx):
        c = rx[i]
        if c == "\\":
            if i + 1 >= len(rx):
                return None
            items.append(["lit", rx[i + 1], 1, 1])
            i += 2
        elif c == "[":
            cls = lucene_class(rx, i)
            if cls is None:
                return None
            text, i = cls
            items.append(["class", text, 1, 1])
        elif c == ".":
            items.append(["any", ".", 1, 1])
            i += 1
        elif c in "*+?{":
            if not items or items[-1][0] == "op" and items[-1][1] in "(|" or len(items[-1]) > 4:
                return None  # nothing to repeat, or a quantifier on a quantifier
            if c == "{":
                j = rx.find("}", i)
                m = re.fullmatch(r"(\d+)(,(\d*))?", rx[i + 1: j]) if j > 0 else None
                if not m:
                    return None
                lo = int(m.group(1))
                hi = lo if m.group(2) is None else (INF if m.group(3) == "" else int(m.group(3)))
                i = j + 1
            else:
                lo, hi = {"*": (0, INF), "+": (1, INF), "?": (0, 1)}[c]
                i += 1
            items[-1][2:4] = [lo, hi]
            items[-1].append("q")
        elif c == '"':
            return None
        elif c in "()|" or c in LUCENE_OPTIONAL:
            items.append(["op", c, 1, 1])
            i += 1
        else:
            items.append(["lit", c, 1, 1])
            i += 1
    return items


def lucene_class(rx, i):
    """The character class starting at rx[i] == "[" as canonical text (sorted
    ranges, every non-alphanumeric character escaped) and the index after it;
    None when it is not a plain class of characters."""
    j, neg = i + 1, False
    if j < len(rx) and rx[j] == "^":
        neg, j = True, j + 1
    chars = []
    while j < len(rx) and rx[j] != "]":
        c = rx[j]
        if c == "\\":
            if j + 1 >= len(rx):
                return None
            c, j = rx[j + 1], j + 2
        else:
            j += 1
        chars.append(c)
    if j >= len(rx) or not chars:
        return None
    # Ranges: `a-z` (a `-` first or last is literal).
    points, k = set(), 0
    while k < len(chars):
        if k + 2 < len(chars) and chars[k + 1] == "-" and not _escaped_dash(rx, i, chars, k + 1):
            lo, hi = ord(chars[k]), ord(chars[k + 2])
            if hi < lo or hi - lo > 5000:
                return None
            points.update(range(lo, hi + 1))
            k += 3
        else:
            points.add(ord(chars[k]))
            k += 1
    out, ps = [], sorted(points)
    k = 0
    while k < len(ps):
        e = k
        while e + 1 < len(ps) and ps[e + 1] == ps[e] + 1:
            e += 1
        esc = lambda p: chr(p) if chr(p).isalnum() else "\\" + chr(p)  # noqa: E731
        out.append(esc(ps[k]) if e == k else esc(ps[k]) + "-" + esc(ps[e]))
        k = e + 1
    return "[" + ("^" if neg else "") + "".join(out) + "]", j + 1


def _escaped_dash(rx, start, chars, k):
    """Whether the `-` at chars[k] of the class at rx[start] was written `\\-`."""
    # Re-scan the class text to find how the k-th character was written.
    j, n = start + 1, 0
    if rx[j] == "^":
        j += 1
    while n <= k:
        if rx[j] == "\\":
            if n == k:
                return True
            j += 2
        else:
            if n == k:
                return False
            j += 1
        n += 1
    return False


def canonical_lucene_regex(rx):
    """A Lucene regular expression in one spelling: literals escaped alike
    (`\\:` and `:` are the same character), classes as sorted ranges, a group
    holding only `.` read as `.`, and each run of `.` items with an unbounded
    one written as one item (`.*.+` is `.+`, `.*(.){200,}.*` is `.{200,}`):
    the same language, so two spellings of one expression compare equal.
    None when the expression is outside what lucene_regex_items reads."""
    items = lucene_regex_items(rx)
    if items is None:
        return None
    # `(.)` with its quantifier is `.` with it.
    k, flat = 0, []
    while k < len(items):
        it = items[k]
        if (it[0] == "op" and it[1] == "(" and k + 2 < len(items) and items[k + 1][0] == "any"
                and items[k + 1][2:4] == [1, 1] and items[k + 2][0] == "op" and items[k + 2][1] == ")"):
            flat.append(["any", ".", items[k + 2][2], items[k + 2][3]])
            k += 3
            continue
        flat.append(it)
        k += 1
    out, k = [], 0
    while k < len(flat):
        it = flat[k]
        if it[0] == "any":
            e = k
            while e + 1 < len(flat) and flat[e + 1][0] == "any":
                e += 1
            run = flat[k: e + 1]
            if any(r[3] == INF for r in run):
                lo = sum(r[2] for r in run)
                out.append(".*" if lo == 0 else ".+" if lo == 1 else ".{%d,}" % lo)
            else:
                out.extend(_item_text(r) for r in run)
            k = e + 1
            continue
        out.append(_item_text(it))
        k += 1
    return "".join(out)


def _item_text(it):
    kind, text, lo, hi = it[:4]
    if kind == "lit":
        base = text if text.isalnum() else "\\" + text
    else:
        base = text
    if (lo, hi) == (1, 1):
        return base
    q = {(0, INF): "*", (1, INF): "+", (0, 1): "?"}.get((lo, hi))
    if q is None:
        q = "{%d}" % lo if lo == hi else "{%d,}" % lo if hi == INF else "{%d,%d}" % (lo, hi)
    return base + q


def lucene_regex_to_pattern(rx):
    """A whole-value Lucene regular expression that is only literals, `.`
    and `.*` as a wildcard pattern (anchored at both ends); else None."""
    items = lucene_regex_items(rx)
    if items is None:
        return None
    out = []
    for kind, text, lo, hi, *_ in items:
        if kind == "lit" and (lo, hi) == (1, 1):
            out.append(lit_to_pat(text))
        elif kind == "any" and (lo, hi) == (1, 1):
            out.append("?")
        elif kind == "any" and (lo, hi) == (0, INF):
            out.append("*")
        else:
            return None
    return "".join(out)


def split_alternation(rx):
    """Top-level alternatives of a regular expression (`a|(?:b)|c`), each
    without a wrapping non-capturing group; [rx] when there is one."""
    parts, depth, cls, i, start = [], 0, False, 0, 0
    while i < len(rx):
        c = rx[i]
        if c == "\\":
            i += 2
            continue
        if cls:
            cls = c != "]"
        elif c == "[":
            cls = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(rx[start:i])
            start = i + 1
        i += 1
    parts.append(rx[start:])
    out = []
    for p in parts:
        if p.startswith("(?:") and p.endswith(")") and len(split_alternation(p[3:-1])) == 1 and _balanced(p[3:-1]):
            p = p[3:-1]
        out.append(p)
    return out


def split_lucene_alternation(rx):
    """Top-level alternatives of a Lucene regular expression; [rx] when there
    is one (or it cannot be read)."""
    items = lucene_regex_items(rx)
    if items is None:
        return [rx]
    parts, depth, cur = [], 0, []
    for it in items:
        if it[0] == "op" and it[1] == "(":
            depth += 1
        elif it[0] == "op" and it[1] == ")":
            depth -= 1
        if it[0] == "op" and it[1] == "|" and depth == 0:
            parts.append(cur)
            cur = []
        else:
            cur.append(it)
    parts.append(cur)
    if len(parts) == 1 or any(not p for p in parts):
        return [rx]
    return ["".join(_item_text(it) for it in p) for p in parts]


def _balanced(rx):
    depth, i = 0, 0
    while i < len(rx):
        if rx[i] == "\\":
            i += 2
            continue
        depth += {"(": 1, ")": -1}.get(rx[i], 0)
        if depth < 0:
            return False
        i += 1
    return depth == 0


def pred(field, op, value, ci):
    """A predicate; a wildcard pattern is reduced to the simplest operator,
    and so is a regular expression that is only a wildcard pattern; a
    regular expression `a|b` is the disjunction of `a` and `b`."""
    if op == "regex" and REGEX_FULL_MATCH[0]:
        # Lucene's dialect: no `(?i)`, `(?:`, `^` or `$`; the expression
        # matches the whole value.
        alts = split_lucene_alternation(value)
        if len(alts) > 1:
            return ("or", tuple(pred(field, op, a, ci) for a in alts))
        as_pattern = lucene_regex_to_pattern(value)
        if as_pattern is not None:
            node = pred(field, "wildcard", as_pattern, ci)
            REGEX_DERIVED.add(node)
            return node
        else:
            value = canonical_lucene_regex(value) or value
            return ("p", field, "regex", value, bool(ci))
    if op == "regex":
        flags = ""
        if value.startswith("(?i)"):
            flags, value = "(?i)", value[4:]
        alts = split_alternation(value)
        if len(alts) > 1 and all(a and _balanced(a) for a in alts):
            return ("or", tuple(pred(field, op, flags + a, ci) for a in alts))
        value = flags + value
        as_pattern = regex_to_pattern(value)
        if as_pattern is not None:
            op, (value, rx_ci) = "wildcard", as_pattern
            ci = ci or rx_ci
    if op == "wildcard":
        parts = pattern_parts(value)
        lits = [p for p in parts if p is not STAR]
        if "?" in parts:
            value = "".join("*" if p is STAR else ("?" if p == "?" else lit_to_pat(p)) for p in parts)
        elif parts == [STAR]:
            op, value = "exists", ""
        elif not parts:
            op, value = "eq", ""
        elif len(lits) == 1:
            lit = lits[0]
            shape = tuple(p is STAR for p in parts)
            op = {
                (False,): "eq",
                (True, False): "endswith",
                (False, True): "startswith",
                (True, False, True): "contains",
            }[shape]
            value = lit
        else:
            value = "".join("*" if p is STAR else lit_to_pat(p) for p in parts)
    if op in ("contains", "startswith", "endswith") and value == "":
        op = "exists"  # every present string starts with ""
    if op in ("eq", "contains", "startswith", "endswith", "wildcard", "term") and not re.search(
        r"[^\W\d_]", value
    ):
        ci = True  # no cased letter: case cannot matter
    if op in ("cidr", "exists", "empty", "gt", "gte", "lt", "lte"):
        ci = True
    if field and field.endswith(".caseless") and op != "regex" and not ESQL_CONTEXT[0]:
        # Winlogbeat's `.caseless` keyword sub-fields have a lowercase
        # normalizer, applied to the indexed value and to the query's term
        # or pattern alike: every comparison on them ignores case.
        ci = True
        if op in ("exists", "empty") or not re.search(r"[^\W\d_]", value):
            # A document has the sub-field exactly when it has the field, and
            # a value with no cased letter matches both alike.
            field = field[: -len(".caseless")]
    if op == "regex":
        m = re.match(r"^\(\?i\)", value)
        if m:
            ci, value = True, value[m.end():]
    elif ci:
        value = value.lower()
    return ("p", field, op, value, bool(ci))


# ------------------------------------------------------------ normalize


def normalize(node):
    kind = node[0]
    if kind in ("and", "or"):
        kids = []
        for k in node[1]:
            k = normalize(k)
            if k[0] == kind:
                kids.extend(k[1])
            else:
                kids.append(k)
        uniq = sorted(set(kids), key=repr)
        if len(uniq) == 1:
            return uniq[0]
        return (kind, tuple(uniq))
    if kind == "not":
        inner = normalize(node[1])
        if inner[0] == "not":
            return inner[1]
        return ("not", inner)
    return node


def ordered(node):
    """Flatten nested and/or without sorting: the operand order as written."""
    kind = node[0]
    if kind in ("and", "or"):
        kids = []
        for k in node[1]:
            k = ordered(k)
            if k[0] == kind:
                kids.extend(k[1])
            else:
                kids.append(k)
        if len(kids) == 1:
            return kids[0]
        return (kind, tuple(kids))
    if kind == "not":
        inner = ordered(node[1])
        if inner[0] == "not":
            return inner[1]
        return ("not", inner)
    return node


def map_preds(node, f):
    kind = node[0]
    if kind in ("and", "or"):
        return (kind, tuple(map_preds(k, f) for k in node[1]))
    if kind == "not":
        return ("not", map_preds(node[1], f))
    if kind == "p":
        return f(node)
    return node


def preds(node):
    kind = node[0]
    if kind in ("and", "or"):
        for k in node[1]:
            yield from preds(k)
    elif kind == "not":
        yield from preds(node[1])
    elif kind == "p":
        yield node


def render(node):
    """A compact human form of a normalized tree (for the report)."""
    kind = node[0]
    if kind in ("and", "or"):
        return "(" + f" {kind} ".join(render(k) for k in node[1]) + ")"
    if kind == "not":
        return "not " + render(node[1])
    if kind == "p":
        _, field, op, value, ci = node
        return f"{field or '*'} {op}{'' if ci else '_cs'} {value!r}"
    return f"RAW[{node[1]}]"


# --------------------------------------------------------------- parsers


class Parser:
    """Recursive descent over tokens: or < and < not < primary."""

    AND = ("and",)
    OR = ("or",)
    NOT = ("not",)
    implicit_and = False

    def __init__(self, toks):
        self.t, self.i = toks, 0

    def peek(self, k=0):
        j = self.i + k
        return self.t[j] if j < len(self.t) else None

    def next(self):
        tok = self.peek()
        if tok is None:
            raise ParseError("unexpected end")
        self.i += 1
        return tok

    def is_word(self, words, k=0):
        tok = self.peek(k)
        return tok is not None and tok.kind == "word" and tok.text in words

    def is_op(self, ops, k=0):
        tok = self.peek(k)
        return tok is not None and tok.kind == "op" and tok.text in ops

    def expect_op(self, op):
        tok = self.next()
        if tok.kind != "op" or tok.text != op:
            raise ParseError(f"expected {op}, found {tok.text}")

    def parse(self):
        node = self.parse_or()
        if self.peek() is not None:
            raise ParseError(f"trailing tokens from {self.peek().text!r}")
        return node

    def parse_or(self):
        kids = [self.parse_and()]
        while self.is_word(self.OR):
            self.next()
            kids.append(self.parse_and())
        return kids[0] if len(kids) == 1 else ("or", tuple(kids))

    def starts_operand(self):
        tok = self.peek()
        if tok is None:
            return False
        if tok.kind == "op":
            return tok.text == "("
        return not self.is_word(self.OR + self.AND)

    def parse_and(self):
        kids = [self.parse_not()]
        while True:
            if self.is_word(self.AND):
                self.next()
            elif not (self.implicit_and and self.starts_operand()):
                break
            kids.append(self.parse_not())
        return kids[0] if len(kids) == 1 else ("and", tuple(kids))

    def parse_not(self):
        if self.is_word(self.NOT):
            self.next()
            return ("not", self.parse_not())
        return self.parse_primary()

    def parse_primary(self):
        if self.is_op(("(",)):
            self.next()
            node = self.parse_or()
            self.expect_op(")")
            return node
        return self.atom()

    def value_list(self):
        """( v, v, ... ) of strings or words."""
        self.expect_op("(")
        vals = []
        while True:
            tok = self.next()
            if tok.kind == "str":
                vals.append((unquote_c(tok.text), True))
            elif tok.kind == "word":
                vals.append((tok.text, False))
            else:
                raise ParseError(f"bad list item {tok.text}")
            tok = self.next()
            if tok.kind == "op" and tok.text == ")":
                return vals
            if not (tok.kind == "op" and tok.text == ","):
                raise ParseError("bad list")


def field_name(tok):
    if tok.kind == "qfield":
        t = tok.text
        if t.startswith("['"):
            return t[2:-2]
        return t[1:-1].replace("``", "`")
    if tok.kind != "word":
        raise ParseError(f"expected a field, found {tok.text}")
    return tok.text.lstrip("?")


# Kusto ------------------------------------------------------------------

KUSTO_OPS = {
    # operator: (op, case-insensitive)
    "=~": ("eq", True),
    "==": ("eq", False),
    "contains": ("contains", True),
    "contains_cs": ("contains", False),
    "startswith": ("startswith", True),
    "startswith_cs": ("startswith", False),
    "endswith": ("endswith", True),
    "endswith_cs": ("endswith", False),
    "has": ("term", True),
    "has_cs": ("term", False),
    ">": ("gt", True),
    ">=": ("gte", True),
    "<": ("lt", True),
    "<=": ("lte", True),
}
KUSTO_NEG = {"!=": "==", "!~": "=~", "!contains": "contains", "!contains_cs": "contains_cs",
             "!startswith": "startswith", "!startswith_cs": "startswith_cs",
             "!endswith": "endswith", "!endswith_cs": "endswith_cs", "!has": "has", "!has_cs": "has_cs"}


class KustoParser(Parser):
    def atom(self):
        tok = self.next()
        if tok.kind == "word" and self.is_op(("(",)):
            fn = tok.text
            self.next()
            if fn in ("isnull", "isnotnull", "isempty", "isnotempty"):
                f = field_name(self.next())
                self.expect_op(")")
                p = pred(f, "exists" if "null" in fn else "empty", "", True)
                neg = fn in ("isnull",) or fn == "isnotempty"
                return ("not", p) if neg else p
            if fn in ("ipv4_is_in_range", "ipv6_is_in_range", "ipv4_is_match"):
                f = field_name(self.next())
                self.expect_op(",")
                v = unquote_c(self.next().text)
                self.expect_op(")")
                return pred(f, "cidr", v, True)
            if fn in ("not",):
                node = self.parse_or()
                self.expect_op(")")
                return ("not", node)
            raise ParseError(f"unknown function {fn}")
        if tok.kind == "word" and tok.text in ("true", "false"):
            return ("raw", tok.text)
        if tok.kind == "str":
            # A bare string: a keyword (not valid Kusto as a condition).
            return pred(None, "contains", unquote_c(tok.text), True)
        f = field_name(tok)
        optok = self.next()
        opname = optok.text
        if opname == "matches" and self.is_word(("regex",)):
            self.next()
            v = unquote_c(self.next().text)
            return pred(f, "regex", v, False)
        if opname in ("in~", "in", "!in~", "!in", "has_any"):
            vals = self.value_list()
            op = "term" if opname == "has_any" else "eq"
            ci = opname in ("in~", "!in~", "has_any")
            node = ("or", tuple(pred(f, op, v, ci) for v, _ in vals))
            return ("not", node) if opname.startswith("!") else node
        neg = False
        if opname in KUSTO_NEG:
            opname, neg = KUSTO_NEG[opname], True
        if opname not in KUSTO_OPS:
            raise ParseError(f"unknown operator {opname}")
        op, ci = KUSTO_OPS[opname]
        vtok = self.next()
        v = unquote_c(vtok.text) if vtok.kind == "str" else vtok.text
        p = pred(f, op, v, ci)
        return ("not", p) if neg else p


def parse_kusto(q):
    """`Table [| extend NAME = EXPR] | where EXPR [| where EXPR]`: returns
    (source, tree). An `extend` stage (ruledex writes one on its own line, e.g.
    `RegistryPath`, the registry path rebuilt from ASIM's key and value name)
    only names a computed column; the tree names it like any column."""
    q = "\n".join(
        line for line in q.split("\n") if not line.lstrip().startswith("| extend ")
    )
    # A path's last component, `tostring(parse_path(P).Filename)`, is one
    # column to compare: `P.basename`.
    q = re.sub(r"tostring\(parse_path\((\w+)\)\.Filename\)", r"\1.basename", q)
    toks = tokenize("kusto", q)
    # Split at top-level pipes.
    stages, cur, depth = [], [], 0
    for t in toks:
        if t.kind == "op" and t.text == "(":
            depth += 1
        elif t.kind == "op" and t.text == ")":
            depth -= 1
        if t.kind == "op" and t.text == "|" and depth == 0:
            stages.append(cur)
            cur = []
        else:
            cur.append(t)
    stages.append(cur)
    source = " ".join(t.text for t in stages[0])
    conds = []
    for st in stages[1:]:
        if st and st[0].kind == "word" and st[0].text in ("where", "filter"):
            conds.append(KustoParser(st[1:]).parse())
        else:
            conds.append(("raw", "| " + " ".join(t.text for t in st)))
    tree = conds[0] if len(conds) == 1 else ("and", tuple(conds))
    return source, tree


# EQL --------------------------------------------------------------------

EQL_FUNCS = {
    "startsWith": "startswith", "endsWith": "endswith", "stringContains": "contains",
}


class EqlParser(Parser):
    def atom(self):
        tok = self.next()
        if tok.kind == "word" and self.is_op(("(",)):
            fn = tok.text
            ci = fn.endswith("~")
            base = fn.rstrip("~")
            self.next()
            f = field_name(self.next())
            vals = []
            while self.is_op((",",)):
                self.next()
                vals.append(unquote_c(self.next().text))
            self.expect_op(")")
            if base == "cidrMatch":
                return ("or", tuple(pred(f, "cidr", v, True) for v in vals))
            if base in EQL_FUNCS:
                return ("or", tuple(pred(f, EQL_FUNCS[base], v, ci) for v in vals))
            raise ParseError(f"unknown function {fn}")
        if tok.kind == "str":
            # A bare string: a keyword (not a valid EQL condition).
            return pred(None, "contains", unquote_c(tok.text), True)
        f = field_name(tok)
        optok = self.next()
        o = optok.text
        if o in ("like", "like~", ":", "regex", "regex~", "in", "in~", "==", "!=", ">", ">=", "<", "<="):
            if self.is_op(("(",)):
                items = self.value_list()
            else:
                vtok = self.next()
                if vtok.kind == "word" and vtok.text == "null":
                    p = pred(f, "exists", "", True)
                    return p if o == "!=" else ("not", p)
                items = [(unquote_c(vtok.text), True) if vtok.kind == "str" else (vtok.text, False)]
            vals = [v for v, _ in items]
            # A bare `true`/`false` is a boolean, which has no case: `==` and
            # `:` compare it alike.
            boolean = all(not quoted and v in ("true", "false") for v, quoted in items)
            if o in ("like", "like~", ":"):
                # EQL wildcards have no escape: a backslash is a literal.
                op, ci = "wildcard", o != "like"
                vals = [v.replace("\\", "\\\\") for v in vals]
            elif o in ("regex", "regex~"):
                op, ci = "regex", o == "regex~"
            elif o in ("in", "in~", "==", "!="):
                op, ci = "eq", o == "in~"
            else:
                op, ci = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[o], True
            ci = ci or boolean
            node = ("or", tuple(pred(f, op, v, ci) for v in vals))
            return ("not", node) if o == "!=" else node
        raise ParseError(f"unknown operator {o}")


def parse_eql(q):
    toks = tokenize("eql", q)
    if len(toks) < 2 or toks[1].text != "where":
        raise ParseError("expected `CATEGORY where`")
    return toks[0].text, EqlParser(toks[2:]).parse()


# ES|QL ------------------------------------------------------------------

ESQL_FUNCS = {"ends_with": "endswith", "starts_with": "startswith"}


class EsqlParser(Parser):
    def atom(self):
        tok = self.next()
        if tok.kind == "word" and self.is_op(("(",)) and tok.text.lower() not in ("to_lower", "to_upper"):
            fn = tok.text.lower()
            self.next()
            ftok = self.next()
            lower = False
            if ftok.kind == "word" and ftok.text.lower() in ("to_lower", "to_upper") and self.is_op(("(",)):
                self.next()
                f = field_name(self.next())
                self.expect_op(")")
                lower = True
            else:
                f = field_name(ftok)
            vals = []
            while self.is_op((",",)):
                self.next()
                vals.append(unquote_c(self.next().text))
            self.expect_op(")")
            if fn == "cidr_match":
                return ("or", tuple(pred(f, "cidr", v, True) for v in vals))
            if fn in ESQL_FUNCS:
                return pred(f, ESQL_FUNCS[fn], vals[0], lower)
            raise ParseError(f"unknown function {fn}")
        lower = False
        if tok.kind == "word" and tok.text.lower() in ("to_lower", "to_upper") and self.is_op(("(",)):
            self.next()
            f = field_name(self.next())
            self.expect_op(")")
            lower = True
        else:
            f = field_name(tok)
        o = self.next().text.lower()
        if o == "is":
            neg = False
            if self.is_word(("not", "NOT")):
                self.next()
                neg = True
            if not self.is_word(("null", "NULL")):
                raise ParseError("expected null")
            self.next()
            p = pred(f, "exists", "", True)
            return p if neg else ("not", p)
        neg = False
        if o == "not" and self.peek() is not None:
            o = self.next().text.lower()
            neg = True
        if o in ("in",):
            node = ("or", tuple(pred(f, "eq", v, lower) for v, _ in self.value_list()))
        elif o in ("==", "!=") and self.peek() is not None and self.peek().kind in ("word", "qfield") and (
            self.peek().kind == "qfield" or not self.is_word(("null", "true", "false")) and not self.peek().text[0].isdigit()
        ):
            # A field compared with another field (Sigma's fieldref).
            other = self.next()
            other_lower = False
            if other.kind == "word" and other.text.lower() in ("to_lower", "to_upper") and self.is_op(("(",)):
                self.next()
                other = self.next()
                self.expect_op(")")
                other_lower = True
            node = ("p", f, "field_ref", field_name(other), lower and other_lower)
            neg = neg or o == "!="
        else:
            vtok = self.next()
            v = unquote_c(vtok.text) if vtok.kind == "str" else vtok.text
            if o == "like":
                if ESQL_NAIVE_LIKE[0]:
                    v = v.replace("\\", "\\\\")
                node = pred(f, "wildcard", v, lower)
            elif o == "rlike":
                node = pred(f, "regex", v, lower)
            elif o in ("==", "!="):
                node = pred(f, "eq", v, lower)
                neg = neg or o == "!="
            elif o == ":":
                node = pred(f, "term", v, True)
            elif o in (">", ">=", "<", "<="):
                node = pred(f, {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[o], v, True)
            else:
                raise ParseError(f"unknown operator {o}")
        return ("not", node) if neg else node


class EsqlWhere(EsqlParser):
    AND = ("and", "AND")
    OR = ("or", "OR")
    NOT = ("not", "NOT")


# ES|QL compares the (lowercased) doc values of a `.caseless` field with the
# literal as written: no normalizer is applied to the query, so it is not a
# case-insensitive comparison there. Set while parsing ES|QL.
ESQL_CONTEXT = [False]


ESQL_NAIVE_LIKE = [False]


def parse_esql(q, naive_like=False):
    """naive_like reads a LIKE pattern's backslashes as literal characters
    (what a converter that escapes for the string literal only meant)."""
    ESQL_CONTEXT[0], ESQL_NAIVE_LIKE[0] = True, naive_like
    full_match, REGEX_FULL_MATCH[0] = REGEX_FULL_MATCH[0], True
    try:
        return _parse_esql(q)
    finally:
        ESQL_CONTEXT[0], ESQL_NAIVE_LIKE[0] = False, False
        REGEX_FULL_MATCH[0] = full_match


def _parse_esql(q):
    toks = tokenize("esql", q)
    stages, cur, depth = [], [], 0
    for t in toks:
        if t.kind == "op" and t.text == "(":
            depth += 1
        elif t.kind == "op" and t.text == ")":
            depth -= 1
        if t.kind == "op" and t.text == "|" and depth == 0:
            stages.append(cur)
            cur = []
        else:
            cur.append(t)
    stages.append(cur)
    source = " ".join(t.text for t in stages[0])
    conds = []
    for st in stages[1:]:
        if st and st[0].kind == "word" and st[0].text.lower() == "where":
            conds.append(EsqlWhere(st[1:]).parse())
        else:
            conds.append(("raw", "| " + " ".join(t.text for t in st)))
    if not conds:
        return source, ("raw", "")
    tree = conds[0] if len(conds) == 1 else ("and", tuple(conds))
    return source, tree


# Lucene -----------------------------------------------------------------

# Lucene's query parser takes only these as white space (not U+2000 and the
# like, which pySigma writes unescaped inside terms).
LUCENE_WS = " \t\n\r\u3000"
LUCENE_TOKEN = re.compile(
    r"""[ \t\n\r\u3000]*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<regex>/(?:[^/\\]|\\.)*/)|(?P<op>\(|\)|\[|\]|\{|\})|"""
    r"""(?P<word>(?:[^ \t\n\r\u3000()\[\]{}"\\/:]|\\.)+)|(?P<colon>:))"""
)


def tokenize_lucene(text):
    pos, out = 0, []
    while pos < len(text):
        if text[pos] in LUCENE_WS:
            pos += 1
            continue
        m = LUCENE_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ParseError(f"cannot tokenize at {text[pos:pos + 20]!r}")
        out.append(Tok(m.lastgroup, m.group(m.lastgroup)))
        pos = m.end()
    return out


class LuceneParser(Parser):
    AND = ("AND", "&&")
    OR = ("OR", "||")
    NOT = ("NOT", "!")
    implicit_or = True

    def parse_or(self):
        kids = [self.parse_and()]
        while self.is_word(self.OR) or (self.peek() is not None and self.starts_operand()):
            if self.is_word(self.OR):
                self.next()
            kids.append(self.parse_and())
        return kids[0] if len(kids) == 1 else ("or", tuple(kids))

    def atom(self):
        tok = self.next()
        if tok.kind == "word" and self.peek() is not None and self.peek().kind == "colon":
            self.next()
            f = tok.text.replace("\\", "")
            if f == "_exists_":
                return pred(self.next().text.replace("\\", ""), "exists", "", True)
            return self.value(f)
        self.i -= 1
        return self.value(None)

    def value(self, f):
        tok = self.next()
        if tok.kind == "op" and tok.text == "(":
            vals = []
            node = self.group_values(f)
            return node
        return self.single(f, tok)

    def group_values(self, f):
        # field:(a OR b AND c): a boolean expression over values of one field.
        sub = _LuceneFieldGroup(self.t, f)
        sub.i = self.i
        node = sub.parse_or()
        self.i = sub.i
        self.expect_op(")")
        return node

    def single(self, f, tok):
        if tok.kind == "str":
            v = unquote_c(tok.text)
            return pred(f, "eq" if f else "term", v, False)
        if tok.kind == "regex":
            return pred(f, "regex", tok.text[1:-1].replace("\\/", "/"), False)
        if tok.kind == "op" and tok.text in "[{":
            lo = self.next().text
            if not self.is_word(("TO",)):
                raise ParseError("expected TO")
            self.next()
            hi = self.next().text
            close = self.next().text
            kids = []
            if lo != "*":
                kids.append(pred(f, "gte" if tok.text == "[" else "gt", lo, True))
            if hi != "*":
                kids.append(pred(f, "lte" if close == "]" else "lt", hi, True))
            return kids[0] if len(kids) == 1 else ("and", tuple(kids))
        if tok.kind == "word":
            return pred(f, "wildcard", tok.text, False)
        raise ParseError(f"unexpected {tok.text}")


class _LuceneFieldGroup(LuceneParser):
    def __init__(self, toks, field):
        super().__init__(toks)
        self.field = field

    def starts_operand(self):
        tok = self.peek()
        if tok is None or (tok.kind == "op" and tok.text == ")"):
            return False
        return super().starts_operand()

    def atom(self):
        return self.single(self.field, self.next())


def parse_lucene(q):
    return "", LuceneParser(tokenize_lucene(q)).parse()


# SPL --------------------------------------------------------------------

SPL_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>!=|=|<=|>=|<|>|\(|\)|,|\|)|(?P<word>[^\s()"=!<>,|]+))"""
)


def tokenize_spl(text):
    pos, out = 0, []
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        m = SPL_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ParseError(f"cannot tokenize at {text[pos:pos + 20]!r}")
        out.append(Tok(m.lastgroup, m.group(m.lastgroup)))
        pos = m.end()
    return out


def spl_value(text):
    """An SPL search value (unquoted) as a pattern: `*` is a wildcard, and
    SPL has no escape for a literal `*` (nor a `?` wildcard)."""
    return text.replace("\\", "\\\\").replace("?", "\\?")


def spl_tok_value(tok):
    return spl_value(unquote_c(tok.text) if tok.kind == "str" else tok.text)


class SplParser(Parser):
    """The `search` command's language: in SPL searches `OR` binds tighter
    than `AND` (explicit or implied by juxtaposition): `a OR b c` is
    `(a OR b) AND c`."""

    AND = ("AND",)
    OR = ("OR",)
    NOT = ("NOT",)
    implicit_and = True

    def parse_or(self):
        # The top level is the AND chain (named parse_or for Parser.parse).
        kids = [self.parse_or_chain()]
        while True:
            if self.is_word(self.AND):
                self.next()
            elif not self.starts_operand():
                break
            kids.append(self.parse_or_chain())
        return kids[0] if len(kids) == 1 else ("and", tuple(kids))

    def parse_or_chain(self):
        if self.is_word(self.OR):
            raise ParseError("a search starts with OR")
        kids = [self.parse_not()]
        while self.is_word(self.OR):
            self.next()
            kids.append(self.parse_not())
        return kids[0] if len(kids) == 1 else ("or", tuple(kids))

    def starts_operand(self):
        tok = self.peek()
        if tok is None or (tok.kind == "op" and tok.text in (")", "|")):
            return False
        return super().starts_operand() or tok.kind == "str"

    def atom(self):
        tok = self.next()
        if tok.kind == "str" and (self.is_word(("IN",)) or self.is_op(("=", "!=", "<", ">", "<=", ">="))):
            tok = Tok("word", unquote_c(tok.text))  # a quoted field name
        if tok.kind == "word" and self.is_word(("IN",)):
            self.next()
            f = tok.text
            return ("or", tuple(pred(f, "wildcard", spl_value(v), True) for v, _ in self.value_list()))
        if tok.kind == "word" and self.is_op(("=", "!=", "<", ">", "<=", ">=")):
            o = self.next().text
            vtok = self.next()
            f = tok.text
            if o in ("=", "!="):
                p = pred(f, "wildcard", spl_tok_value(vtok), True)
                return ("not", p) if o == "!=" else p
            return pred(f, {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[o], vtok.text.strip('"'), True)
        if tok.kind in ("str", "word"):
            return pred(None, "wildcard", spl_tok_value(tok), True)
        raise ParseError(f"unexpected {tok.text}")


class SplWhere(Parser):
    """The `where` command's eval expressions (usual precedence): `match`,
    `searchmatch`, `isnull`/`isnotnull`, `like` and comparisons."""

    AND = ("AND", "and")
    OR = ("OR", "or")
    NOT = ("NOT", "not")

    def atom(self):
        tok = self.next()
        name = tok.text.strip("'")
        if tok.kind == "word" and self.is_op(("(",)):
            fn = name.lower()
            self.next()
            args = []
            while True:
                a = self.next()
                args.append(a)
                t = self.next()
                if t.kind == "op" and t.text == ")":
                    break
                if not (t.kind == "op" and t.text == ","):
                    raise ParseError("bad call")
            if fn == "match" and len(args) == 2 and args[1].kind == "str":
                return pred(args[0].text.strip("'"), "regex", unquote_c(args[1].text), False)
            if fn == "searchmatch" and len(args) == 1 and args[0].kind == "str":
                return SplParser(tokenize_spl(unquote_c(args[0].text))).parse()
            if fn in ("isnull", "isnotnull") and len(args) == 1:
                p = pred(args[0].text.strip("'"), "exists", "", True)
                return ("not", p) if fn == "isnull" else p
            if fn == "like" and len(args) == 2 and args[1].kind == "str":
                pat = unquote_c(args[1].text)
                pat = lit_to_pat(pat).replace("%", "*").replace("_", "?")
                return pred(args[0].text.strip("'"), "wildcard", pat, False)
            raise ParseError(f"unknown function {fn}")
        if tok.kind == "word" and self.is_op(("=", "!=")):
            o = self.next().text
            v = self.next()
            if v.kind != "str":
                raise ParseError("field comparison")
            p = pred(name, "eq", unquote_c(v.text), False)
            return ("not", p) if o == "!=" else p
        raise ParseError(f"unexpected {tok.text}")


def parse_spl(q):
    toks = tokenize_spl(q)
    stages, cur, depth = [], [], 0
    for t in toks:
        if t.kind == "op" and t.text == "(":
            depth += 1
        elif t.kind == "op" and t.text == ")":
            depth -= 1
        if t.kind == "op" and t.text == "|" and depth == 0:
            stages.append(cur)
            cur = []
        else:
            cur.append(t)
    stages.append(cur)
    conds, source = [], ""
    first = stages[0]
    if first and first[0].kind == "word" and first[0].text == "search":
        first = first[1:]
    if first:
        conds.append(SplParser(first).parse())
    rex, conditions = {}, {}

    def resolve(p):
        # pySigma's `rex` + `eval XCondition=if(isnotnull(XMatch), …)` + `XCondition="true"`.
        if p[2] == "eq" and p[3] == "true" and p[1] in conditions and conditions[p[1]] in rex:
            field, rx = rex[conditions[p[1]]]
            return pred(field, "regex", rx, False)
        return p

    for st in stages[1:]:
        texts = [t.text for t in st]
        if len(st) == 5 and texts[:3] == ["rex", "field", "="] and st[4].kind == "str":
            m = re.match(r"^\(\?<(\w+)>(.*)\)$", unquote_c(st[4].text), re.S)
            if m:
                rex[m.group(1)] = (texts[3], m.group(2))
                continue
        if len(st) == 14 and texts[0] == "eval" and texts[2:6] == ["=", "if", "(", "isnotnull"]:
            conditions[texts[1]] = texts[7]
            continue
        if st and st[0].text == "where":
            try:
                conds.append(SplWhere(st[1:]).parse())
            except ParseError:
                conds.append(("raw", "| " + " ".join(texts)))
            continue
        if (len(st) == 4 and st[0].text == "regex" and st[1].kind == "word"
                and st[2].text in ("=", "!=") and st[3].kind == "str"):
            p = pred(st[1].text, "regex", unquote_c(st[3].text), False)
            conds.append(p if st[2].text == "=" else ("not", p))
        elif st and st[0].text == "search":
            conds.append(N_map(SplParser(st[1:]).parse(), resolve))
        else:
            conds.append(("raw", "| " + " ".join(t.text for t in st)))
    # A lone `*` search is "everything".
    conds = [c for c in conds if c != ("p", None, "exists", "", True)]
    if not conds:
        return source, ("raw", "*")
    tree = conds[0] if len(conds) == 1 else ("and", tuple(conds))
    return source, tree


def N_map(t, f):
    return map_preds(t, f)


PARSERS = {
    "kusto-asim": parse_kusto,
    "spl": parse_spl,
    "lucene": parse_lucene,
    "eql": parse_eql,
    "esql": parse_esql,
}


def parse(target, query):
    """(source, normalized tree) or raises ParseError."""
    REGEX_FULL_MATCH[0] = target in ("lucene", "eql", "esql")
    REGEX_DERIVED.clear()
    try:
        source, tree = PARSERS[target](query)
    finally:
        REGEX_FULL_MATCH[0] = False
    return source, tree
