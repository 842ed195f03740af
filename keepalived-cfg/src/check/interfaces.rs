//! Interfaces that must exist on the host (keepalived's "Non-existent
//! interface specified in configuration"): checked only when the caller
//! says which interfaces exist ([`crate::Options::interfaces`]), since the
//! answer belongs to the machine and namespace keepalived runs in.

use crate::model::Config;
use crate::Diagnostic;

/// Reports every `interface` and `track_interface` name of a VRRP
/// instance that is not among `existing`.
pub(crate) fn check(config: &Config, existing: &[String], diags: &mut Vec<Diagnostic>) {
    let exists = |name: &str| existing.iter().any(|e| e == name);
    for inst in &config.vrrp_instances {
        let own = inst.interface.iter();
        let tracked = inst.track_interface.iter().map(|t| &t.name);
        for name in own.chain(tracked) {
            if !exists(&name.value) {
                diags.push(
                    Diagnostic::error(
                        "E0270",
                        format!("interface `{}` does not exist", name.value),
                    )
                    .at(name.span, "no such interface on this host")
                    .with_help(format!("existing interfaces: {}", existing.join(", "))),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{load_str, Options};

    #[test]
    fn unknown_interfaces_are_errors_on_their_line() {
        let text = "vrrp_instance VI_1 {\n    interface eth9\n    virtual_router_id 1\n    track_interface {\n        eth0\n        eth7\n    }\n    virtual_ipaddress {\n        192.0.2.10\n    }\n}\n";
        let opts = Options::new().interfaces(["lo", "eth0"]);
        let loaded = load_str("t.conf", text, &opts);
        let found: Vec<(u32, &str)> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.code == "E0270")
            .map(|d| (d.span.map_or(0, |s| s.line), d.message.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (2, "interface `eth9` does not exist"),
                (6, "interface `eth7` does not exist")
            ]
        );
        let unchecked = load_str("t.conf", text, &Options::new());
        assert!(unchecked.diagnostics.iter().all(|d| d.code != "E0270"));
    }
}
