"""Verdicts per difference class, decided by reading the class's samples.

Each entry: class name (optionally per target) -> (verdict, reasoning).
verdict is one of:
    equivalent    the queries differ in form but match the same events
    ours_wrong    ruledex's query does not mean what the Sigma rule means
    theirs_wrong  pySigma's query does not mean what the Sigma rule means
    both_wrong    neither query means what the rule means
A class without an entry is "unclassified"; the report lists it so that it
gets read and judged.
"""

VERDICTS = {
    "case sensitivity: pySigma case-sensitive": (
        "theirs_wrong",
        "Sigma compares strings case-insensitively unless a value has the `cased` "
        "modifier. pySigma writes a case-sensitive comparison (ES|QL `==`, `like`, "
        "`starts_with`/`ends_with`; Kusto `==`) where ruledex writes a case-insensitive one.",
    ),
    "case sensitivity: ruledex case-sensitive": (
        "ours_wrong",
        "Sigma compares strings case-insensitively unless a value has the `cased` "
        "modifier; ruledex writes a case-sensitive comparison where pySigma does not.",
    ),
}


def verdict_for(row):
    cls = row.get("cls", "")
    for key in ((row["target"], cls), cls, (row["target"], cls.split(" (with")[0]), cls.split(" (with")[0]):
        if key in VERDICTS:
            return VERDICTS[key]
    return ("unclassified", "")
