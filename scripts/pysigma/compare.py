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

import collections
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


def strip_caseless(t):
    def f(p):
        field, value = p[1], p[3]
        if field and field.endswith(".caseless"):
            field = field[: -len(".caseless")]
        if p[2] == "field_ref" and value.endswith(".caseless"):
            # The other side of a field reference is a field name too.
            value = value[: -len(".caseless")]
        return ("p", field, p[2], value, p[4])

    return N.normalize(N.map_preds(t, f))


def abstract(t):
    return N.normalize(N.map_preds(t, lambda p: ("p", "?", p[2], p[3], p[4])))


def field_pairs(theirs, ours):
    """A renaming of pySigma's fields that turns `theirs` into `ours`
    ({their field: our field}), or None. Candidates come from aligning the
    predicates of both trees sorted by their field-less form; siblings that
    only differ by field may align wrongly, so each field takes the name it
    is aligned with most often, and the renamed tree must equal `ours`."""

    def canon(node):
        kind = node[0]
        if kind in ("and", "or"):
            return (kind, tuple(sorted((canon(k) for k in node[1]), key=lambda n: repr(abstract(n)))))
        if kind == "not":
            return ("not", canon(node[1]))
        return node

    pt, po = list(N.preds(canon(theirs))), list(N.preds(canon(ours)))
    if len(pt) != len(po):
        return None
    votes = {}
    for a, b in zip(pt, po):
        votes.setdefault(a[1], collections.Counter())[b[1]] += 1
    mapping = {k: v.most_common(1)[0][0] for k, v in votes.items()}

    def rename(p):
        return ("p", mapping.get(p[1], p[1]), p[2], p[3], p[4])

    if N.normalize(N.map_preds(theirs, rename)) != ours:
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
        # A `.caseless` sub-field is its field (compared ignoring case, which
        # the case relaxation and `caseless_only` account for).
        t, o = strip_caseless(t), strip_caseless(o)
        if abstract(t) != abstract(o):
            return False, None
        mapping = field_pairs(t, o)
        if mapping is None:
            return False, None
        return True, mapping
    return t == o, mapping


def case_direction(theirs, ours):
    """Which side compares case-sensitively where the other does not."""
    theirs, ours = strip_caseless(theirs), strip_caseless(ours)
    tr = {(p[3]) for p in N.preds(theirs) if p[2] == "regex" and p[4]}
    orx = {(p[3]) for p in N.preds(ours) if p[2] == "regex" and not p[4]}
    non_regex_t = {(p[2], p[3].lower(), p[4]) for p in N.preds(theirs) if p[2] != "regex"}
    non_regex_o = {(p[2], p[3].lower(), p[4]) for p in N.preds(ours) if p[2] != "regex"}
    if tr and orx and non_regex_t == non_regex_o:
        return "pySigma matches a regular expression ignoring case"
    # Keyed without the field: the case may differ together with the field name.
    tp = {(p[2], p[3].lower()): p[4] for p in N.preds(theirs)}
    op = {(p[2], p[3].lower()): p[4] for p in N.preds(ours)}
    theirs_cs = sum(1 for k, ci in op.items() if ci and tp.get(k) is False)
    ours_cs = sum(1 for k, ci in tp.items() if ci and op.get(k) is False)
    if theirs_cs and not ours_cs:
        return "pySigma case-sensitive"
    if ours_cs and not theirs_cs:
        return "ruledex case-sensitive"
    return "mixed"


def caseless_only(theirs, ours):
    """Whether every predicate that ignores case in ours but not in theirs is
    on a `.caseless` field of ours (and none the other way round)."""
    tp = {(p[2], p[3].lower()): p[4] for p in N.preds(theirs)}
    op = {}
    for p in N.preds(ours):
        op.setdefault((p[2], p[3].lower()), []).append(p)
    found = False
    for k, ps in op.items():
        for p in ps:
            if p[4] and tp.get(k) is False:
                if not (p[1] or "").endswith(".caseless"):
                    return False
                found = True
            if not p[4] and tp.get(k) is True:
                return False
    return found


def esql_lossy_equal(theirs, ours):
    """Equal once case, backslashes and `.caseless` suffixes are ignored (and
    fields renamed consistently): what pySigma's ES|QL output loses."""

    def f(p):
        field = (p[1] or "").removesuffix(".caseless")
        value = p[3].removesuffix(".caseless") if p[2] == "field_ref" else p[3]
        if p[2] == "regex":
            return ("p", field, p[2], value, True)
        return N.pred(field, p[2], value, True)

    t = N.normalize(N.map_preds(theirs, f))
    o = N.normalize(N.map_preds(ours, f))
    t, o = drop_logsource("esql", t, o)
    if t == o:
        return True
    return abstract(t) == abstract(o) and field_pairs(t, o) is not None


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


UNMAPPED = re.compile(r"field `[^`]+` \([^)]*\) has no [^;]*; written as `([^`]+)`")


REGISTRY_TRAILING = (
    "registry path ending in `\\`: pySigma `RegistryKey endswith \"X*\"` (a literal star), "
    "ruledex `RegistryKey contains \"X\\\"`"
)
REGISTRY_PATH = (
    "registry path: ruledex tests Sysmon's path rebuilt from ASIM's key and value name "
    "(`RegistryPath`), pySigma `RegistryKey` alone"
)
REGISTRY_EVENT_TYPE = "imRegistry EventType: ruledex writes Sysmon's name (`SetValue`), ASIM's is `RegistryValueSet`"
SYSMON_REGISTRY_EVENTS = {"createkey", "deletekey", "renamekey", "setvalue", "deletevalue"}
ASIM_REGISTRY_EVENTS = {"registrykeycreated", "registrykeydeleted", "registrykeyrenamed", "registryvalueset",
                        "registryvaluedeleted"}


def known_class(target, theirs, ours, reasons, source):
    """Differences recognized by a specific check (each judged in verdicts.py)."""
    only_t, only_o = differing(theirs, ours)
    fields_o = {p[1] for p in only_o}
    fields_t = {p[1] for p in only_t}
    unmapped = {m.group(1) for r in reasons for m in UNMAPPED.finditer(r)}
    if unmapped & fields_o:
        return "ruledex writes a field name the target schema lacks (declared approximate)"
    if target == "kusto-asim":
        if "RegistryPath" in fields_o:
            rest_t = [p for p in only_t if p[1] != "RegistryKey" and p[2] != "exists"]
            rest_o = [
                p for p in only_o
                if p[1] not in ("RegistryPath", "EventOriginalType") and p[2] != "empty"
            ]
            if not rest_t and not rest_o:
                if any(p[2] == "exists" for p in only_t):
                    return REGISTRY_PATH + " (and `isnull`/`isempty`)"
                return REGISTRY_PATH
        if "ActingProcessName" in fields_o and ({"SrcProcessName", "DstProcessName"} & fields_t):
            return "ruledex: ActingProcessName on imNetworkSession (no such column)"
        if any(p[1] is None for p in only_t) and any(p[1] == "*" for p in only_o):
            return "keyword: pySigma writes a bare string (not a Kusto condition), ruledex `* has`"
        if {p[2] for p in only_o} == {"empty"} and {p[2] for p in only_t} == {"exists"}:
            return "null test: ruledex `isempty`, pySigma `isnull`"
        # Sysmon's TargetObject (key path and value name) `contains 'X\'` or
        # `startswith 'X\'`: pySigma writes `RegistryKey endswith "X*"` or
        # `== "X*"` (a literal star), ruledex `RegistryKey contains "X\"` or
        # `startswith "X\"`; a null test may differ beside it.
        star = {p[3][:-1] for p in only_t if p[2] in ("endswith", "eq") and p[3].endswith("*")}
        # (pySigma's sentinel_asim drops a rule's EventID, which ruledex keeps.)
        only_o = [p for p in only_o if p[1] != "EventOriginalType"]
        sep = {p[3][:-1] for p in only_o if p[2] in ("contains", "startswith") and p[3].endswith("\\")}
        if (
            star
            and star == sep
            and all(p[2] == "exists" or p[2] in ("endswith", "eq") and p[3].endswith("*") for p in only_t)
            and all(p[2] == "empty" or p[2] in ("contains", "startswith") and p[3].endswith("\\") for p in only_o)
            and {p[1] for p in only_t if p[2] == "exists"} == {p[1] for p in only_o if p[2] == "empty"}
        ):
            if any(p[2] == "exists" for p in only_t):
                return REGISTRY_TRAILING + " (and `isnull`/`isempty`)"
            return REGISTRY_TRAILING
        # imRegistry's EventType values are ASIM's (`RegistryValueSet`), not
        # Sysmon's (`SetValue`).
        et_t = [p for p in only_t if p[1] == "EventType"]
        et_o = [p for p in only_o if p[1] == "EventType"]
        if et_t and et_o and all(p[3] in ASIM_REGISTRY_EVENTS for p in et_t) and all(
            p[3] in SYSMON_REGISTRY_EVENTS for p in et_o
        ):
            if len(et_t) == len(only_t) and len(et_o) == len(only_o):
                return REGISTRY_EVENT_TYPE
            return REGISTRY_EVENT_TYPE + " (and key paths differ)"
        if only_t and only_o and all(p[1] == "RegistryKey" and p[3].startswith("hkey_") for p in only_t) and all(
            p[1] == "RegistryKey" and re.match(r"(hklm|hkcu|hkcr|hku)\\", p[3]) for p in only_o
        ):
            return "registry hive: ruledex `HKLM\\…`, pySigma `HKEY_LOCAL_MACHINE\\…`"
        if only_t and {p[2] for p in only_t} == {"startswith"} and {p[2] for p in only_o} == {"eq"} and (
            {(p[1], p[3]) for p in only_t} == {(p[1], p[3]) for p in only_o}
        ) and all(re.fullmatch(r"[0-9a-f]{32,64}", p[3]) for p in only_t):
            return "Sysmon `Hashes`: pySigma `startswith` the whole hash, ruledex `=~`"
        if any(p[1] == "NetworkDirection" and p[3] in ("true", "false") for p in only_t) and any(
            p[1] == "NetworkDirection" and p[3] in ("outbound", "inbound") for p in only_o
        ):
            return "pySigma: Sysmon `Initiated` value not translated to ASIM NetworkDirection"
    # A wildcard inside a value (`*/etc/*.conf*`): pySigma's Kusto and ES|QL
    # backends write one `contains` per piece, losing their order.
    inner = [p for p in only_o if p[2] == "wildcard"]
    if target in ("kusto-asim", "esql") and inner and all(
        p[2] in ("contains", "startswith", "endswith", "wildcard", "empty", "exists") for p in only_t
    ):
        pieces = {piece.lower() for p in inner for piece in N.pattern_parts(p[3]) if piece is not N.STAR and piece != "?"}
        got = {p[3].lower() for p in only_t} | {p[3].lower().strip() for p in only_t}
        found = sum(1 for piece in pieces if piece in got or piece.strip() in got)
        if pieces and found >= 0.8 * len(pieces):
            return "pySigma splits a value with inner wildcards into unordered pieces"
    if target in ("eql", "esql", "lucene") and any(
        ("*" in p[3] or "?" in p[3]) and p[2] in ("eq", "contains", "startswith", "endswith") for p in only_o
    ):
        return "literal `*` or `?` in a value: pySigma's escape is not read as a literal"
    vals_t = {p[3] for p in only_t}
    vals_o = {p[3] for p in only_o}
    if any(
        o.isdigit() and t.isdigit() and len(t) > 1 and t.startswith("0") and int(t) == int(o)
        for t in vals_t
        for o in vals_o
    ):
        return "ruledex reads a number with leading zeros as an integer"
    if any(p[1] == "network.direction" and p[3] in ("true", "false") for p in only_o) and any(
        p[1] == "network.direction" and p[3] in ("egress", "ingress") for p in only_t
    ):
        return "ruledex: Sysmon `Initiated` value not translated to ECS network.direction"
    if any(p[1] == "network.direction" and p[3] in ("true", "false") for p in only_t) and any(
        p[1] == "network.direction" and p[3] in ("egress", "ingress") for p in only_o
    ):
        return "pySigma: Sysmon `Initiated` value not translated to ECS network.direction"
    return None


def heuristic_class(target, theirs, ours):
    """Name an unexplained difference by what differs."""
    if has_raw(theirs) or has_raw(ours):
        side = "pySigma" if has_raw(theirs) else "ruledex"
        return f"{side} uses a pipeline stage the comparator does not model"
    only_t, only_o = differing(theirs, ours)
    if not only_t and not only_o:
        return "same predicates, different boolean structure"
    ops = {p[2] for p in only_t} | {p[2] for p in only_o}
    vals_t = sorted((p[2], p[3].replace("\\", "")) for p in only_t)
    vals_o = sorted((p[2], p[3].replace("\\", "")) for p in only_o)
    if vals_t == vals_o:
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


ESQL_NOT_NULL = (
    "ES|QL negation of a test on a missing field: ruledex guards it with `IS NOT NULL`, "
    "pySigma's `not` is null there"
)


def unguard(t):
    """The tree without presence tests that stand beside a test on the same
    field that is false when the field is missing (`f IS NOT NULL and f == x`)."""
    def on_field(e, f):
        if e[0] == "p":
            return e[1] == f and e[2] not in ("exists", "empty")
        if e[0] in ("and", "or"):
            return all(on_field(k, f) for k in e[1])
        return False

    if t[0] == "and":
        kids = [unguard(k) for k in t[1]]
        kept = [
            k for i, k in enumerate(kids)
            if not (k[0] == "p" and k[2] == "exists"
                    and any(on_field(s, k[1]) for j, s in enumerate(kids) if j != i))
        ]
        return kept[0] if len(kept) == 1 else ("and", tuple(kept))
    if t[0] == "or":
        return ("or", tuple(unguard(k) for k in t[1]))
    if t[0] == "not":
        return ("not", unguard(t[1]))
    return t


def compare(target, ours_q, theirs_q, reasons=()):
    """Returns dict(status, cls, detail...)."""
    if ws(ours_q) == ws(theirs_q):
        return {"status": "identical", "cls": "identical"}
    try:
        t_src, t_tree = N.parse(target, theirs_q)
    except (N.ParseError, KeyError, IndexError, ValueError) as e:
        return {"status": "different", "cls": "pySigma query does not parse", "detail": str(e)}
    t_regex = set(N.REGEX_DERIVED)
    try:
        o_src, o_tree = N.parse(target, ours_q)
    except (N.ParseError, KeyError, IndexError, ValueError) as e:
        return {"status": "different", "cls": "ruledex query does not parse", "detail": str(e)}
    t_tree, o_tree = N.normalize(t_tree), N.normalize(o_tree)
    guarded = False
    if target == "esql":
        # ruledex guards each test under a `not` by its field's presence
        # (`f IS NOT NULL and test`); compare without the guards, then count
        # the guards as a difference of their own (below).
        # (A presence test beside a test on the same field adds nothing in
        # two-valued logic: drop it on both sides.)
        bare = N.normalize(unguard(o_tree))
        guarded, o_tree = bare != o_tree, bare
        t_tree = N.normalize(unguard(t_tree))
    source = None if ws(t_src) == ws(o_src) else (ws(t_src), ws(o_src))
    res = compare_trees(target, t_tree, o_tree, reasons, source)
    if res["status"] == "different" and t_regex and target in ECS_TARGETS:
        res = unanchored_regex(target, t_tree, o_tree, reasons, source, t_regex) or res
    if target == "esql" and res["status"] == "different" and not res["cls"].startswith("case sensitivity"):
        # pySigma escapes a LIKE pattern for the string literal only, so ES|QL
        # reads `\\X` as an escaped X (the backslash is lost) and `\\*` as a
        # literal star. Read its patterns as pySigma meant them and compare
        # again ignoring case (its comparisons are case-sensitive).
        naive = N.normalize(N.parse_esql(theirs_q, naive_like=True)[1])
        if esql_lossy_equal(naive, o_tree):
            res = {"status": "different", "source": source,
                   "cls": "pySigma ES|QL: LIKE patterns lose their backslashes (and comparisons are case-sensitive)",
                   "only_pysigma": res.get("only_pysigma", []), "only_ruledex": res.get("only_ruledex", [])}
    if guarded and res["status"] != "different":
        res = {"status": "different", "source": source, "cls": ESQL_NOT_NULL,
               "only_pysigma": [], "only_ruledex": []}
    return res


# Targets where both converters write the same schema (ASIM columns; the
# Sigma/Windows names of raw Splunk events): a renamed field there is a
# disagreement about what the field is, not a mapping choice, so it is not
# relaxed but reported as its own class.
SAME_SCHEMA = {"kusto-asim", "spl"}


ECS_TARGETS = {"lucene", "eql", "esql"}


def unanchored_regex(target, t_tree, o_tree, reasons, source, t_regex):
    """The class of a pair whose only difference is that pySigma's regular
    expressions, written for a search (Sigma's meaning), match the whole value
    in Lucene's dialect: once each of them is read as a search (`X` as
    `.*X.*`) the queries agree, up to the relaxations compare_trees makes."""

    def search(p):
        if p not in t_regex:
            return p
        _, field, op, value, ci = p
        pat = {"eq": N.lit_to_pat(value), "startswith": N.lit_to_pat(value) + "*",
               "endswith": "*" + N.lit_to_pat(value), "contains": "*" + N.lit_to_pat(value) + "*",
               "wildcard": value}.get(op)
        if pat is None:
            return p
        return N.pred(field, "wildcard", "*" + pat + "*", ci)

    loosened = N.normalize(N.map_preds(t_tree, search))
    if loosened == t_tree:
        return None
    res = compare_trees(target, loosened, o_tree, reasons, source)
    if res["status"] == "equivalent" or res["cls"].startswith("case sensitivity"):
        only_t, only_o = differing(t_tree, o_tree)
        return {"status": "different", "source": source,
                "cls": "pySigma: a regular expression that must match the whole value",
                "only_pysigma": [N.render(p) for p in only_t[:6]],
                "only_ruledex": [N.render(p) for p in only_o[:6]]}
    return None
SYSMON_DIRECTION = {"true": "egress", "false": "ingress"}


def sysmon_initiated(t):
    """pySigma's tree with Sysmon's `Initiated: true/false`, where pySigma kept
    the field under its Sysmon name (no pipeline for the rule's log source),
    read as the ECS value of the same fact: the local process opened the
    connection (`egress`) or accepted it (`ingress`). The field itself is left
    to the field-names relaxation, like every other Sysmon name pySigma
    keeps."""

    def f(p):
        if p[1] == "Initiated" and p[2] == "eq" and p[3] in SYSMON_DIRECTION:
            return ("p", p[1], "eq", SYSMON_DIRECTION[p[3]], p[4])
        return p

    return N.normalize(N.map_preds(t, f))


def compare_trees(target, t_tree, o_tree, reasons, source):
    if target in ECS_TARGETS:
        translated = sysmon_initiated(t_tree)
        if translated != t_tree:
            res = compare_trees(target, translated, o_tree, reasons, source)
            if res["status"] == "equivalent":
                res["cls"] += " (Sysmon `Initiated` under its own name)"
                return res
            if res["cls"].startswith("case sensitivity"):
                return res
    relaxations = [r for r in RELAXATIONS if not (target in SAME_SCHEMA and r == "field names")]
    res = _relaxed(target, t_tree, o_tree, source, relaxations)
    if res is None and target in SAME_SCHEMA:
        res = _relaxed(target, t_tree, o_tree, source, RELAXATIONS)
        if res is not None:
            res["status"] = "different"
            res["cls"] = "field mapping differs"
    if res is not None:
        return res
    return _unexplained(target, t_tree, o_tree, reasons, source)


def _relaxed(target, t_tree, o_tree, source, relaxations):
    for size in range(0, len(relaxations) + 1):
        for which in itertools.combinations(relaxations, size):
            ok, mapping = relax(target, t_tree, o_tree, which)
            if ok:
                parts = ["syntax"] + list(which)
                res = {"status": "equivalent", "cls": " + ".join(parts), "relaxations": list(which)}
                if "case" in which and caseless_only(t_tree, o_tree):
                    # The case differs only where ruledex reads a `.caseless`
                    # sub-field that pySigma (with no pipeline for the rule's
                    # log source) does not map: a field-mapping difference.
                    res["cls"] = " + ".join(["syntax"] + [w for w in which if w != "case"]) + " (ruledex on `.caseless` sub-fields)"
                elif "case" in which:
                    res["status"] = "different"
                    res["cls"] = "case sensitivity: " + case_direction(t_tree, o_tree)
                    if len(which) > 1:
                        res["cls"] += " (with " + ", ".join(w for w in which if w != "case") + ")"
                if mapping:
                    res["fields"] = {k: v for k, v in mapping.items() if k != v}
                if source:
                    res["source"] = source
                return res
    return None


def _unexplained(target, t_tree, o_tree, reasons, source):
    if target == "kusto-asim" and any(p[1] == "ParentProcessName" for p in N.preds(t_tree)):
        # pySigma's sentinel_asim maps ParentImage to ParentProcessName or
        # ActingProcessName; ruledex to ActingProcessName alone. Compare again
        # with the first alternative folded into the second.
        def parent(p):
            return ("p", "ActingProcessName", p[2], p[3], p[4]) if p[1] == "ParentProcessName" else p

        folded = N.map_preds(theirs_q_tree := t_tree, parent)
        again = compare_trees(target, N.normalize(folded), o_tree, reasons, source)
        if again["status"] == "equivalent":
            return {"status": "different", "cls": "pySigma: ParentImage as ParentProcessName or ActingProcessName",
                    "only_pysigma": [N.render(p) for p in differing(theirs_q_tree, o_tree)[0][:6]], "only_ruledex": []}
        if again["status"] == "different":
            return again
    cls = known_class(target, t_tree, o_tree, reasons, source) or heuristic_class(target, t_tree, o_tree)
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
