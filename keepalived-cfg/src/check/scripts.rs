//! Checks on the scripts keepalived runs: the script security verdict of
//! `keepalived -t` (exit 6), scripts that cannot be found, notify scripts
//! given by a relative name, and `vrrp_script`s nobody tracks.
//!
//! keepalived's verdict depends on the host: a script counts only if its
//! program is found (a bare name is looked up in `PATH`). The lookup is a
//! parameter so that tests can fix it.

use super::host::Host;
use super::index::Index;
use crate::hash::{HashMap, HashSet};
use crate::model::{Config, RawNode, ScriptCommand, Spanned, UserGroup};
use crate::{Diagnostic, Span};

/// The most places shown under the script security error.
const MAX_LABELS: usize = 8;
/// The user keepalived runs scripts as when `script_user` is not set.
const DEFAULT_USER: &str = "keepalived_script";

/// Every script check.
pub(super) fn check(config: &Config, ix: &Index<'_>, host: &dyn Host, diags: &mut Vec<Diagnostic>) {
    check_vrrp_scripts(config, ix, host, diags);
    let tracks = track_scripts(config);
    let vrrp = vrrp_side(config);
    let ipvs = ipvs_side(config);
    let main = main_side(config);
    check_default_user(config, host, [&tracks, &vrrp, &ipvs, &main], diags);
    check_users_exist(config, host, [&tracks, &vrrp, &ipvs, &main], diags);
    // keepalived looks at the VRRP scripts only when some instance
    // exists, at the checker scripts only when some virtual server has
    // a real server.
    let vrrp_on = !config.vrrp_instances.is_empty();
    let ipvs_on = config
        .virtual_servers
        .iter()
        .any(|v| !v.real_servers.is_empty());
    let none: &[Script<'_>] = &[];
    let (tracks, vrrp) = if vrrp_on {
        (&tracks[..], &vrrp[..])
    } else {
        (none, none)
    };
    let ipvs = if ipvs_on { &ipvs[..] } else { none };
    check_notify_scripts(vrrp.iter().chain(ipvs).chain(&main), host, diags);
    let secure = config
        .global_defs
        .enable_script_security
        .as_ref()
        .is_some_and(|s| s.value);
    if !secure {
        let mut run: Vec<&Script<'_>> = Vec::new();
        let mut seen: HashSet<Span> = HashSet::default();
        let all = tracks.iter().chain(vrrp).chain(ipvs).chain(&main);
        for s in all.filter(|s| runs(s, config, host)) {
            if seen.insert(s.span) {
                run.push(s);
            }
        }
        report_security(&run, diags);
    }
    let checked = tracks.iter().chain(vrrp).chain(ipvs).chain(&main);
    check_other_user(config, host, checked, diags);
}

/// Every user named for scripts must exist: keepalived cannot switch to
/// a missing one and drops the scripts.
fn check_users_exist(
    config: &Config,
    host: &dyn Host,
    lists: [&[Script<'_>]; 4],
    diags: &mut Vec<Diagnostic>,
) {
    let global = config
        .global_defs
        .script_user
        .as_ref()
        .map(|u| &u.value.user);
    let own = lists
        .into_iter()
        .flatten()
        .filter_map(|s| s.user.map(|u| u.user));
    let mut seen: HashSet<&str> = HashSet::default();
    for user in global.into_iter().chain(own) {
        if !seen.insert(&user.value) || host.user_exists(&user.value) {
            continue;
        }
        diags.push(
            Diagnostic::error("E0288", format!("user `{}` does not exist", user.value))
                .at(user.span, "keepalived cannot run scripts as this user")
                .with_help("create the user, or name an existing one"),
        );
    }
}

/// The user written for a script: its own, else `script_user`. Without
/// either keepalived uses `keepalived_script` when it exists, else root.
fn run_as<'a>(script: &Script<'a>, config: &'a Config) -> Option<RunAs<'a>> {
    script.user.or_else(|| {
        config
            .global_defs
            .script_user
            .as_ref()
            .map(|g| RunAs::of(&g.value))
    })
}

/// keepalived 2.2.7's `-t` kills itself (SIGTERM, exit status 143) when
/// it checks a script that runs as another user than root: the check
/// switches user, then sees that its parent is not the keepalived parent
/// process it expects.
fn check_other_user<'a>(
    config: &Config,
    host: &dyn Host,
    checked: impl Iterator<Item = &'a Script<'a>>,
    diags: &mut Vec<Diagnostic>,
) {
    for script in checked {
        if is_file_test(script.command) {
            continue;
        }
        // A bare name is not found for another user: keepalived gives up
        // before it switches user.
        if !program(script.command).contains('/') {
            continue;
        }
        let Some((user, set_at)) = other_user(script, config, host) else {
            continue;
        };
        let mut d = Diagnostic::error(
            "E0287",
            format!("`keepalived -t` cannot check a script run as `{user}`"),
        )
        .at(script.span, format!("run as `{user}`"));
        if let Some(at) = set_at {
            d = d.with_label(at, "the user is set here");
        }
        diags.push(
            d
            .with_note(
                "keepalived 2.2.7 kills its own configuration test (exit status 143) when it checks a script that runs as another user than root; the daemon itself runs such scripts",
            )
            .with_help("to test with keepalived itself, use `script_user root` in a copy of the configuration"),
        );
        return;
    }
}

/// With script security on, a script without its own user runs as
/// `script_user`, by default `keepalived_script`: keepalived refuses the
/// configuration when that user does not exist.
fn check_default_user(
    config: &Config,
    host: &dyn Host,
    lists: [&[Script<'_>]; 4],
    diags: &mut Vec<Diagnostic>,
) {
    let g = &config.global_defs;
    let secure = g.enable_script_security.as_ref().is_some_and(|s| s.value);
    if !secure || g.script_user.is_some() || host.user_exists(DEFAULT_USER) {
        return;
    }
    let Some(first) = lists.into_iter().flatten().find(|s| s.user.is_none()) else {
        return;
    };
    let mut d = Diagnostic::error(
        "E0286",
        format!("scripts would run as `{DEFAULT_USER}`, which does not exist"),
    )
    .at(first.span, "this script has no user of its own");
    if let Some(sec) = &g.enable_script_security {
        d = d.with_label(sec.span, "script security needs an unprivileged user");
    }
    diags.push(d.with_help(format!(
        "add `script_user USER` to `global_defs`, or create the user `{DEFAULT_USER}`"
    )));
}

/// What a script is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// A `vrrp_script` (keepalived reports it when not found).
    Track,
    /// A `MISC_CHECK` (keepalived only logs when not found).
    Misc,
    /// A notify or start/stop script (keepalived only logs when not found).
    Notify,
}

/// A script keepalived would run.
#[derive(Clone, Copy, Debug)]
struct Script<'a> {
    /// The command line as written.
    command: &'a str,
    /// Where it was written.
    span: Span,
    /// What for.
    role: Role,
    /// The user written with the script (`USER [GROUP]`), if any.
    user: Option<RunAs<'a>>,
}

/// `USER [GROUP]` as written.
#[derive(Clone, Copy, Debug)]
struct RunAs<'a> {
    /// The user name.
    user: &'a Spanned<String>,
    /// The group name.
    group: Option<&'a Spanned<String>>,
}

impl<'a> RunAs<'a> {
    /// From a `user`/`script_user` line.
    fn of(ug: &'a UserGroup) -> Self {
        RunAs {
            user: &ug.user,
            group: ug.group.as_ref(),
        }
    }

    /// Root: keepalived checks scripts of any other user or group by
    /// switching to it.
    fn is_root(&self) -> bool {
        self.user.value == "root" && self.group.is_none_or(|g| g.value == "root")
    }
}

/// The program of a command line: its first word, quotes removed.
pub(super) fn program(command: &str) -> &str {
    let word = command.split_whitespace().next().unwrap_or("");
    word.trim_matches(|c| c == '"' || c == '\'')
}

/// Whether keepalived counts `script` as one it runs: not a `</file`
/// test (which only opens the file), and its program is found.
fn runs(script: &Script<'_>, config: &Config, host: &dyn Host) -> bool {
    !is_file_test(script.command) && found(script, config, host)
}

/// Whether keepalived finds the program of `script`. A path must exist.
/// A bare name is searched in `PATH`, which keepalived 2.2.7 only
/// manages for scripts run as root.
fn found(script: &Script<'_>, config: &Config, host: &dyn Host) -> bool {
    let prog = program(script.command);
    if prog.contains('/') {
        return host.program_found(prog);
    }
    other_user(script, config, host).is_none() && host.program_found(prog)
}

/// The user other than root that `script` runs as, with where it is
/// set (no place for the default `keepalived_script`).
fn other_user(
    script: &Script<'_>,
    config: &Config,
    host: &dyn Host,
) -> Option<(String, Option<Span>)> {
    match run_as(script, config) {
        Some(user) if !user.is_root() => Some((user.user.value.clone(), Some(user.user.span))),
        Some(_) => None,
        None if host.user_exists(DEFAULT_USER) => Some((DEFAULT_USER.to_string(), None)),
        None => None,
    }
}

/// `vrrp_script`s: a `script` is required; its program must exist (when
/// some instance exists, as keepalived checks only then); and it should
/// be tracked by someone.
fn check_vrrp_scripts(
    config: &Config,
    ix: &Index<'_>,
    host: &dyn Host,
    diags: &mut Vec<Diagnostic>,
) {
    for vs in &config.vrrp_scripts {
        let Some(script) = &vs.script else {
            diags.push(
                Diagnostic::error(
                    "E0281",
                    format!("vrrp_script `{}` has no script", vs.name.value),
                )
                .at(vs.name.span, "keepalived removes this vrrp_script")
                .with_help("add `script \"/path/to/check\"`"),
            );
            continue;
        };
        let as_script = Script {
            command: &script.value,
            span: script.span,
            role: Role::Track,
            user: vs.user.as_ref().map(|u| RunAs::of(&u.value)),
        };
        if !config.vrrp_instances.is_empty()
            && !is_file_test(&script.value)
            && !found(&as_script, config, host)
        {
            let prog = program(&script.value);
            let mut d = Diagnostic::error(
                "E0282",
                format!(
                    "vrrp_script `{}` runs `{prog}`, which cannot be found",
                    vs.name.value
                ),
            )
            .at(script.span, "keepalived disables this script");
            if !prog.contains('/') && host.program_found(prog) {
                d = d.with_note(
                    "keepalived 2.2.7 does not find a bare program name in PATH for a script run as another user than root",
                );
            }
            diags.push(d.with_help("give the absolute path of an existing executable"));
        }
        if !ix.tracked.contains(vs.name.value.as_str()) {
            diags.push(
                Diagnostic::warning(
                    "W0284",
                    format!("vrrp_script `{}` is never tracked", vs.name.value),
                )
                .at(vs.name.span, "defined here")
                .with_help(format!(
                    "add `track_script {{ {} }}` to an instance or sync group, or remove it",
                    vs.name.value
                )),
            );
        }
    }
}

/// A `</path` command: keepalived tests the file, nothing runs.
fn is_file_test(command: &str) -> bool {
    let t = command.trim_start();
    t.starts_with('<') && t[1..].trim_start_matches([' ', '\t']).starts_with('/')
}

/// The `vrrp_script` commands.
fn track_scripts(config: &Config) -> Vec<Script<'_>> {
    config
        .vrrp_scripts
        .iter()
        .filter_map(|v| {
            v.script.as_ref().map(|s| Script {
                command: &s.value,
                span: s.span,
                role: Role::Track,
                user: v.user.as_ref().map(|u| RunAs::of(&u.value)),
            })
        })
        .collect()
}

/// A `ScriptCommand` as a notify script.
fn notify(cmd: &Option<Box<Spanned<ScriptCommand>>>) -> Option<Script<'_>> {
    cmd.as_ref().map(|c| Script {
        command: &c.value.command.value,
        span: c.value.command.span,
        role: Role::Notify,
        user: c.value.user.as_ref().map(|u| RunAs {
            user: u,
            group: c.value.group.as_ref(),
        }),
    })
}

/// The first argument of each `other` line with one of `keywords`.
fn raw_scripts<'a>(other: &'a [RawNode], keywords: &[&str]) -> Vec<Script<'a>> {
    other
        .iter()
        .filter(|n| keywords.contains(&n.keyword.value.as_str()))
        .filter_map(|n| {
            n.args.first().map(|a| Script {
                command: &a.value,
                span: a.span,
                role: Role::Notify,
                user: n.args.get(1).map(|u| RunAs {
                    user: u,
                    group: n.args.get(2),
                }),
            })
        })
        .collect()
}

/// The notify scripts of the VRRP process.
fn vrrp_side(config: &Config) -> Vec<Script<'_>> {
    let mut out = Vec::new();
    for i in &config.vrrp_instances {
        let own = [
            &i.notify_master,
            &i.notify_backup,
            &i.notify_fault,
            &i.notify_stop,
            &i.notify,
        ];
        out.extend(own.into_iter().filter_map(notify));
        out.extend(raw_scripts(
            &i.other,
            &["notify_deleted", "notify_master_rx_lower_pri"],
        ));
    }
    for g in &config.vrrp_sync_groups {
        let own = [
            &g.notify_master,
            &g.notify_backup,
            &g.notify_fault,
            &g.notify_stop,
            &g.notify,
        ];
        out.extend(own.into_iter().filter_map(notify));
    }
    out.extend(raw_scripts(
        &config.global_defs.other,
        &["notify_fifo_script", "vrrp_notify_fifo_script"],
    ));
    out
}

/// The scripts of the checker process.
fn ipvs_side(config: &Config) -> Vec<Script<'_>> {
    let mut out = Vec::new();
    for vs in &config.virtual_servers {
        out.extend(
            [&vs.quorum_up, &vs.quorum_down]
                .into_iter()
                .filter_map(notify),
        );
        for rs in &vs.real_servers {
            out.extend(
                [&rs.settings().notify_up, &rs.settings().notify_down]
                    .into_iter()
                    .filter_map(notify),
            );
            for c in &rs.checkers {
                if let crate::model::CheckerKind::Misc(m) = &c.kind {
                    if let Some(path) = &m.misc_path {
                        out.push(Script {
                            command: &path.value,
                            span: path.span,
                            role: Role::Misc,
                            user: m.user.as_ref().map(|u| RunAs::of(&u.value)),
                        });
                    }
                }
            }
        }
    }
    out.extend(raw_scripts(
        &config.global_defs.other,
        &["notify_fifo_script", "lvs_notify_fifo_script"],
    ));
    out
}

/// `startup_script` and `shutdown_script`.
fn main_side(config: &Config) -> Vec<Script<'_>> {
    let g = &config.global_defs;
    [&g.startup_script, &g.shutdown_script]
        .into_iter()
        .filter_map(notify)
        .collect()
}

/// Notify scripts: an absolute path, and one that exists. One warning
/// per program, however many places name it.
fn check_notify_scripts<'a>(
    scripts: impl Iterator<Item = &'a Script<'a>>,
    host: &dyn Host,
    diags: &mut Vec<Diagnostic>,
) {
    // Program -> the places running it, in order.
    let mut uses: Vec<(&str, Vec<&Script<'_>>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::default();
    let mut seen: HashSet<Span> = HashSet::default();
    for script in scripts.filter(|s| !is_file_test(s.command)) {
        let prog = program(script.command);
        let slot = *index.entry(prog).or_insert_with(|| {
            uses.push((prog, Vec::new()));
            uses.len() - 1
        });
        if let Some((_, places)) = uses.get_mut(slot) {
            if seen.insert(script.span) {
                places.push(script);
            }
        }
    }
    for (prog, places) in &uses {
        let notify: Vec<&Script<'_>> = places
            .iter()
            .copied()
            .filter(|s| s.role == Role::Notify)
            .collect();
        if !prog.starts_with('/') && !notify.is_empty() {
            let d = Diagnostic::warning(
                "W0283",
                format!("notify script `{prog}` is not an absolute path"),
            )
            .with_help("give the absolute path, e.g. `/etc/keepalived/notify.sh`");
            diags.push(at_places(d, &notify, "looked up in PATH"));
        }
        if !host.program_found(prog) {
            let d = Diagnostic::warning("W0285", format!("script `{prog}` cannot be found"))
                .with_help("give the absolute path of an existing executable");
            diags.push(at_places(d, places, "keepalived will not run this"));
        }
    }
}

/// Points `d` at the first place, labels a few more, and counts the rest.
fn at_places(d: Diagnostic, places: &[&Script<'_>], label: &str) -> Diagnostic {
    let Some(first) = places.first() else {
        return d;
    };
    let mut d = d.at(first.span, label);
    for p in places.iter().skip(1).take(MAX_LABELS) {
        d = d.with_label(p.span, "and here");
    }
    if places.len() > 1 {
        d = d.with_note(format!("named in {} places", places.len()));
    }
    d
}

/// keepalived refuses to run scripts as root without script security:
/// `keepalived -t` exits 6.
fn report_security(run: &[&Script<'_>], diags: &mut Vec<Diagnostic>) {
    let Some(first) = run.first() else { return };
    let mut d = Diagnostic::error(
        "E0280",
        "scripts are run but `enable_script_security` is not set",
    )
    .at(first.span, "this script is run");
    for s in run.iter().skip(1).take(MAX_LABELS) {
        d = d.with_label(s.span, "and this one");
    }
    if run.len() > MAX_LABELS + 1 {
        d = d.with_note(format!("{} scripts in all", run.len()));
    }
    diags.push(
        d.with_note("`keepalived -t` exits with status 6 (SECURITY VIOLATION)")
            .with_help(
                "add `enable_script_security` to `global_defs`, and `script_user USER` to run the scripts as an unprivileged user",
            ),
    );
}

#[cfg(test)]
mod tests {
    use super::super::host::FakeHost;
    use super::super::testutil::{at, codes, instance, virtual_server};
    use crate::model::{
        CheckerKind, Config, MiscCheck, ScriptCommand, TrackedName, VrrpInstance, VrrpScript,
    };

    /// Runs the checks with only the programs in `present` found.
    fn run_with(cfg: &Config, present: &[&'static str]) -> Vec<crate::Diagnostic> {
        let host = FakeHost {
            programs: present.to_vec(),
            users: vec!["root"],
        };
        let mut diags = Vec::new();
        super::super::check_with(cfg, &host, &mut diags);
        diags
    }

    /// The seed's Appendix A shape: a vrrp_script tracked by an instance.
    fn appendix_a(command: &str) -> Config {
        let mut inst: VrrpInstance = instance("VI_1", 51, 10);
        inst.track_script = vec![TrackedName {
            name: at("chk_haproxy".to_string(), 16),
            weight: None,
        }];
        Config {
            vrrp_scripts: vec![VrrpScript {
                name: at("chk_haproxy".to_string(), 1),
                script: Some(at(command.to_string(), 2)),
                ..VrrpScript::default()
            }],
            vrrp_instances: vec![inst],
            ..Config::default()
        }
    }

    #[test]
    fn scripts_without_security_exit_6() {
        let diags = run_with(&appendix_a("killall -0 haproxy"), &["killall"]);
        assert_eq!(codes(&diags), vec![("E0280", 2)]);
        assert_eq!(
            diags[0].message,
            "scripts are run but `enable_script_security` is not set"
        );
        assert!(diags[0].notes.iter().any(|n| n.contains("status 6")));
    }

    /// The user `root` named for scripts.
    fn root(line: u32) -> crate::model::UserGroup {
        crate::model::UserGroup {
            user: at("root".to_string(), line),
            group: None,
        }
    }

    #[test]
    fn script_security_allows_scripts() {
        let mut cfg = appendix_a("killall -0 haproxy");
        cfg.global_defs.enable_script_security = Some(at(true, 30));
        cfg.global_defs.script_user = Some(at(root(31), 31));
        assert_eq!(run_with(&cfg, &["killall"]), vec![]);
    }

    #[test]
    fn keepalived_t_cannot_check_scripts_of_other_users() {
        let mut cfg = appendix_a("/usr/bin/killall -0 haproxy");
        cfg.global_defs.enable_script_security = Some(at(true, 30));
        let host = FakeHost {
            programs: vec!["/usr/bin/killall"],
            users: vec!["root", "keepalived_script"],
        };
        let mut diags = Vec::new();
        super::super::check_with(&cfg, &host, &mut diags);
        assert_eq!(codes(&diags), vec![("E0287", 2)]);
        assert_eq!(
            diags[0].message,
            "`keepalived -t` cannot check a script run as `keepalived_script`"
        );
        assert!(diags[0].notes[0].contains("exit status 143"));
        cfg.vrrp_scripts[0].user = Some(at(root(3), 3));
        let mut diags = Vec::new();
        super::super::check_with(&cfg, &host, &mut diags);
        assert_eq!(diags, vec![], "a script of its own user root is checked");
    }

    /// keepalived 2.2.7 gives up on a bare name for another user before
    /// it switches user: the script is not found, and `-t` is not killed.
    #[test]
    fn bare_names_are_not_found_for_other_users() {
        let mut cfg = appendix_a("killall -0 haproxy");
        cfg.vrrp_scripts[0].user = Some(at(
            crate::model::UserGroup {
                user: at("nobody".to_string(), 3),
                group: None,
            },
            3,
        ));
        let host = FakeHost {
            programs: vec!["killall"],
            users: vec!["root", "nobody"],
        };
        let mut diags = Vec::new();
        super::super::check_with(&cfg, &host, &mut diags);
        assert_eq!(codes(&diags), vec![("E0282", 2)]);
        assert!(diags[0].notes[0].contains("bare program name"));
    }

    #[test]
    fn named_users_must_exist() {
        let mut cfg = appendix_a("/usr/bin/killall -0 haproxy");
        cfg.global_defs.script_user = Some(at(root(31), 31));
        cfg.vrrp_scripts[0].user = Some(at(
            crate::model::UserGroup {
                user: at("lbkit-nobody".to_string(), 3),
                group: None,
            },
            3,
        ));
        let diags = run_with(&cfg, &["/usr/bin/killall"]);
        assert_eq!(
            codes(&diags),
            vec![("E0288", 3), ("E0280", 2), ("E0287", 2)]
        );
        assert_eq!(diags[0].message, "user `lbkit-nobody` does not exist");
    }

    #[test]
    fn script_security_needs_the_default_user() {
        let mut cfg = appendix_a("killall -0 haproxy");
        cfg.global_defs.enable_script_security = Some(at(true, 30));
        let diags = run_with(&cfg, &["killall"]);
        assert_eq!(codes(&diags), vec![("E0286", 2)]);
        assert_eq!(
            diags[0].message,
            "scripts would run as `keepalived_script`, which does not exist"
        );
        assert_eq!(diags[0].labels[0].span.line, 30);
        cfg.global_defs.script_user = Some(at(root(31), 31));
        assert_eq!(run_with(&cfg, &["killall"]), vec![]);
    }

    #[test]
    fn a_missing_track_program_is_disabled() {
        let diags = run_with(&appendix_a("/usr/local/bin/check"), &[]);
        assert_eq!(codes(&diags), vec![("E0282", 2)]);
        assert_eq!(
            diags[0].message,
            "vrrp_script `chk_haproxy` runs `/usr/local/bin/check`, which cannot be found"
        );
    }

    #[test]
    fn file_tests_run_nothing() {
        assert_eq!(run_with(&appendix_a("</var/run/haproxy.pid"), &[]), vec![]);
    }

    #[test]
    fn scripts_need_an_instance() {
        let mut cfg = appendix_a("killall -0 haproxy");
        cfg.vrrp_instances.clear();
        let diags = run_with(&cfg, &["killall"]);
        assert_eq!(codes(&diags), vec![("W0284", 1)]);
        assert_eq!(
            diags[0].message,
            "vrrp_script `chk_haproxy` is never tracked"
        );
    }

    #[test]
    fn vrrp_script_needs_a_script() {
        let mut cfg = appendix_a("x");
        cfg.vrrp_scripts[0].script = None;
        let diags = run_with(&cfg, &[]);
        assert_eq!(codes(&diags), vec![("E0281", 1)]);
        assert_eq!(diags[0].message, "vrrp_script `chk_haproxy` has no script");
    }

    #[test]
    fn relative_notify_script() {
        let mut cfg = Config {
            vrrp_instances: vec![instance("VI_1", 51, 1)],
            ..Config::default()
        };
        let cmd = ScriptCommand::new(at("notify.sh master".to_string(), 7));
        cfg.vrrp_instances[0].notify_master = Some(Box::new(at(cmd, 7)));
        let diags = run_with(&cfg, &[]);
        assert_eq!(codes(&diags), vec![("W0283", 7), ("W0285", 7)]);
        assert_eq!(
            diags[0].message,
            "notify script `notify.sh` is not an absolute path"
        );
        assert_eq!(diags[1].message, "script `notify.sh` cannot be found");
    }

    #[test]
    fn one_warning_per_program() {
        let mut cfg = Config {
            vrrp_instances: vec![instance("A", 1, 1), instance("B", 2, 10)],
            ..Config::default()
        };
        for (i, line) in [(0, 7), (1, 16)] {
            let cmd = ScriptCommand::new(at("/etc/keepalived/notify.sh".to_string(), line));
            cfg.vrrp_instances[i].notify = Some(Box::new(at(cmd, line)));
        }
        let diags = run_with(&cfg, &[]);
        assert_eq!(codes(&diags), vec![("W0285", 7)]);
        assert_eq!(diags[0].labels.len(), 1);
        assert_eq!(diags[0].labels[0].span.line, 16);
        assert_eq!(diags[0].notes, vec!["named in 2 places".to_string()]);
    }

    #[test]
    fn misc_check_counts_for_security() {
        let mut vs = virtual_server(1);
        let misc = MiscCheck {
            misc_path: Some(at("/bin/true".to_string(), 7)),
            ..MiscCheck::default()
        };
        vs.real_servers[0].checkers = vec![super::super::testutil::checker(
            CheckerKind::Misc(Box::new(misc)),
            6,
        )];
        let cfg = Config {
            virtual_servers: vec![vs],
            ..Config::default()
        };
        assert_eq!(codes(&run_with(&cfg, &["/bin/true"])), vec![("E0280", 7)]);
        assert_eq!(codes(&run_with(&cfg, &[])), vec![("W0285", 7)]);
    }

    #[test]
    fn program_is_the_first_word() {
        assert_eq!(super::program("killall -0 haproxy"), "killall");
        assert_eq!(super::program("  '/bin/x' a"), "/bin/x");
        assert_eq!(super::program(""), "");
    }
}
