//! Value normalization (filled in by the taxonomy issue).
