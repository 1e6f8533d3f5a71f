//! Tests of the rule reader with stand-in query parsers.
