"""Verdicts per difference class, decided by reading the class's samples
(docs/PYSIGMA_DIFF.md shows them).

Each entry: class name, or (target, class name) where the verdict depends on
the target -> (verdict, reasoning). verdict is one of:
    equivalent    the queries differ in form but match the same events
    ours_wrong    ruledex's query does not mean what the Sigma rule means
    theirs_wrong  pySigma's query does not mean what the Sigma rule means
    both_wrong    neither query means what the rule means
A class without an entry is "unclassified"; the report counts it so that it
gets read and judged.
"""

CASE = (
    "theirs_wrong",
    "Sigma compares strings case-insensitively unless a value has the `cased` modifier. "
    "pySigma's ES|QL backend writes case-sensitive comparisons (`==`, `like`, `starts_with`, "
    "`ends_with`, `in`), and compares `.caseless` sub-fields (which hold lowercased values) "
    "with the rule's capitalized literals, which can never match; ruledex compares "
    "`TO_LOWER(field)` with the lowercased value.",
)

from compare import ESQL_NOT_NULL, REGISTRY_EVENT_TYPE, REGISTRY_PATH, REGISTRY_TRAILING  # noqa: E402

REGISTRY_PATH_VERDICT = (
    "theirs_wrong",
    "The rule tests Sysmon's `TargetObject`: the key path and the value name joined by `\\` "
    "(`HKLM\\…\\CurrentVersion\\Run\\Updater`). ASIM's registry parsers split it into "
    "`RegistryKey` (the key, hives spelled out) and `RegistryValue` (the value name). pySigma "
    "tests `RegistryKey` alone, which never holds the value name, so a test that names a value, "
    "or a key followed by a separator (`contains \"\\\\Run\\\\\"` for a value stored in Run), "
    "misses those events; it also writes the rule's wildcards as literal stars inside "
    "`endswith`/`==`. ruledex rebuilds Sysmon's path, `extend RegistryPath = strcat(RegistryKey, "
    "iff(isempty(RegistryValue), \"\", strcat(\"\\\\\", RegistryValue)))`, and tests that, with "
    "abbreviated hives spelled out as the parsers spell them.",
)
REGISTRY_TRAILING_VERDICT = (
    "both_wrong",
    "The rule tests Sysmon's `TargetObject`, the key path and the value name joined by `\\`, "
    "with `contains: 'X\\'` or `startswith: 'X\\'` (X followed by a path separator: a value or "
    "subkey under key X). "
    "ASIM's imRegistry splits that path into `RegistryKey` (the key) and `RegistryValue` (the "
    "value name). pySigma writes `RegistryKey endswith \"X*\"` (or `== \"X*\"`); Kusto's "
    "`endswith` and `==` take no wildcards, so that is a literal star, which no key ends with: the "
    "test never matches. ruledex writes `RegistryKey contains \"X\\\"` (or `startswith`; "
    "declared approximate, with the reason "
    "that ASIM keeps the value name apart): it matches subkeys of X but misses a value stored "
    "directly in X, whose `RegistryKey` is `…X` without a trailing separator (`…\\Run` for a "
    "Run-key value). The exact test is on the path rebuilt as Sysmon writes it, "
    "`strcat(RegistryKey, iff(isempty(RegistryValue), \"\", strcat(\"\\\\\", RegistryValue))) "
    "contains \"X\\\\\"`. (`registry_event_mal_azorult`: pySigma also drops the rule's "
    "`EventID: 12/13`, which ruledex keeps as `EventOriginalType`.)",
)

LNK_NEWLINES = (
    "theirs_wrong",
    "`susp_lnk_exec_hidden_cmd`: the rule's `CommandLine|re: '\\n\\n\\n\\n\\n\\n'` looks for six "
    "line breaks. pySigma passes `\\n` to Lucene's dialect, where a backslash only makes the "
    "next character literal (there is no `\\n` escape), so its expression is the letter n six "
    "times, matched against the whole value; ruledex writes the six line-break characters "
    "inside `.*…*`.",
)

VERDICTS = {
    "case sensitivity: pySigma case-sensitive": CASE,
    "case sensitivity: pySigma case-sensitive (with field names)": CASE,
    "case sensitivity: pySigma case-sensitive (with log source)": CASE,
    "case sensitivity: pySigma case-sensitive (with log source, field names)": CASE,
    "pySigma ES|QL: LIKE patterns lose their backslashes (and comparisons are case-sensitive)": (
        "theirs_wrong",
        "ES|QL's LIKE takes a backslash as its escape character, after the string literal has "
        "taken its own (ES|QL reference, LIKE: `\"foo \\\\* bar\"` matches `foo * bar`). pySigma "
        "escapes a pattern for the string literal only, so `like \"*\\\\Temp\\\\*\"` is the pattern "
        "`*\\Temp\\*`: `\\T` is a plain T and `\\*` a literal star, and the query looks for `Temp*` "
        "at the end of the value. ruledex writes `\\\\\\\\` for a backslash. Once pySigma's "
        "patterns are read as intended and case is ignored, both queries are equal.",
    ),
    "regular expression differs": (
        "theirs_wrong",
        "Lucene `/…/`, EQL `regex` and ES|QL `RLIKE` use Lucene's regular-expression dialect: the "
        "pattern must match the whole value and there is no `\\s`, `\\d`, `\\w` or `(?i)`. pySigma "
        "passes Sigma's PCRE through unchanged (unanchored, with `\\s`, `(?i)`, …), which does not "
        "match what the rule means; ruledex rewrites it (`.*` at both ends, `[\\t-\\r ]` for `\\s`, "
        "`[Aa]` pairs for case-insensitivity) and marks the conversion approximate where `.` "
        "also matches a line break.",
    ),
    "pySigma: ParentImage as ParentProcessName or ActingProcessName": (
        "theirs_wrong",
        "In ASIM process events the acting process is the one that created the target process, "
        "i.e. Sigma's parent (`ParentImage`); ASIM's `ParentProcessName` is the acting process's "
        "parent, the grandparent. pySigma's `sentinel_asim` writes `ParentProcessName … or "
        "ActingProcessName …`, which also matches on the grandparent; ruledex writes "
        "`ActingProcessName` alone. The queries agree once that alternative is folded.",
    ),
    "ruledex writes a field name the target schema lacks (declared approximate)": (
        "ours_wrong",
        "ruledex has no ASIM name for the field (`TargetObject`, `Hashes`, `ObjectName`, `NewName`, "
        "`c-uri-query`, …) and writes the Sigma name, saying so in the fidelity reasons; the "
        "ASIM parser has no such column, so the query fails (Kusto rejects unknown columns). pySigma "
        "maps them (`TargetObject` to `RegistryKey`, `Hashes` to `TargetProcessMD5/SHA1/SHA256/"
        "IMPHASH`, …). Declared, but still a query that does not run.",
    ),
    "ruledex: ActingProcessName on imNetworkSession (no such column)": (
        "ours_wrong",
        "`imNetworkSession` has no `ActingProcessName` column (its process fields are "
        "`SrcProcessName` and `DstProcessName`); ruledex writes `ActingProcessName` for `Image` in "
        "network_connection rules, without a fidelity reason, so the query fails. pySigma writes "
        "`SrcProcessName … or DstProcessName …`.",
    ),
    "literal `*` or `?` in a value: pySigma's escape is not read as a literal": (
        "theirs_wrong",
        "The rule's value holds an escaped `*` or `?` (a literal character). EQL wildcard "
        "patterns have no escape (Elasticsearch's EQL turns every `*`/`?` of a `:`/`like` string "
        "into a wildcard), and ES|QL's LIKE needs the escape doubled (see above); pySigma's `\\*` "
        "therefore still matches any text. ruledex uses `stringContains~`/`in~` (EQL) or a doubled "
        "escape (ES|QL), which match the literal character.",
    ),
    "pySigma query does not parse": (
        "theirs_wrong",
        "pySigma's query is not valid in the target language: EQL with a bare string or number as "
        "a condition (keyword rules: `any where \"foo\" or \"bar\"`, `(0 or 6)`) or a regular "
        "expression whose unescaped quote ends the string early; SPL whose `rex`/`eval` split "
        "leaves a `search OR …` (the first alternative of an `or` lands in the first search "
        "stage, outside the `or`).",
    ),
    "null test: ruledex `isempty`, pySigma `isnull`": (
        "theirs_wrong",
        "Sigma's `field: null` means the field is absent or empty. In Kusto a string column is "
        "never null (a missing value is the empty string), so pySigma's `isnull(F)` is always "
        "false on strings; ruledex's `isempty(F)` is true for null and empty.",
    ),
    "pySigma splits a value with inner wildcards into unordered pieces": (
        "theirs_wrong",
        "A value with a wildcard inside (`*/etc/*.conf*`, `\\vsimmersiveactivatehelper*.exe`) is "
        "an ordered pattern. pySigma's Kusto backend writes one `contains` per piece "
        "(`contains \"/etc/\" and contains \".conf\"`), which also matches the pieces in another "
        "order; ruledex writes an anchored `matches regex`.",
    ),
    "keyword: pySigma writes a bare string (not a Kusto condition), ruledex `* has`": (
        "theirs_wrong",
        "A Sigma keyword (no field) matches anywhere in the event. pySigma's Kusto backend writes "
        "the bare string as the `where` condition, which Kusto rejects (a string is not a "
        "boolean); ruledex writes `* has \"…\"`, a whole-term match over every column, and marks "
        "the conversion approximate.",
    ),
    ("spl", "keyword (field-less) search differs"): (
        "theirs_wrong",
        "A Sigma keyword matches anywhere in the event. SPL matches raw-text search terms as "
        "whole terms, so a keyword holding a wildcard (`htran*found`, `select * `) only matches "
        "an event term that starts with it; ruledex wraps such keywords in `*…*` (approximate, "
        "with the reason), pySigma does not.",
    ),
    ("lucene", "keyword (field-less) search differs"): (
        "theirs_wrong",
        "A Sigma keyword matches anywhere in the event, as a substring. `lnx_auditd_system_shutdown_reboot` "
        "has the keywords `0` and `6`; pySigma writes them as bare Lucene terms, which match "
        "only a whole term `0` or `6`; ruledex writes `*0*` and `*6*` (approximate, with the "
        "keyword reason).",
    ),
    ("eql", "keyword (field-less) search differs"): (
        "theirs_wrong",
        "A Sigma keyword matches anywhere in the event. EQL has no full-text search: pySigma "
        "writes the bare strings as conditions (not valid EQL); ruledex searches the ECS "
        "`message` field and marks the conversion approximate.",
    ),
    ("lucene", "case sensitivity: ruledex case-sensitive (with field names)"): (
        "both_wrong",
        "`sysmon_wmi_susp_scripting`, `sysmon_wmi_susp_encoded_scripts`: ruledex keeps Sysmon's WMI "
        "`Destination` as `winlog.event_data.Destination`, a keyword field Lucene compares "
        "case-sensitively (declared approximate); pySigma's ecs_windows maps `Destination` to "
        "`process.executable.caseless`, which is not where Winlogbeat puts a WMI consumer's "
        "destination.",
    ),
    "case sensitivity: pySigma matches a regular expression ignoring case (with field names)": (
        "theirs_wrong",
        "Sigma's `re` modifier is case-sensitive unless the expression says `(?i)`; pySigma's EQL "
        "backend writes `regex~` (case-insensitive), ruledex `regex`.",
    ),
    "case sensitivity: pySigma matches a regular expression ignoring case": (
        "theirs_wrong",
        "Sigma's `re` modifier is case-sensitive unless the expression says `(?i)`; pySigma's EQL "
        "backend writes `regex~` (case-insensitive), ruledex `regex`.",
    ),
    "ruledex: Sysmon `Initiated` value not translated to ECS network.direction": (
        "ours_wrong",
        "Sysmon's `Initiated: 'true'` is mapped to ECS `network.direction`, but the value is kept "
        "as `true`; ECS (and Winlogbeat) store `egress`/`ingress` there, as pySigma writes. "
        "ruledex's query never matches.",
    ),
    "pySigma: Sysmon `Initiated` value not translated to ECS network.direction": (
        "theirs_wrong",
        "Sysmon's `Initiated: 'true'` (the local process opened the connection) is ECS "
        "`network.direction: egress` (`false`: `ingress`), as Winlogbeat stores it; pySigma's "
        "ecs_windows keeps the value `true` in most rules, which ECS never holds. ruledex writes "
        "`egress`/`ingress`.",
    ),
    REGISTRY_EVENT_TYPE: (
        "ours_wrong",
        "The rule selects Sysmon's registry `EventType` (`SetValue`, `CreateKey`). ASIM's "
        "registry schema names the same events `RegistryValueSet`, `RegistryKeyCreated`, "
        "`RegistryKeyDeleted`, `RegistryValueDeleted`, `RegistryKeyRenamed`; pySigma maps the "
        "value, ruledex keeps Sysmon's, which imRegistry never holds (the query matches nothing). "
        "Fix in kusto.rs: map the five Sysmon names to ASIM's in imRegistry.",
    ),
    REGISTRY_EVENT_TYPE + " (and key paths differ)": (
        "both_wrong",
        "`registry_add_persistence_disk_cleanup_handler_entry`, `registry_delete_mstsc_history_cleared`: "
        "ruledex keeps Sysmon's `EventType` (`CreateKey`, `DeleteKey`; ASIM's are "
        "`RegistryKeyCreated`, `RegistryKeyDeleted`, see the class above), and the "
        "key path ending in `\\` is written as in the class on registry paths: pySigma's "
        "literal-star `endswith` never matches, ruledex's `contains` misses the key itself.",
    ),
    "registry hive: ruledex `HKLM\\…`, pySigma `HKEY_LOCAL_MACHINE\\…`": (
        "both_wrong",
        "Rules that name a full key path (`HKLM\\System\\CurrentControlSet\\Services\\…`). ASIM's "
        "`RegistryKey` spells hives out (`HKEY_LOCAL_MACHINE`), so ruledex's `HKLM\\…` never "
        "matches (declared approximate with that reason). pySigma spells the hive out but also "
        "rewrites `CurrentControlSet` as `CurrentControlSet001` (Windows names it `ControlSet001`), "
        "writes the rule's trailing wildcard as a literal `*` inside `==`, and compares "
        "`RegistryKey` with paths ending in the value name (`\\ImagePath`, `\\(Default)`), which "
        "ASIM keeps in `RegistryValue`; none of its tests can match either.",
    ),
    "pySigma: a regular expression that must match the whole value": (
        "theirs_wrong",
        "A Sigma `re` value is a search: it matches when the expression matches somewhere in "
        "the value. Lucene's regular expressions (Lucene `/…/`, EQL `regex`, ES|QL `RLIKE`) "
        "must match the whole value (Elasticsearch regular-expression syntax), so pySigma's "
        "unchanged `-D` matches only the value `-D`, and `\\+.*\\+` only values that begin "
        "and end with `+`. ruledex writes `.*….*` around the expression; read as searches, "
        "pySigma's expressions give ruledex's query.",
    ),
    REGISTRY_TRAILING: REGISTRY_TRAILING_VERDICT,
    REGISTRY_PATH: REGISTRY_PATH_VERDICT,
    ESQL_NOT_NULL: (
        "theirs_wrong",
        "Apart from the guards the two queries are the same. ES|QL's logic has three values: a "
        "test on a field the event lacks is null, and `not null` is null, so pySigma's "
        "`not (f == x)` drops an event that lacks `f`; Sigma's `not` keeps it (the test is "
        "false, its negation true). ruledex writes `not (f IS NOT NULL and f == x)`, which is "
        "true on such an event.",
    ),
    REGISTRY_PATH + " (and `isnull`/`isempty`)": (
        "theirs_wrong",
        REGISTRY_PATH_VERDICT[1]
        + " The same rules also test `Details: null` or `Image: null`: Kusto's string columns "
        "are never null (absent is the empty string), so pySigma's `isnull(…)` is never true and "
        "its exclusion never applies; ruledex's `isempty(…)` is Sigma's `null`.",
    ),
    REGISTRY_TRAILING + " (and `isnull`/`isempty`)": (
        "both_wrong",
        REGISTRY_TRAILING_VERDICT[1]
        + " The same rules also test `Details: null` or `Image: null`. Kusto's string columns "
        "are never null (an absent value is the empty string, and the `isnull` reference says to "
        "test strings with `isempty`), so pySigma's `isnull(RegistryValueData)` is never true and "
        "its `not (… or isnull(…))` filter never excludes the events the rule filters out; "
        "ruledex's `isempty(…)` is true for absent and empty values, which is Sigma's `null`. "
        "On that part pySigma is wrong and ruledex right; the pair stays both wrong because of "
        "the key paths.",
    ),
    "pySigma: Sysmon `Initiated` value not translated to ASIM NetworkDirection": (
        "theirs_wrong",
        "Sysmon's `Initiated: 'true'` says the local process opened the connection. ASIM's "
        "network session schema records that in `NetworkDirection`, whose values are "
        "`Inbound`, `Outbound`, `Local` and `NA`; pySigma's `sentinel_asim` maps the field but "
        "keeps the value, and `NetworkDirection =~ \"true\"` never matches. ruledex writes "
        "`NetworkDirection =~ \"Outbound\"` (`false`: `Inbound`).",
    ),
    "ruledex reads a number with leading zeros as an integer": (
        "ours_wrong",
        "`registry_set_susp_keyboard_layout_load`: `Details|contains: 00000429` is the string "
        "`00000429` (a keyboard layout id); ruledex reads it as the integer 429 and searches "
        "`*429*`, which also matches other ids. The Sigma reader should keep the scalar's text "
        "when it has leading zeros.",
    ),
    "same predicates, different boolean structure": (
        "theirs_wrong",
        "SPL: pySigma writes `NOT A OR B OR C` for `not (A or B or C)` (`regsvr32_flags_anomaly`); "
        "in SPL `NOT` binds tighter than `OR`, so only A is negated. In `regedit_import_keys` it "
        "moves the filter's regex out of the `NOT` into a later `| regex` stage, so it is required "
        "instead of excluded. ruledex keeps the rule's structure.",
    ),
    "pySigma uses a pipeline stage the comparator does not model": (
        "theirs_wrong",
        "`file_delete_win_delete_own_image` (field reference): pySigma compares "
        "`'TargetFilename'='Image'` case-sensitively; Sigma compares case-insensitively and "
        "ruledex writes `lower(…)=lower(…)`.",
    ),
    "CIDR match written differently": (
        "theirs_wrong",
        "`win_security_susp_failed_logon_source`: pySigma drops the rule's `EventID: 4625` (its "
        "sentinel_asim pipeline removes EventID conditions), so the query matches successful "
        "logons too, and checks IPv6 ranges with `ipv4_is_in_range`; ruledex keeps "
        "`EventOriginalType == 4625` and uses `ipv6_is_in_range` for IPv6.",
    ),
    ("kusto-asim", "predicates differ"): (
        "theirs_wrong",
        "Security-log rules on events 4656/4661/4662 (handles to SAM objects, registry keys, WMI "
        "namespaces): no ASIM parser covers them, so ruledex reads the native `SecurityEvent` table "
        "with its `EventID`, `ObjectType` and `ObjectName` columns (approximate, with that reason); "
        "pySigma reads `imRegistry`, drops the event id and the object type and matches "
        "`ObjectName` against `RegistryKey`. `crackmapexec_execution_patterns`: pySigma splits "
        "inner wildcards into unordered `contains` (as in the class above).",
    ),
    ("kusto-asim", "operator or value differs on the same fields"): (
        "theirs_wrong",
        "`rar_susp_greedy_compression`: pySigma splits ` ?:\\*.` patterns into unordered "
        "`contains` pieces (see the class above); ruledex writes anchored regular expressions. "
        "`registry_set_persistence_event_viewer_events_asp`: `Details: '-url "
        "hcp://services/centers/support?topic=%%s'` is a whole-value match with one `?` "
        "wildcard; pySigma wraps it in `*…*` (a substring match), ruledex keeps it whole.",
    ),
    "Sysmon `Hashes`: pySigma `startswith` the whole hash, ruledex `=~`": (
        "equivalent",
        "Sysmon `Hashes|contains: 'SHA256=<hash>'`: both sides test the per-algorithm column; "
        "ruledex compares the whole hash (`TargetProcessSHA256 =~ \"…\"`), pySigma writes "
        "`startswith` the same full-length hash. A column holding one hash of that length "
        "matches both alike.",
    ),
    ("lucene", "backslashes in values differ"): (
        "equivalent",
        "Field mapping only: ruledex maps `ParentUser` to ECS `process.parent.user.name` where "
        "pySigma's ecs_windows keeps `winlog.event_data.ParentUser`, and reads `.caseless` "
        "sub-fields for the rest; the values and structure agree.",
    ),
    ("eql", "backslashes in values differ"): (
        "equivalent",
        "Field mapping only (`ParentUser` to `process.parent.user.name`; `CommandLine` in "
        "network_connection rules to `process.command_line` where pySigma keeps "
        "`winlog.event_data.CommandLine`); values and structure agree.",
    ),
    ("esql", "backslashes in values differ"): (
        "theirs_wrong",
        "pySigma's ES|QL compares `.caseless` sub-fields with capitalized literals and loses LIKE "
        "backslashes (as in the ES|QL classes above), together with a field-mapping difference "
        "that keeps the combined check from recognizing it.",
    ),
    ("esql", "predicates differ"): (
        "theirs_wrong",
        "`win_security_explicit_credential_local_logon`: pySigma compares "
        "`process.executable.caseless` with `C:\\Windows\\…` (capitals never match the lowercased "
        "sub-field) and maps `SubjectUserName` to `user.name`; ruledex lowercases both sides. "
        "`aws_update_login_profile`: the field reference `userIdentity.arn|fieldref: "
        "requestParameters.userName` is compared case-sensitively by pySigma (Sigma compares "
        "strings ignoring case; ruledex writes `TO_LOWER` on both sides), besides pySigma keeping "
        "CloudTrail's own field names. `susp_lnk_exec_hidden_cmd`: pySigma's `\\n` is the letter n "
        "in Lucene's dialect (see the EQL reasoning).",
    ),
    ("eql", "predicates differ"): LNK_NEWLINES,
    ("lucene", "operator or value differs on the same fields"): LNK_NEWLINES,
    ("esql", "null / exists test differs"): (
        "theirs_wrong",
        "`susp_cross_user_process_spawn`: pySigma maps `ParentUser` to "
        "`winlog.event_data.ParentUser` in the null test but leaves it as `ParentUser` in the field "
        "reference (`user.name==ParentUser`), a field that does not exist.",
    ),
}


# ASIM columns both sides write for the same Sigma field, pair by pair
# (pySigma's column, ruledex's column) -> who is wrong.
ASIM_PAIRS = {
    ("TargetFileName", "TargetFilePath"): "theirs_wrong",
    ("FileName", "TargetFilePath"): "theirs_wrong",
    ("TargetFilePath", "ActingProcessName"): "theirs_wrong",
    ("TargetFileName", "ActingProcessName"): "theirs_wrong",
    ("RegistryKey", "TargetObject"): "ours_wrong",
    ("RegistryKey", "RegistryPath"): "theirs_wrong",
    ("HttpHost", "DstFQDN"): "ours_wrong",
    ("ActingProcessName", "ActingProcessParentFileName"): "theirs_wrong",
    ("TargetFilePath", "ActingProcessParentFileName"): "theirs_wrong",
    ("TargetUsername", "User"): "ours_wrong",
    ("ActorUsername", "User"): "ours_wrong",
    ("HttpHost", "cs-host"): "ours_wrong",
    ("ActingProcessName", "ParentProcessName"): "ours_wrong",
    ("TargetFilePath", "ParentProcessName"): "both_wrong",
}

FIELD_MAPPING = (
    "Both queries have the same structure and values but put a Sigma field in different ASIM "
    "columns. Judged pair by pair (pySigma ⟶ ruledex): `TargetFileName ⟶ TargetFilePath` and "
    "`FileName ⟶ TargetFilePath`: Sigma's `TargetFilename` is a full path, ASIM's "
    "`TargetFileName` only the name, so pySigma is wrong; `TargetFilePath ⟶ ActingProcessName`: "
    "Sigma's `Image` in file events is the process that wrote the file (ASIM's acting process), "
    "pySigma is wrong; `RegistryKey ⟶ TargetObject`, `TargetUsername`/`ActorUsername ⟶ User`, "
    "`HttpHost ⟶ cs-host`: ruledex keeps a Sigma name that is no ASIM column, ruledex is wrong; "
    "`RegistryKey ⟶ RegistryPath`: Sysmon's `TargetObject` is the key and the value name, which "
    "ruledex rebuilds from ASIM's `RegistryKey` and `RegistryValue`; pySigma's key alone misses "
    "every test naming a value, pySigma is wrong; `HttpHost ⟶ DstFQDN`: the web-session schema "
    "has `HttpHost` for the Host header in its newer versions, but no parser in the pinned "
    "parser snapshot fills it, so ruledex writes the server name `DstFQDN` (declared "
    "approximate): counted as ruledex wrong; `ActingProcessName`/`TargetFilePath ⟶ "
    "ActingProcessParentFileName`: Sigma's `ParentImage` in file events is the parent of the "
    "writing process, not the process (`ActingProcessName`) nor the file, pySigma is wrong; "
    "`… ⟶ ParentProcessName` in file events: imFileEvent has no parent-process column, ruledex is "
    "wrong. A row with pairs of both kinds is both wrong."
)


def field_mapping_verdict(row):
    kinds = {ASIM_PAIRS.get((a, b), "unclassified") for a, b in (row.get("fields") or {}).items()}
    if "unclassified" in kinds or not kinds:
        return ("unclassified", "")
    if "both_wrong" in kinds or {"ours_wrong", "theirs_wrong"} <= kinds:
        return ("both_wrong", FIELD_MAPPING)
    return (kinds.pop(), FIELD_MAPPING)


def verdict_for(row):
    cls = row.get("cls", "")
    if cls == "field mapping differs":
        return field_mapping_verdict(row)
    for key in ((row["target"], cls), cls):
        if key in VERDICTS:
            return VERDICTS[key]
    return ("unclassified", "")
