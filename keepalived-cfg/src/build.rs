//! From [`Tree`] to the typed [`Config`]: keyword by keyword, as
//! keepalived's keyword handlers read them.

use crate::model::Config;
use crate::{Diagnostic, Tree};

/// Interprets the tree; unknown keywords and bad values go to `diags`.
pub(crate) fn build(tree: &Tree, diags: &mut Vec<Diagnostic>) -> Config {
    let _ = (tree, diags);
    todo!("build")
}
