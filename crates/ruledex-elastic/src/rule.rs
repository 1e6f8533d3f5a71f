//! Placeholder for the TOML rule reader (being written).
