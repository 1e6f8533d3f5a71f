"""Convert Sigma rules with pySigma; runs inside the pinned virtual environment.

Used by `scripts/pysigma-diff` (mode `convert`: one JSON object per rule and
target on stdout) and `scripts/bench-convert` (mode `bench`: timings only).

The five targets and the pySigma backend and pipeline each one is compared
with (the reasons are in docs/PYSIGMA_DIFF.md):

    kusto-asim  KustoBackend + sentinel_asim
    spl         SplunkBackend + splunk_windows
    lucene      LuceneBackend + ecs_windows
    eql         EqlBackend    + ecs_windows
    esql        ESQLBackend   + ecs_windows

`ecs_windows` and `splunk_windows` only act on rules whose log source is
Windows; other rules keep their Sigma field names.
"""

import json
import sys
import time
import warnings
from pathlib import Path

from sigma.collection import SigmaCollection


def backends():
    """Target name -> function returning a fresh backend with its pipeline."""
    from sigma.backends.elasticsearch import EqlBackend, ESQLBackend, LuceneBackend
    from sigma.backends.kusto import KustoBackend
    from sigma.backends.splunk import SplunkBackend
    from sigma.pipelines.elasticsearch import ecs_windows
    from sigma.pipelines.sentinelasim import sentinel_asim_pipeline
    from sigma.pipelines.splunk import splunk_windows_pipeline

    return {
        "kusto-asim": lambda: KustoBackend(sentinel_asim_pipeline()),
        "spl": lambda: SplunkBackend(splunk_windows_pipeline()),
        "lucene": lambda: LuceneBackend(ecs_windows()),
        "eql": lambda: EqlBackend(ecs_windows()),
        "esql": lambda: ESQLBackend(ecs_windows()),
    }


def load(paths):
    """Parse every file; returns [(path, collection or None, error)]."""
    out = []
    for p in paths:
        try:
            c = SigmaCollection.from_yaml(Path(p).read_text(encoding="utf-8"))
            out.append((p, c, None))
        except Exception as e:  # noqa: BLE001 - every failure is recorded
            out.append((p, None, e))
    return out


def convert_one(backend, collection):
    """Convert every rule of one file; returns (queries, error)."""
    queries = []
    try:
        for rule in collection.rules:
            queries.extend(str(q) for q in backend.convert_rule(rule))
        errors = [e for r in collection.rules for e in getattr(r, "errors", [])]
        if errors and not queries:
            return None, errors[0]
        return queries, None
    except Exception as e:  # noqa: BLE001 - every failure is recorded
        return None, e


def error_json(e):
    return {"error_class": type(e).__name__, "error": str(e).splitlines()[0][:400] if str(e) else ""}


def main():
    warnings.simplefilter("ignore")
    mode, targets, listfile = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
    paths = [line for line in Path(listfile).read_text().splitlines() if line]
    makers = backends()
    if mode == "convert":
        for target in targets:
            backend = makers[target]()
            for p, coll, err in load(paths):  # fresh rules: pipelines mutate them
                row = {"path": p, "target": target}
                if coll is None:
                    row.update(error_json(err))
                else:
                    queries, err = convert_one(backend, coll)
                    if err is not None:
                        row.update(error_json(err))
                    elif not queries:
                        row.update(error_class="NoQuery", error="pySigma returned no query")
                    else:
                        row["queries"] = queries
                print(json.dumps(row), flush=False)
        return
    if mode == "bench":
        # Timed separately: reading + parsing the rules (once per target,
        # since a pipeline mutates the rules it converts) and converting them.
        iterations = int(sys.argv[4])
        result = {"rules": len(paths), "targets": {}}
        for target in targets:
            best_load, best_convert, ok, failed = None, None, 0, 0
            for _ in range(iterations):
                t0 = time.perf_counter()
                loaded = load(paths)
                t1 = time.perf_counter()
                backend = makers[target]()
                ok = failed = 0
                for _p, coll, _err in loaded:
                    if coll is None:
                        failed += 1
                        continue
                    queries, err = convert_one(backend, coll)
                    if err is None and queries:
                        ok += 1
                    else:
                        failed += 1
                t2 = time.perf_counter()
                best_load = min(best_load or 1e9, t1 - t0)
                best_convert = min(best_convert or 1e9, t2 - t1)
            result["targets"][target] = {
                "load_s": best_load,
                "convert_s": best_convert,
                "converted": ok,
                "failed": failed,
            }
        print(json.dumps(result))
        return
    sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
