//! Semantic checks on a built configuration: what keepalived checks after
//! reading its configuration, and what it misses.
//!
//! Severity follows `keepalived -t`: everything keepalived 2.2.7 reports
//! with `report_config_error` makes `-t` fail, even when its text says
//! "Warning", so it is an **error** here. keepalived's exit status is 5
//! for these, 6 when the script security verdict (E0280) is among them,
//! and 143 (killed by its own SIGTERM) when it checks a script run as
//! another user than root (E0287). A problem keepalived accepts silently, or only logs, is
//! a **warning**: keepalived's verdict stays the same, strict mode turns it
//! into an error.
//!
//! Checks on a single value (a number out of range, an unknown word, an
//! `auth_pass` longer than 8 characters, an `lb_algo` keepalived does not
//! know) and on names defined twice are made while building the model
//! (`E01xx`); the checks here look at several values together, or at the
//! configuration as a whole. E0201 and E0202 catch a zero only a model
//! built by hand can hold.
//!
//! # The checks
//!
//! ## VRRP instances (`vrrp.rs`)
//!
//! | code  | message (label) | help |
//! |-------|-----------------|------|
//! | E0200 | vrrp_instance `X` has no virtual_router_id (instance name: "declared here") | add `virtual_router_id N`, N in 1–255, the same on every router of the group |
//! | E0201 | virtual_router_id 0 is out of range ("must be 1 to 255") | VRID 0 is reserved |
//! | E0202 | priority 0 is out of range ("must be 1 to 255") | 0 is what a master sends when it stops |
//! | W0203 | priority 255 makes `X` the address owner ("address owner priority") | 255 is for the router that really has the VIPs as its own addresses; use 1–254 |
//! | W0204 | `state MASTER` without `priority` makes `X` the address owner (priority 255) | add `priority N` (1–254) |
//! | E0205 | advert_int of N s is not a whole number of seconds (VRRPv2) | keepalived rounds it; write whole seconds or use `version 3` |
//! | E0206 | advert_int of N s is too long for VRRPv3 ("must be less than 40.96 s") | keepalived uses 40.95 s |
//! | E0207 | advert_int of N s is not a multiple of 10 ms (VRRPv3) | keepalived rounds it |
//! | E0209 | VRRP version 3 has no authentication ("ignored") | remove `authentication` |
//! | E0210 | auth_type without auth_pass ("authentication ignored") | add `auth_pass` |
//! | E0211 | AH authentication cannot be used with IPv6 | use PASS or none |
//! | E0212 | initial state MASTER is incompatible with AH authentication | keepalived starts it as BACKUP; use `state BACKUP` |
//! | W0213 | IPv6 virtual address in a VRRP version 2 instance | VRRPv2 (RFC 3768) is IPv4 only: use `version 3` |
//! | E0214 | virtual address family differs from the instance's first one ("ignored") | one family per instance; use a second instance |
//! | E0215 | vrrp_instance `X` has no virtual address | add `virtual_ipaddress { ... }` |
//! | E0216 | vrrp_instance `X` has no interface (unicast ones too: keepalived checks it first) | add `interface IF` |
//! | E0217 | a loopback interface cannot carry VRRP | use the interface facing the other routers |
//! | E0218 | `nopreempt` does not work with `state MASTER` ("cleared") | use `state BACKUP` on every router |
//! | E0219 | `nopreempt` is incompatible with priority 255 ("cleared") | an address owner always preempts |
//! | E0220 | `preempt_delay` does not work with `state MASTER` ("cleared") | use `state BACKUP` |
//! | E0221 | `preempt_delay` is incompatible with `nopreempt` ("cleared") | keep one of them |
//! | E0222 | track_script `S` is not defined (or defined after its use) | define `vrrp_script S` before the instance |
//! | E0223 | `S` is tracked twice ("second ignored"; "first tracked here") | remove one |
//! | E0224 | track_interface names the instance's own interface ("ignored") | the instance already tracks it |
//! | E0225 | weighted tracking ignored in a sync group / by an address owner | `weight 0`, or `sgroup_tracking_weight` in the group |
//! | E0226 | `A` and `B` both use VRID N on interface IF ("first used here") | every VRRP group on a link needs its own VRID |
//! | E0227 | a unicast setting (`unicast_src_ip`, `check_unicast_src`, ...) without unicast peers ("keepalived uses multicast") | add `unicast_peer` |
//! | E0228 | `unicast_ttl` without unicast peers ("reset") | add `unicast_peer` |
//! | E0229 | track_file `F` is not defined (or defined after its use), in an instance, a sync group or a FILE_CHECK | define `track_file F` before its use |
//!
//! With `vrrp_strict` (or `strict_mode` in the instance):
//!
//! | code  | message | help |
//! |-------|---------|------|
//! | E0260 | in strict mode the initial state must follow the priority ("ignored") | remove `state` |
//! | E0261 | strict mode does not allow authentication ("ignored") | remove `authentication` |
//! | E0262 | `preempt_delay` is not allowed in strict mode ("cleared") | remove it |
//! | E0263 | `accept` does not comply with VRRP version 2 in strict mode ("cleared") | remove it, or `version 3` |
//! | E0264 | IPv6 needs VRRP version 3 in strict mode | write `version 3` |
//!
//! ## Sync groups (`sync.rs`)
//!
//! | code  | message | help |
//! |-------|---------|------|
//! | E0230 | sync group `G` names instance `X`, which is not defined | define it or remove it from the group |
//! | E0231 | instance `X` is already in sync group `G` ("first grouped here") | an instance belongs to one group |
//! | E0232 | sync group `G` has only one instance | a group syncs several instances: add one or remove the group |
//! | E0233 | sync group `G` has no instance | add `group { ... }` |
//! | E0234 | sync group `G` mixes address owners and backup instances (a member written MASTER with priority 255 first, then one written BACKUP) | same role for every member |
//!
//! ## IPVS virtual servers (`ipvs.rs`)
//!
//! | code  | message | help |
//! |-------|---------|------|
//! | E0240 | virtual_server V has no real server ("ignored") | add `real_server` |
//! | E0241 | virtual_server V has no protocol ("UDP used") | add `protocol TCP` |
//! | E0242 | virtual_server V has no lb_algo ("wlc used") | add `lb_algo rr` etc. |
//! | E0243 | one-packet scheduling (`ops`) needs UDP ("cleared") | remove `ops` or use UDP |
//! | E0244 | virtual_server V has no lb_kind ("NAT used") | add `lb_kind NAT|DR|TUN` |
//! | E0245 | real server address family differs from the virtual server's ("skipped") | one family per virtual server (TUN may mix) |
//! | E0246 | real server R is defined twice ("first defined here") | remove one |
//! | E0247 | quorum N exceeds the total weight W of the real servers | lower the quorum or raise weights |
//! | E0248 | hysteresis N is not below the quorum Q | use a hysteresis below the quorum |
//! | E0249 | real (or sorry) server port P differs from the virtual server port (DR/TUN) | with DR and TUN the port cannot change |
//! | E0250 | fwmark virtual server: real (or sorry) server port is ignored (DR/TUN) | remove the port |
//! | E0251 | `protocol` is ignored for a fwmark virtual server | remove it |
//! | E0252 | `ha_suspend` cannot be used with fwmarks | remove it |
//! | E0253 | port 0 is only valid for persistent services | add a port or `persistence_timeout` |
//! | W0254 | virtual_server_group `G` is not defined (keepalived ignores the virtual server) | define it |
//! | W0255 | checker has no port to connect to | add `connect_port` |
//! | E0256 | HTTP_GET / SSL_GET has no `url` ("ignored") | add `url { path / status_code 200 }` |
//! | E0257 | MISC_CHECK has no `misc_path` ("ignored") | add `misc_path` |
//! | E0258 | FILE_CHECK has no `track_file` ("ignored") | add `track_file` |
//! | E0259 | virtual_server_group `G` has no entries ("removed") | add `ADDR PORT` lines |
//!
//! ## Scripts (`scripts.rs`)
//!
//! | code  | message | help |
//! |-------|---------|------|
//! | E0280 | scripts are run but `enable_script_security` is not set (`keepalived -t` exits 6) | add `enable_script_security` and `script_user` to `global_defs` |
//! | E0281 | vrrp_script `S` has no `script` ("removed") | add `script "/path/to/check"` |
//! | E0282 | vrrp_script `S` runs `P`, which cannot be found ("disabled") | give an existing absolute path |
//! | W0283 | notify script `P` is not an absolute path | keepalived runs it only if found in `PATH` |
//! | W0284 | vrrp_script `S` is never tracked | track it, or remove it |
//! | W0285 | script `P` cannot be found; keepalived will not run it | give an existing absolute path |
//! | E0286 | scripts would run as `keepalived_script`, which does not exist (script security on, no `script_user`) | add `script_user USER` |
//! | E0287 | `keepalived -t` cannot check a script run as `U` (note: keepalived 2.2.7 kills its own test, exit 143, when it checks a script of another user than root) | test a copy with `script_user root` |
//! | E0288 | user `U` does not exist ("cannot run scripts as this user") | create it, or name an existing one |
//!
//! ## Global settings (`global.rs`)
//!
//! | code  | message | help |
//! |-------|---------|------|
//! | W0290 | alert mail has no smtp_server ("no mail is sent to this address") | add `smtp_server HOST` |
//!
//! keepalived's verdict on scripts depends on the host (is the program
//! there, does the user exist): [`check`] asks this machine, through the
//! `Host` trait of `host.rs`, each question once.
//!
//! Names are looked up in hash maps (`index.rs`), so the checks stay near
//! linear on very large configurations; pairwise comparisons of unicast
//! instances and "did you mean" searches are bounded.
//!
//! Not checked: whether interfaces exist (`keepalived -t` looks in the
//! current network namespace; a configuration is usually checked
//! elsewhere), the strict-mode rules on gratuitous ARP and advert
//! settings, and the order of definitions across included files (a
//! `vrrp_script` in another file counts as read before its use).

mod global;
mod host;
mod index;
mod interfaces;
mod ipvs;
mod names;
mod scripts;
mod sync;
#[cfg(test)]
mod testutil;
mod vrrp;

use crate::model::Config;
use crate::Diagnostic;

/// Checks the configuration; findings go to `diags`.
pub(crate) fn check(config: &Config, diags: &mut Vec<Diagnostic>) {
    check_with(config, &host::Cached::new(host::ThisHost), diags);
}

/// Checks that the interfaces the configuration names are among
/// `existing` (E0270).
pub(crate) fn check_interfaces(config: &Config, existing: &[String], diags: &mut Vec<Diagnostic>) {
    interfaces::check(config, existing, diags);
}

/// Checks the configuration, with `host` telling whether programs and
/// users exist (keepalived's verdict on scripts depends on them).
pub(crate) fn check_with(config: &Config, host: &dyn host::Host, diags: &mut Vec<Diagnostic>) {
    let ix = index::Index::new(config);
    global::check(config, diags);
    vrrp::check(config, &ix, diags);
    sync::check(config, &ix, diags);
    ipvs::check(config, &ix, diags);
    scripts::check(config, &ix, host, diags);
}
