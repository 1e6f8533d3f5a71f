"""Compare one ruledex query with one pySigma query for the same rule and target.

The comparison is a chain of relaxations over the normalized boolean form
(see normalize.py). The smallest set of relaxations under which both trees
are equal names the class of the pair:

    syntax        always applied: parentheses, operand order, quoting and
                  escaping, `IN` lists vs disjunctions, operator spelling
    log source    a top-level conjunct that only one side has and that only
                  selects the log source (SPL `source=`, ECS `winlog.channel`,
                  `event.category`, …): where the query runs, not what it matches
                  in those events
    field names   field names differ but consistently (each pySigma field
                  always stands for the same ruledex field): a mapping choice;
                  the pairs are tallied in the report
    case          the trees are equal once case sensitivity is ignored: one side
                  compares case-sensitively where the other does not

What no relaxation explains is "different", with a heuristic sub-class
(regex text, keyword search, backslashes, pipeline stages, …) that the report
judges class by class.
"""

import itertools
import re

import normalize as N

# Fields whose top-level conjuncts select the log source rather than the event.
LOGSOURCE_FIELDS = {
    "kusto-asim": {"EventProduct", "EventVendor", "EventType"},
    "spl": {"source", "sourcetype", "index", "eventtype", "tag"},
    "lucene": {"winlog.channel", "event.category", "event.dataset", "event.module",
               "event.provider", "winlog.provider_name", "data_stream.dataset", "_index"},
}
LOGSOURCE_FIELDS["eql"] = LOGSOURCE_FIELDS["lucene"]
LOGSOURCE_FIELDS["esql"] = LOGSOURCE_FIELDS["lucene"]


def ws(q):
    return re.sub(r"\s+", " ", q).strip()


def drop_logsource(target, a, b):
    """Remove top-level conjuncts on log-source fields that the other side lacks."""
    fields = LOGSOURCE_FIELDS.get(target, set())

    def conj(t):
        return list(t[1]) if t[0] == "and" else [t]

    ca, cb = conj(a), conj(b)

    def keep(c, other):
        if c in other:
            return True
        if c[0] == "p" and c[1] in fields:
            return False
        if c[0] == "or" and all(k[0] == "p" and k[1] in fields for k in c[1]):
            return False
        return True

    na = [c for c in ca if keep(c, cb)]
    nb = [c for c in cb if keep(c, ca)]

    def mk(cs):
        if not cs:
            return ("raw", "<everything>")
        return N.normalize(("and", tuple(cs)))

    return mk(na), mk(nb)


def nocase(t):
    def f(p):
        _, field, op, value, _ci = p
        if op == "regex":
            return ("p", field, op, value, True)
        return N.pred(field, op, value, True)

    return N.normalize(N.map_preds(t, f))


def abstract(t):
    return N.normalize(N.map_preds(t, lambda p: ("p", "?", p[2], p[3], p[4])))


def field_pairs(theirs, ours):
    """Align predicates of two trees equal up to field names; returns
    {their field: our field} or None when the renaming is not consistent."""

    def sort_key(node):
        return repr(abstract(node)) + "|" + repr(node)

    def canon(node):
        kind = node[0]
        if kind in ("and", "or"):
            return (kind, tuple(sorted((canon(k) for k in node[1]), key=sort_key)))
        if kind == "not":
            return ("not", canon(node[1]))
        return node

    pt, po = list(N.preds(canon(theirs))), list(N.preds(canon(ours)))
    if len(pt) != len(po):
        return None
    mapping = {}
    for a, b in zip(pt, po):
        if mapping.setdefault(a[1], b[1]) != b[1]:
            return None
    return mapping


RELAXATIONS = ["log source", "field names", "case"]


def relax(target, theirs, ours, which):
    t, o = theirs, ours
    if "log source" in which:
        t, o = drop_logsource(target, t, o)
    if "case" in which:
        t, o = nocase(t), nocase(o)
    mapping = None
    if "field names" in which:
        if abstract(t) != abstract(o):
            return False, None
        mapping = field_pairs(t, o)
        if mapping is None:
            return False, None
        return True, mapping
    return t == o, mapping


def case_direction(theirs, ours):
    """Which side compares case-sensitively where the other does not."""
    tp = {(p[1], p[2], p[3].lower()): p[4] for p in N.preds(theirs)}
    op = {(p[1], p[2], p[3].lower()): p[4] for p in N.preds(ours)}
    theirs_cs = sum(1 for k, ci in op.items() if ci and tp.get(k) is False)
    ours_cs = sum(1 for k, ci in tp.items() if ci and op.get(k) is False)
    if theirs_cs and not ours_cs:
        return "pySigma case-sensitive"
    if ours_cs and not theirs_cs:
        return "ruledex case-sensitive"
    return "mixed"


def has_raw(t):
    if t[0] == "raw":
        return True
    if t[0] in ("and", "or"):
        return any(has_raw(k) for k in t[1])
    if t[0] == "not":
        return has_raw(t[1])
    return False


def differing(theirs, ours):
    """Predicates only in one tree (after case folding and field abstraction)."""
    t = set(N.preds(nocase(theirs)))
    o = set(N.preds(nocase(ours)))
    return sorted(t - o, key=repr), sorted(o - t, key=repr)


def heuristic_class(target, theirs, ours):
    """Name an unexplained difference by what differs."""
    if has_raw(theirs) or has_raw(ours):
        side = "pySigma" if has_raw(theirs) else "ruledex"
        return f"{side} uses a pipeline stage the comparator does not model"
    only_t, only_o = differing(theirs, ours)
    if not only_t and not only_o:
        return "same predicates, different boolean structure"
    ops = {p[2] for p in only_t} | {p[2] for p in only_o}
    vals_t = sorted(p[3] for p in only_t)
    vals_o = sorted(p[3] for p in only_o)
    if [v.replace("\\", "") for v in vals_t] == [v.replace("\\", "") for v in vals_o]:
        return "backslashes in values differ"
    if "regex" in ops:
        return "regular expression differs"
    if any(p[1] is None for p in only_t + only_o):
        return "keyword (field-less) search differs"
    if "cidr" in ops:
        return "CIDR match written differently"
    if "exists" in ops or "empty" in ops:
        return "null / exists test differs"
    if [(p[2], p[3]) for p in only_t] == [(p[2], p[3]) for p in only_o] or (
        {(p[2], p[3]) for p in only_t} == {(p[2], p[3]) for p in only_o}
    ):
        return "field names differ inconsistently"
    if {p[1] for p in only_t} == {p[1] for p in only_o} and len(only_t) == len(only_o):
        return "operator or value differs on the same fields"
    return "predicates differ"


def compare(target, ours_q, theirs_q):
    """Returns dict(status, cls, detail...)."""
    if ws(ours_q) == ws(theirs_q):
        return {"status": "identical", "cls": "identical"}
    try:
        t_src, t_tree = N.parse(target, theirs_q)
    except (N.ParseError, KeyError, IndexError, ValueError) as e:
        return {"status": "different", "cls": "pySigma query does not parse", "detail": str(e)}
    try:
        o_src, o_tree = N.parse(target, ours_q)
    except (N.ParseError, KeyError, IndexError, ValueError) as e:
        return {"status": "different", "cls": "ruledex query does not parse", "detail": str(e)}
    t_tree, o_tree = N.normalize(t_tree), N.normalize(o_tree)
    source = None if ws(t_src) == ws(o_src) else (ws(t_src), ws(o_src))
    for size in range(0, len(RELAXATIONS) + 1):
        for which in itertools.combinations(RELAXATIONS, size):
            ok, mapping = relax(target, t_tree, o_tree, which)
            if ok:
                parts = ["syntax"] + list(which)
                res = {"status": "equivalent", "cls": " + ".join(parts), "relaxations": list(which)}
                if "case" in which:
                    res["status"] = "different"
                    res["cls"] = "case sensitivity: " + case_direction(t_tree, o_tree)
                    if len(which) > 1:
                        res["cls"] += " (with " + ", ".join(w for w in which if w != "case") + ")"
                if mapping:
                    res["fields"] = {k: v for k, v in mapping.items() if k != v}
                if source:
                    res["source"] = source
                return res
    cls = heuristic_class(target, t_tree, o_tree)
    only_t, only_o = differing(t_tree, o_tree)
    res = {
        "status": "different",
        "cls": cls,
        "only_pysigma": [N.render(p) for p in only_t[:6]],
        "only_ruledex": [N.render(p) for p in only_o[:6]],
    }
    if source:
        res["source"] = source
    return res
