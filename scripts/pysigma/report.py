"""docs/pysigma-diff.json and docs/PYSIGMA_DIFF.md from the judged rows."""

import collections
import datetime

from verdicts import verdict_for

PIPELINES = {
    "kusto-asim": "KustoBackend + `sentinel_asim`",
    "spl": "SplunkBackend + `splunk_windows`",
    "lucene": "LuceneBackend + `ecs_windows`",
    "eql": "EqlBackend + `ecs_windows`",
    "esql": "ESQLBackend + `ecs_windows`",
}

VERDICT_NAMES = {
    "equivalent": "equivalent",
    "ours_wrong": "ours wrong",
    "theirs_wrong": "theirs wrong",
    "both_wrong": "both wrong",
    "unclassified": "UNCLASSIFIED",
}


def build(rows, targets, versions, commit, summary, nfiles, build_note=""):
    per = {t: collections.Counter() for t in targets}
    eq_classes = {t: collections.Counter() for t in targets}
    diff = collections.defaultdict(lambda: {"counts": collections.Counter(), "examples": []})
    only_p = {t: collections.Counter() for t in targets}
    only_r = {t: collections.Counter() for t in targets}
    neither = {t: collections.Counter() for t in targets}
    fields = {t: collections.Counter() for t in targets}
    sources = {t: collections.Counter() for t in targets}
    for r in rows:
        t, s = r["target"], r["status"]
        c = per[t]
        c["rules"] += 1
        c[s] += 1
        if s in ("identical", "equivalent", "different", "only_pysigma"):
            c["pysigma_converts"] += 1
        if s in ("identical", "equivalent", "different", "only_ruledex"):
            c["ruledex_converts"] += 1
        if s in ("identical", "equivalent", "different"):
            c["both"] += 1
            if r.get("source"):
                sources[t][" ⟶ ".join(r["source"])] += 1
            for a, b in (r.get("fields") or {}).items():
                fields[t][f"{a} ⟶ {b}"] += 1
        if s in ("identical", "equivalent"):
            eq_classes[t][r["cls"]] += 1
        if s == "different":
            v = r["verdict"]
            c["v_" + v] += 1
            d = diff[r["cls"]]
            d["counts"][t] += 1
            if len([e for e in d["examples"] if e["target"] == t]) < 2 and len(d["examples"]) < 6:
                d["examples"].append(
                    {k: r[k] for k in ("path", "target", "ruledex", "pysigma", "fidelity", "reasons",
                                       "only_pysigma", "only_ruledex", "detail", "source") if k in r}
                )
        if s == "only_pysigma":
            only_p[t][r.get("ruledex_reason", "?")] += 1
        if s == "only_ruledex":
            only_r[t][r.get("pysigma_error", "?")] += 1
        if s == "neither":
            neither[t][f"pySigma: {r.get('pysigma_error', '?')} | ruledex: {r.get('ruledex_reason', '?')}"] += 1
    tsum = {}
    for t in targets:
        c = per[t]
        tsum[t] = {
            "pipeline": PIPELINES.get(t, ""),
            "rules": c["rules"],
            "pysigma_converts": c["pysigma_converts"],
            "ruledex_converts": c["ruledex_converts"],
            "both": c["both"],
            "identical": c["identical"],
            "equivalent": c["equivalent"],
            "different": c["different"],
            "different_equivalent": c["v_equivalent"],
            "ours_wrong": c["v_ours_wrong"],
            "theirs_wrong": c["v_theirs_wrong"],
            "both_wrong": c["v_both_wrong"],
            "unclassified": c["v_unclassified"],
            "only_pysigma": c["only_pysigma"],
            "only_ruledex": c["only_ruledex"],
            "neither": c["neither"],
        }
        # A different pair judged equivalent counts as agreement.
        agree = c["identical"] + c["equivalent"] + c["v_equivalent"]
        tsum[t]["agree"] = agree
        tsum[t]["equivalent_pct"] = 100.0 * agree / c["both"] if c["both"] else 0.0
        ok = agree + c["v_theirs_wrong"]
        tsum[t]["ruledex_right_pct"] = 100.0 * ok / c["both"] if c["both"] else 0.0
        # Agreement where pySigma is a sound reference: pairs it is not judged
        # wrong on alone.
        sound = c["both"] - c["v_theirs_wrong"]
        tsum[t]["sound"] = sound
        tsum[t]["agree_sound_pct"] = 100.0 * agree / sound if sound else 0.0
    classes = []
    for cls, d in sorted(diff.items(), key=lambda kv: -sum(kv[1]["counts"].values())):
        # Per-target verdicts may differ: take them from the rows.
        verdicts = collections.Counter(r["verdict"] for r in rows if r.get("cls") == cls and r["status"] == "different")
        # Every distinct reasoning of each verdict, with the targets it was
        # given for (a class's verdict may be judged per target).
        whys = {}
        for r in rows:
            if r.get("cls") == cls and r["status"] == "different":
                vv, ww = verdict_for(r)
                if ww:
                    given = whys.setdefault(vv, {}).setdefault(ww, [])
                    if r["target"] not in given:
                        given.append(r["target"])
        whys = {
            v: "\n\n".join(
                (f"({', '.join(f'`{t}`' for t in ts)}) " if len(texts) > 1 else "") + text
                for text, ts in texts.items()
            )
            for v, texts in whys.items()
        }
        classes.append({
            "class": cls,
            "verdicts": dict(verdicts),
            "reasoning": whys,
            "counts": dict(d["counts"]),
            "examples": d["examples"],
        })
    return {
        "generated": {
            "date": datetime.date.today().isoformat(),
            "ruledex_commit": commit,
            "ruledex_build": build_note,
            "pysigma": versions,
            "rule_files": nfiles,
            "ruledex_summary": summary,
        },
        "targets": tsum,
        "equivalence_classes": {t: dict(eq_classes[t].most_common()) for t in targets},
        "difference_classes": classes,
        "only_pysigma_ruledex_reasons": {t: dict(only_p[t].most_common()) for t in targets},
        "only_ruledex_pysigma_errors": {t: dict(only_r[t].most_common()) for t in targets},
        "neither": {t: dict(neither[t].most_common()) for t in targets},
        "field_pairs": {t: dict(fields[t].most_common()) for t in targets},
        "source_pairs": {t: dict(sources[t].most_common()) for t in targets},
        # Every pair that is neither identical nor equivalent (those are
        # counted above): [path, target, status, class or
        # failure, verdict]; the failure is pySigma's error (only_ruledex,
        # neither) or ruledex's reason (only_pysigma).
        "rows_columns": ["path", "target", "status", "class_or_reason", "verdict"],
        "rows": [
            [r["path"], r["target"], r["status"],
             r.get("cls") or r.get("pysigma_error") or r.get("ruledex_reason") or "",
             r.get("verdict", "")]
            for r in rows if r["status"] not in ("identical", "equivalent")
        ],
    }


def code(q, limit=700):
    q = q if len(q) <= limit else q[:limit] + " …"
    return "```\n" + q.replace("```", "`​``") + "\n```\n"


def markdown(data, rows):
    g, ts = data["generated"], data["targets"]
    out = []
    w = out.append
    w("# ruledex convert side by side with pySigma\n")
    w("Generated by `scripts/pysigma-diff` (see the end of this file for how to run it) on "
      f"{g['date']}, ruledex commit `{g['ruledex_commit']}`"
      + (f" ({g['ruledex_build']})" if g.get("ruledex_build") else "")
      + f", over the {g['rule_files']:,} rule "
      "files of `../shared/corpora/sigma/rules`. pySigma side: " + ", ".join(f"`{v}`" for v in g["pysigma"]) + ".\n")
    w("For each rule and target the two queries are **identical** (after whitespace "
      "normalization), **equivalent** (both parse to the same normalized boolean form: only "
      "parentheses, operand order, quoting/escaping, `IN` lists or operator spelling differ, "
      "optionally also a log-source conjunct or a consistent field renaming, see below), or "
      "**different**; a different pair gets a class and each class a verdict, decided by "
      "reading its samples: *equivalent* (same events), *ours wrong*, *theirs wrong* or *both wrong*.\n")
    w("## Summary\n")
    names = list(ts)
    w("| | " + " | ".join(f"`{t}`" for t in names) + " |")
    w("|---|" + "---:|" * len(names))
    lines = [
        ("pySigma backend + pipeline", "pipeline", None),
        ("rules", "rules", None),
        ("pySigma converts", "pysigma_converts", None),
        ("ruledex converts", "ruledex_converts", None),
        ("**both convert**", "both", None),
        ("identical", "identical", None),
        ("equivalent (normalized form)", "equivalent", None),
        ("different, judged equivalent", "different_equivalent", None),
        ("**agree (identical + equivalent)**", "agree", None),
        ("**agree, % of both**", "equivalent_pct", "pct"),
        ("agree or only pySigma wrong, % of both", "ruledex_right_pct", "pct"),
        ("both convert and pySigma not judged wrong alone", "sound", None),
        ("**agree, % of those**", "agree_sound_pct", "pct"),
        ("different: ours wrong", "ours_wrong", None),
        ("different: theirs wrong", "theirs_wrong", None),
        ("different: both wrong", "both_wrong", None),
        ("different: unclassified", "unclassified", None),
        ("only pySigma converts", "only_pysigma", None),
        ("only ruledex converts", "only_ruledex", None),
        ("neither converts", "neither", None),
    ]
    for label, key, fmt in lines:
        cells = []
        for t in names:
            v = ts[t][key]
            cells.append(f"{v:.1f}%" if fmt == "pct" else (f"{v:,}" if isinstance(v, int) else str(v)))
        w(f"| {label} | " + " | ".join(cells) + " |")
    w("")
    w("## Equivalent pairs, by what differs\n")
    w("`syntax` alone: parentheses, operand order within `and`/`or`, quoting and escaping, "
      "`IN (…)` lists against disjunctions, operator spelling (`like~ \"*x*\"` vs `contains`). "
      "`log source`: a top-level conjunct that only one side writes and that only selects the "
      "log source (`source=\"WinEventLog:…\"`, `winlog.channel`, `event.category`): where to "
      "look, not what to match. `field names`: the same predicates on consistently renamed "
      "fields (each pySigma field stands for one ruledex field throughout the rule); the "
      "renamings are tallied below, and each follows from ruledex's documented mapping "
      "(ECS names from `crates/ruledex-taxonomy/data/fields.toml` where pySigma has no "
      "pipeline or maps differently).\n")
    all_eq = sorted({c for t in names for c in data["equivalence_classes"][t]})
    w("| class | " + " | ".join(f"`{t}`" for t in names) + " |")
    w("|---|" + "---:|" * len(names))
    for c in all_eq:
        w(f"| {c} | " + " | ".join(str(data["equivalence_classes"][t].get(c, 0)) for t in names) + " |")
    w("")
    w("## Differences, by class\n")
    if not data["difference_classes"]:
        w("None.\n")
    for d in data["difference_classes"]:
        total = sum(d["counts"].values())
        verdict = ", ".join(f"{VERDICT_NAMES.get(v, v)} ({n})" for v, n in d["verdicts"].items())
        w(f"### {d['class']} — {total} pairs: {verdict}\n")
        w("Per target: " + ", ".join(f"`{t}` {n}" for t, n in d["counts"].items()) + ".\n")
        for v, why in d["reasoning"].items():
            if why:
                w(f"*{VERDICT_NAMES.get(v, v)}*: {why}\n")
        for e in d["examples"][:3]:
            w(f"`{e['path']}` → `{e['target']}` (ruledex fidelity: {e.get('fidelity', '?')})\n")
            if e.get("only_ruledex") or e.get("only_pysigma"):
                w("Only in ruledex: " + "; ".join(f"`{p}`" for p in e.get("only_ruledex", [])) + "  ")
                w("Only in pySigma: " + "; ".join(f"`{p}`" for p in e.get("only_pysigma", [])) + "\n")
            w("ruledex:\n")
            w(code(e.get("ruledex", "")))
            w("pySigma:\n")
            w(code(e.get("pysigma", "")))
    w("## Only one side converts\n")
    for t in names:
        rp = data["only_pysigma_ruledex_reasons"][t]
        pe = data["only_ruledex_pysigma_errors"][t]
        w(f"### `{t}`\n")
        w(f"Only pySigma converts: {ts[t]['only_pysigma']:,} (ruledex's reason, most frequent first)\n")
        for reason, n in list(rp.items())[:12]:
            w(f"- {n:,} × {reason[:300]}")
        if len(rp) > 12:
            w(f"- … {len(rp) - 12} more reasons (docs/pysigma-diff.json)")
        w("")
        w(f"Only ruledex converts: {ts[t]['only_ruledex']:,} (pySigma's error)\n")
        for reason, n in list(pe.items())[:12]:
            w(f"- {n:,} × {reason[:300]}")
        if len(pe) > 12:
            w(f"- … {len(pe) - 12} more errors (docs/pysigma-diff.json)")
        w("")
        ne = data["neither"][t]
        if ne:
            w(f"Neither converts: {ts[t]['neither']:,}\n")
            for reason, n in list(ne.items())[:6]:
                w(f"- {n:,} × {reason[:300]}")
            w("")
    w("## Field renamings in equivalent pairs\n")
    w("pySigma field ⟶ ruledex field, number of rules (top 15 per target).\n")
    for t in names:
        fp = data["field_pairs"][t]
        if not fp:
            continue
        w(f"- `{t}`: " + "; ".join(f"`{k}` ({n})" for k, n in list(fp.items())[:15]))
    w("")
    w("## Query sources (table, event category, index) where they differ\n")
    for t in names:
        sp = data["source_pairs"][t]
        if sp:
            w(f"- `{t}`: " + "; ".join(f"`{k}` ({n})" for k, n in list(sp.items())[:10]))
    w("")
    w(HOW)
    return "\n".join(out) + "\n"


HOW = """## How this report is made

```sh
scripts/pysigma-diff                     # venv in target/pysigma-venv (or $PYSIGMA_VENV), release build
scripts/pysigma-diff --ruledex target/release/ruledex --venv /work/pysigma-venv --reuse
```

pySigma is driven through its Python API in one process (`scripts/pysigma/worker.py`), one
`try/except` per rule and target; each failure keeps its error class and first message line.
Backends and pipelines:

- `kusto-asim`: `KustoBackend` with the `sentinel_asim` pipeline (table chosen from the log source).
- `spl`: `SplunkBackend` with `splunk_windows`. ruledex's `spl` target searches raw events with the
  Sigma (Sysmon/Windows) field names, which is what the Splunk backend writes without a field-mapping
  pipeline; `splunk_windows` only adds `source="WinEventLog:…"` for Windows service log sources and
  renames `EventID` to `EventCode`, which is how Windows events are indexed by the Splunk add-on.
  (`splunk_cim` would be the counterpart of ruledex's `spl-cim`, which is not compared.)
- `lucene`, `eql`, `esql`: the elasticsearch backends with `ecs_windows` (Winlogbeat ≥ 7 ECS names).
  The pipeline only acts on Windows rules; pySigma has no ECS pipeline for Linux, macOS, cloud or
  web-server rules, which therefore keep their Sigma field names on the pySigma side while ruledex
  writes ECS names from its taxonomy: those pairs land in the `field names` class when the rest agrees.

The comparison (`scripts/pysigma/normalize.py`, `compare.py`) parses both queries of a pair with
one small parser per language into a boolean tree of predicates `(field, operator, value,
case-insensitive)`, reduces wildcard patterns (`*x*` is *contains x*), flattens and sorts
`and`/`or`, and compares; then it retries with the relaxations named above. Class verdicts are in
`scripts/pysigma/verdicts.py`, each with the reasoning quoted in this report.

Regular expressions are read in their target's dialect. Kusto's `matches regex` and SPL's regex
search in the value; Lucene's dialect (Lucene `/…/`, EQL `regex`, ES|QL `RLIKE`) must match the
whole value, has no `^`, `$`, `(?i)` or `(?:`, and reads a backslash as "the next character
literally". A Lucene-dialect expression is compared in one spelling: escaped and bare literals
alike, character classes as sorted ranges, and a run of `.` items with an unbounded one as one
item (`.*.+` is `.+`, `.*(.){200,}.*` is `.{200,}`), so two spellings of one language compare
equal and nothing else does; one made only of literals, `.` and `.*` becomes a wildcard pattern.
Where pySigma kept Sysmon's `Initiated: true/false` under its own name (no pipeline for the
rule's log source), the value is read as ECS's `egress`/`ingress` before the field-names
relaxation, as every other Sysmon name pySigma keeps is.
"""
