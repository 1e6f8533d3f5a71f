//! Sigma front-end.
