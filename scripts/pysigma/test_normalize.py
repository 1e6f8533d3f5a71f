"""Checks of the query normalizer: python3 -m unittest discover scripts/pysigma"""

import unittest

import compare as C
import normalize as N


def tree(target, q):
    return N.normalize(N.parse(target, q)[1])


# One rule (`Image|endswith: \\x.exe` or `CommandLine|contains: a*b`, not
# `User: SYSTEM`) written by hand in each language.
ONE_RULE = {
    "kusto-asim": 'T | where (Image endswith "\\\\x.exe" or CommandLine contains "a*b") and not(User =~ "SYSTEM")',
    "eql": 'any where (Image like~ "*\\\\x.exe" or CommandLine : "*a*b*") and not User : "system"',
    "spl": 'NOT User="SYSTEM" (Image="*\\\\x.exe" OR CommandLine="*a*b*")',
}


class Normalize(unittest.TestCase):
    def test_same_rule_in_three_languages(self):
        # spl's `*a*b*` is a pattern (SPL cannot escape `*`), so compare the
        # kusto and eql forms exactly and spl only for its other predicates.
        k = tree("kusto-asim", ONE_RULE["kusto-asim"])
        e = tree("eql", ONE_RULE["eql"].replace('"*a*b*"', '"*a?b*"'))
        self.assertNotEqual(k, e)  # a?b is not a*b
        self.assertIn(("p", "Image", "endswith", "\\x.exe", True), set(N.preds(k)))
        self.assertIn(("p", "Image", "endswith", "\\x.exe", True), set(N.preds(tree("spl", ONE_RULE["spl"]))))

    def test_operand_order_and_parentheses(self):
        a = tree("kusto-asim", 'T | where A endswith "x" or (B =~ "Y" and C contains "z")')
        b = tree("kusto-asim", 'T | where ((C contains "Z") and B =~ "y") or (A endswith "X")')
        self.assertEqual(a, b)

    def test_in_list_is_a_disjunction(self):
        self.assertEqual(tree("eql", 'any where F like~ ("*a*", "b")'),
                         tree("eql", 'any where F : "*a*" or F : "b"'))
        self.assertEqual(tree("lucene", "F:(*a* OR b)"), tree("lucene", "F:*a* OR F:b"))
        self.assertEqual(tree("spl", 'F IN ("*a*", "b")'), tree("spl", 'F="*a*" OR F="b"'))

    def test_case_sensitivity_is_kept(self):
        ci = tree("kusto-asim", 'T | where F =~ "Abc"')
        cs = tree("kusto-asim", 'T | where F == "Abc"')
        self.assertNotEqual(ci, cs)
        self.assertEqual(C.nocase(ci), C.nocase(cs))
        # No cased letter: case cannot matter.
        self.assertEqual(tree("kusto-asim", 'T | where F == "123"'), tree("kusto-asim", 'T | where F =~ "123"'))

    def test_esql_like_unescapes_twice(self):
        # String literal "\\\\x" is the pattern \\x: a literal backslash then x.
        self.assertEqual(tree("esql", 'from i | where F like "*\\\\\\\\x"'),
                         ("p", "F", "endswith", "\\x", False))
        # "\\x" is the pattern \x: an escaped x, no backslash.
        self.assertEqual(tree("esql", 'from i | where F like "*\\\\x"'),
                         ("p", "F", "endswith", "x", False))

    def test_lucene_escapes(self):
        self.assertEqual(tree("lucene", "F:*\\\\x.exe"), ("p", "F", "endswith", "\\x.exe", False))
        self.assertEqual(tree("lucene", "F:*\\ \\-l\\ *"), ("p", "F", "contains", " -l ", False))

    def test_double_negation_and_null(self):
        self.assertEqual(tree("eql", "any where not (not ?F == null)"), ("not", ("p", "F", "exists", "", True)))
        self.assertEqual(tree("esql", "from i | where F is null"), ("not", ("p", "F", "exists", "", True)))

    def test_literal_regex_is_a_pattern(self):
        self.assertEqual(tree("kusto-asim", 'T | where F matches regex "(?i)a.*b\\\\.exe$"'),
                         ("p", "F", "wildcard", "*a*b.exe", True))
        # A real regular expression stays one.
        self.assertEqual(tree("kusto-asim", 'T | where F matches regex "a[0-9]+"')[2], "regex")

    def test_relaxations(self):
        ours = "from logs-* | where process.name == \"a\" and event.category == \"process\""
        theirs = "from * | where Image == \"a\""
        r = C.compare("esql", ours, theirs)
        self.assertEqual(r["status"], "equivalent")
        self.assertEqual(r["relaxations"], ["log source", "field names"])
        self.assertEqual(r["fields"], {"Image": "process.name"})
        r = C.compare("esql", 'from * | where A == "x" and B == "y"', 'from * | where A == "x" and B == "z"')
        self.assertEqual(r["status"], "different")



class LuceneRegex(unittest.TestCase):
    """Lucene's regular expressions (Lucene `/…/`, EQL `regex`, ES|QL `RLIKE`)
    match the whole value."""

    def test_whole_value_not_search(self):
        # `-D` matches only the value `-D`; `.*\-D.*` any value containing it.
        self.assertEqual(tree("eql", 'any where F regex "-D"'), ("p", "F", "eq", "-D", False))
        self.assertEqual(tree("eql", r'any where F regex ".*\\-D.*"'), ("p", "F", "contains", "-D", False))
        # Kusto's `matches regex` searches.
        self.assertEqual(tree("kusto-asim", 'T | where F matches regex "-D"'), ("p", "F", "contains", "-D", False))

    def test_one_language_two_spellings(self):
        # Escaped and bare literals, `.*.+` and `.+`, `(.){200,}` and `.{200,}`.
        self.assertEqual(tree("eql", r'any where F regex ".*.+\\:role\\/aws\\:.+.*"'),
                         tree("eql", 'any where F regex ".+:role/aws:.+"'))
        self.assertEqual(tree("eql", 'any where F regex ".*(.){200,}.*"'),
                         tree("eql", 'any where F regex "(.){200,}"'))
        self.assertEqual(tree("eql", 'any where F regex "[a-zA-Z0-9-]{36}"'),
                         tree("eql", r'any where F regex "[\\-0-9A-Za-z]{36}"'))

    def test_different_languages_stay_apart(self):
        # `.+` needs a character, `.*` not; a bounded run is not merged.
        self.assertNotEqual(tree("eql", 'any where F regex ".+x"'), tree("eql", 'any where F regex ".*x"'))
        self.assertNotEqual(tree("eql", 'any where F regex ".{1,9}x"'), tree("eql", 'any where F regex ".*x"'))
        # No `\s` in Lucene's dialect: a backslash makes `s` a literal letter.
        self.assertNotEqual(tree("eql", r'any where F regex "a\\sb"'),
                            tree("eql", r'any where F regex "a[\t-\r ]b"'))
        # `@` is an operator (any string) unless escaped.
        self.assertNotEqual(tree("eql", 'any where F regex "a@b"'), tree("eql", r'any where F regex "a\\@b"'))

    def test_unanchored_pysigma_regex_is_its_own_class(self):
        r = C.compare("eql", r'any where F regex ".*\\+.*\\+.*"', r'any where F regex "\\+.*\\+"')
        self.assertEqual(r["cls"], "pySigma: a regular expression that must match the whole value")


class Comparator(unittest.TestCase):
    def test_eql_boolean_has_no_case(self):
        r = C.compare("eql", "any where f.signed == true and p : \"x\"", "any where g.signed:true and q : \"x\"")
        self.assertEqual(r["status"], "equivalent")

    def test_field_reference_to_caseless_sub_field(self):
        r = C.compare("esql", "from * | where TO_LOWER(a) == TO_LOWER(b)", "from * | where a==b.caseless")
        self.assertEqual(r["cls"], "case sensitivity: pySigma case-sensitive (with field names)")

    def test_sysmon_initiated_under_its_own_name(self):
        ours = 'any where network.direction : "egress" and destination.port == 4444'
        self.assertEqual(C.compare("eql", ours, 'any where Initiated:"true" and DestinationPort == 4444')["status"],
                         "equivalent")
        # ECS's own field with Sysmon's value is wrong, not a renaming.
        self.assertEqual(C.compare("eql", ours, 'any where network.direction:"true" and destination.port == 4444')["status"],
                         "different")
        self.assertEqual(C.compare("eql", ours, 'any where Initiated:"false" and DestinationPort == 4444')["status"],
                         "different")

    def test_registry_path_with_trailing_separator(self):
        ours = 'imRegistry | where RegistryKey contains "\\\\Run\\\\" and not(isempty(RegistryValueData))'
        theirs = 'imRegistry | where RegistryKey endswith "\\\\Run*" and not(isnull(RegistryValueData))'
        r = C.compare("kusto-asim", ours, theirs)
        self.assertTrue(r["cls"].startswith("registry path ending in"), r)
        self.assertTrue(r["cls"].endswith("(and `isnull`/`isempty`)"), r)


if __name__ == "__main__":
    unittest.main()
