//! Canonical fields and aliases (filled in by the taxonomy issue).
