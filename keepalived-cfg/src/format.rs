//! The canonical text of a configuration.

use crate::model::Config;

/// Pretty-prints `config` in canonical form: `parse(format(c)) == c`.
pub fn format(config: &Config) -> String {
    let _ = config;
    todo!("format")
}
