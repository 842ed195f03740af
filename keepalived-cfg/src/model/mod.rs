//! The typed model of a keepalived configuration.

/// A whole configuration.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Config {}
