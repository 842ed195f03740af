//! Semantic checks on a built configuration: what keepalived checks, and
//! what it misses.

use crate::model::Config;
use crate::Diagnostic;

/// Checks the configuration; findings go to `diags`.
pub(crate) fn check(config: &Config, diags: &mut Vec<Diagnostic>) {
    let _ = (config, diags);
    todo!("check")
}
