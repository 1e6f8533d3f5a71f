//! Catalog events (filled in by the taxonomy issue).
