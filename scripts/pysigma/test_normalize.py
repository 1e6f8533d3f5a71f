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


if __name__ == "__main__":
    unittest.main()
