//! From [`Tree`] to the typed [`Config`]: keyword by keyword, as
//! keepalived's keyword handlers read them.
//!
//! Whatever keepalived 2.2.7 reports while reading (an unknown keyword, a
//! number out of range, an unknown scheduler...) makes `keepalived -t`
//! exit 5, so it is an error here too; what keepalived only logs (a
//! deprecated synonym) is a warning.

mod address;
mod global;
mod ipvs;
pub(crate) mod keywords;
mod values;
mod vrrp;

use crate::hash::HashMap;
use crate::model::{Config, RawNode};
#[cfg(test)]
use crate::Tree;
use crate::{Diagnostic, Node, Span};
use values::Cx;

/// Diagnostic codes of the model builder.
pub(crate) mod codes {
    /// A keyword keepalived does not know in this block.
    pub(crate) const UNKNOWN_KEYWORD: &str = "E0101";
    /// A keyword without the parameter it needs.
    pub(crate) const MISSING_PARAMETER: &str = "E0102";
    /// A number that is not one, or out of range.
    pub(crate) const INVALID_NUMBER: &str = "E0103";
    /// An address keepalived cannot read.
    pub(crate) const INVALID_ADDRESS: &str = "E0104";
    /// A word outside the set keepalived accepts (state, lb_algo, ...).
    pub(crate) const INVALID_VALUE: &str = "E0105";
    /// A block where none is expected, or none where one is.
    pub(crate) const BLOCK_EXPECTED: &str = "E0106";
    /// A name defined twice, or a setting keepalived refuses to repeat.
    pub(crate) const DUPLICATE: &str = "E0107";
    /// A block keyword without its name, or with extra words.
    pub(crate) const BAD_NAME: &str = "E0108";
    /// A keyword keepalived reports as deprecated and refuses in `-t`.
    pub(crate) const DEPRECATED_ERROR: &str = "E0109";
    /// A deprecated synonym keepalived still accepts.
    pub(crate) const DEPRECATED: &str = "W0101";
    /// A setting written twice in a block: keepalived silently uses the
    /// last one.
    pub(crate) const REPEATED: &str = "W0102";
}

/// Interprets the tree; unknown keywords and bad values go to `diags`.
#[cfg(test)]
pub(crate) fn build(tree: &Tree, diags: &mut Vec<Diagnostic>) -> Config {
    let mut model = Model::default();
    reserve_lists(tree, &mut model.config);
    for node in &tree.nodes {
        model.node(node);
    }
    let (config, found) = model.finish();
    diags.extend(found);
    config
}

/// The model built one top-level keyword at a time, as the reader
/// completes them: each keyword's tree can be dropped as soon as it is
/// read, so the whole tree is never held at once.
#[derive(Debug, Default)]
pub(crate) struct Model {
    /// The configuration so far.
    config: Config,
    /// The diagnostics so far.
    diags: Vec<Diagnostic>,
    /// `vrrp_instance` names, with where each was defined.
    instances: HashMap<String, Span>,
    /// `vrrp_sync_group` names, with where each was defined.
    sync_groups: HashMap<String, Span>,
}

impl Model {
    /// Interprets one top-level keyword.
    pub(crate) fn node(&mut self, node: &Node) {
        let mut cx = Cx {
            diags: &mut self.diags,
            instances: std::mem::take(&mut self.instances),
            sync_groups: std::mem::take(&mut self.sync_groups),
        };
        root_keyword(&mut cx, node, &mut self.config);
        self.instances = cx.instances;
        self.sync_groups = cx.sync_groups;
    }

    /// The configuration, and what was found while building it.
    pub(crate) fn finish(self) -> (Config, Vec<Diagnostic>) {
        (self.config, self.diags)
    }
}

/// Sizes the instance and virtual server lists once, up front, when the
/// whole tree is known.
#[cfg(test)]
fn reserve_lists(tree: &Tree, config: &mut Config) {
    let count = |kw: &str| tree.nodes.iter().filter(|n| n.keyword.text == kw).count();
    config.vrrp_instances.reserve_exact(count("vrrp_instance"));
    config
        .virtual_servers
        .reserve_exact(count("virtual_server"));
}

/// One top-level keyword.
fn root_keyword(cx: &mut Cx<'_>, node: &Node, config: &mut Config) {
    match node.keyword.text.as_str() {
        "global_defs" => {
            config.global_defs_span.get_or_insert(node.keyword.span);
            let nodes = block(cx, node);
            global::global_defs(cx, nodes, &mut config.global_defs);
        }
        "static_ipaddress" => {
            let nodes = block(cx, node);
            config
                .static_ipaddress
                .extend(address::addresses(cx, nodes, true));
        }
        "static_routes" => {
            let nodes = block(cx, node);
            config.static_routes.extend(address::routes(cx, nodes));
        }
        "static_rules" => {
            let nodes = block(cx, node);
            config.static_rules.extend(address::rules(cx, nodes));
        }
        "vrrp_instance" => vrrp::instance(cx, node, config),
        "vrrp_sync_group" => vrrp::sync_group(cx, node, config),
        "vrrp_script" => vrrp::script(cx, node, config),
        "track_file" | "vrrp_track_file" => vrrp::track_file(cx, node, config),
        "virtual_server_group" => ipvs::group(cx, node, config),
        "virtual_server" => ipvs::virtual_server(cx, node, config),
        _ => other(
            cx,
            node,
            "the top level",
            &[keywords::ROOT],
            &mut config.other,
        ),
    }
}

/// The lines of `node`'s block; a missing block is reported and reads as
/// empty.
fn block<'n>(cx: &mut Cx<'_>, node: &'n Node) -> &'n [Node] {
    match &node.block {
        Some(b) => &b.nodes,
        None => {
            cx.push(
                Diagnostic::error(
                    codes::BLOCK_EXPECTED,
                    format!("`{}` expects a `{{ ... }}` block", node.keyword.text),
                )
                .at(node.head_span(), "no block follows"),
            );
            &[]
        }
    }
}

/// The values of a value block (`group { A B }`, `notification_email
/// {...}`): every word of every line, keywords included.
fn block_words<'n>(cx: &mut Cx<'_>, node: &'n Node) -> Vec<&'n crate::Token> {
    block(cx, node)
        .iter()
        .flat_map(|n| std::iter::once(&n.keyword).chain(n.args.iter()))
        .collect()
}

/// A keyword the typed model does not hold: kept as written when
/// keepalived knows it in this block, reported otherwise.
fn other(
    cx: &mut Cx<'_>,
    node: &Node,
    block_name: &str,
    known: &[&[&str]],
    out: &mut Vec<RawNode>,
) {
    let kw = node.keyword.text.as_str();
    if known.iter().any(|list| list.contains(&kw)) {
        out.push(values::raw(node));
        return;
    }
    unknown(cx, node, block_name, known);
}

/// Reports an unknown keyword, with the closest known one as help.
fn unknown(cx: &mut Cx<'_>, node: &Node, block_name: &str, known: &[&[&str]]) {
    let kw = node.keyword.text.as_str();
    let mut d = Diagnostic::error(
        codes::UNKNOWN_KEYWORD,
        format!("unknown keyword `{kw}` in {block_name}"),
    )
    .at(
        node.keyword.span,
        "keepalived does not know this keyword here",
    )
    .with_note("keepalived reports unknown keywords and `keepalived -t` exits with status 5");
    if let Some(s) = keywords::suggest(kw, known) {
        d = d.with_help(format!("did you mean `{s}`?"));
    } else if let Some(home) = keywords::home_of(kw) {
        d = d.with_help(format!("`{kw}` belongs in {home}"));
    }
    cx.push(d);
}

/// Warns about single-valued settings written twice in one block, which
/// keepalived accepts silently (the last one wins). Synonyms count as the
/// same setting.
fn repeated(cx: &mut Cx<'_>, nodes: &[Node]) {
    if nodes.len() < 2 {
        return;
    }
    // Blocks are short: the settings seen stay on the stack until there
    // are more than fit.
    const ON_STACK: usize = 16;
    let mut first_seen = [("", crate::Span::default()); ON_STACK];
    let mut count = 0;
    let mut more: Vec<(&str, crate::Span)> = Vec::new();
    for n in nodes {
        let Some(setting) = keywords::scalar_setting(&n.keyword.text) else {
            continue;
        };
        let found = first_seen[..count]
            .iter()
            .chain(&more)
            .find(|(k, _)| *k == setting);
        match found {
            Some((_, first)) => cx.push(
                Diagnostic::warning(codes::REPEATED, format!("`{setting}` is set twice"))
                    .at(n.keyword.span, "keepalived uses this one")
                    .with_label(*first, "first set here, then overridden")
                    .with_help("remove one of them"),
            ),
            None if count < ON_STACK => {
                first_seen[count] = (setting, n.keyword.span);
                count += 1;
            }
            None => more.push((setting, n.keyword.span)),
        }
    }
}

/// Checks a block keyword's `NAME` argument: exactly one word.
fn block_name(cx: &mut Cx<'_>, node: &Node) -> Option<crate::model::Spanned<String>> {
    let kw = &node.keyword.text;
    if node.args.len() != 1 {
        cx.push(
            Diagnostic::error(codes::BAD_NAME, format!("`{kw}` must have a name"))
                .at(node.head_span(), "expected exactly one name here")
                .with_help(format!("write `{kw} NAME {{ ... }}`")),
        );
        return None;
    }
    node.args.first().map(values::spanned_text)
}

#[cfg(test)]
pub(crate) mod tests;
