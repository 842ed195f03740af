//! Snapshots of the rendered diagnostics, one per error class: what a user
//! sees, pinned character for character.

// Test helpers: a failure to set a case up is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lbkit_haproxy_cfg::{load_str, Options};

/// The rendering of every diagnostic of `text`.
fn render(text: &str) -> String {
    let opts = Options::new().env([("HOME", "/root")]).hosts(["localhost"]);
    load_str("t.cfg", text, &opts).render()
}

/// A defaults section that silences the missing-timeouts warning.
const D: &str = "defaults\n    timeout connect 5s\n    timeout client 5s\n    timeout server 5s\n";

#[test]
fn unmatched_quote() {
    assert_eq!(
        render("global\n    maxconn \"4000\n"),
        "\
error[E0001]: unmatched quote
 --> t.cfg:2:13
  |
2 |     maxconn \"4000
  |             ^ this quote is never closed
  |
  = help: close the quote on the same line
"
    );
}

#[test]
fn bad_hex_escape() {
    assert_eq!(
        render("global\n    description \\x4\n"),
        "\
error[E0002]: truncated or invalid hexadecimal sequence
 --> t.cfg:2:17
  |
2 |     description \\x4
  |                 ^ `\\x` needs two hexadecimal digits
  |
  = help: write `\\x41` for `A`, or `\\\\x` for a backslash
"
    );
}

#[test]
fn environment_variable_errors() {
    assert_eq!(
        render("global\n    description \"${HOME\"\n"),
        "\
error[E0004]: unmatched brace in environment variable name
 --> t.cfg:2:19
  |
2 |     description \"${HOME\"
  |                   ^ this `${` has no `}`
  |
  = help: close the variable with `}`
"
    );
}

#[test]
fn unknown_keyword_with_suggestion() {
    assert_eq!(
        render(&format!("{D}backend app\n    balence roundrobin\n")),
        "\
error[E0100]: unknown keyword 'balence' in 'backend' section
 --> t.cfg:6:5
  |
6 |     balence roundrobin
  |     ^^^^^^^ unknown keyword
  |
  = help: did you mean 'balance'?
"
    );
}

#[test]
fn wrong_arity() {
    assert_eq!(
        render("global\n    daemon yes\n"),
        "\
error[E0102]: 'daemon' cannot handle unexpected argument 'yes'
 --> t.cfg:2:12
  |
2 |     daemon yes
  |            ^^^ unexpected argument
  |
  = help: 'daemon' takes at most 0 argument(s)
"
    );
}

#[test]
fn bad_time_value() {
    assert_eq!(
        render(&format!("{D}backend app\n    timeout server 5x\n")),
        "\
error[E0103]: unexpected character 'x' in 'timeout server'
 --> t.cfg:6:20
  |
6 |     timeout server 5x
  |                    ^^ not a time
  |
  = help: write a number with an optional unit: us, ms, s, m, h, d
"
    );
}

#[test]
fn undefined_backend() {
    assert_eq!(
        render(&format!(
            "{D}frontend web\n    bind :80\n    default_backend ap\nbackend app\n"
        )),
        "\
error[E0200]: Proxy 'web': unable to find required default_backend: 'ap'
 --> t.cfg:7:21
  |
7 |     default_backend ap
  |                     ^^ no backend of this name
  |
  = help: did you mean 'app'?
"
    );
}

#[test]
fn mode_mismatch() {
    assert_eq!(
        render(&format!("{D}frontend web\n    mode http\n    bind :80\n    default_backend app\nbackend app\n    mode tcp\n")),
        "\
error[E0201]: http frontend 'web' tries to use incompatible tcp backend 'app' as its default backend (see 'mode')
 --> t.cfg:8:21
  |
8 |     default_backend app
  |                     ^^^ a tcp backend
9 | backend app
  | ----------- declared here without `mode http`
  |
  = help: set `mode http` in the backend too
"
    );
}

#[test]
fn duplicate_proxy_and_server() {
    assert_eq!(
        render(&format!("{D}backend app\n    server s1 192.0.2.1:80\n    server s1 192.0.2.2:80\nbackend app\n")),
        "\
error[E0203]: backend 'app', another server named 's1' was already defined at line 6, please use distinct names
 --> t.cfg:7:12
  |
6 |     server s1 192.0.2.1:80
  |            -- first defined here
7 |     server s1 192.0.2.2:80
  |            ^^ second server of this name

error[E0202]: backend 'app' has the same name as backend 'app' declared at line 5
 --> t.cfg:8:1
  |
5 | backend app
  | ----------- first declared here
8 | backend app
  | ^^^^^^^^^^^ second proxy of this name
  |
  = help: give each frontend and each backend its own name
"
    );
}

#[test]
fn check_without_port() {
    assert_eq!(
        render(&format!("{D}backend app\n    server s1 192.0.2.1 check\n")),
        "\
error[E0204]: backend 'app': server 's1' has neither service port nor check port
 --> t.cfg:6:12
  |
6 |     server s1 192.0.2.1 check
  |            ^^ checked without a port
  |
  = help: give the address a port (`ADDR:PORT`) or add `port N`
"
    );
}

#[test]
fn missing_timeouts_warning() {
    assert_eq!(
        render("frontend web\n    bind :80\n"),
        "\
warning[W0200]: missing timeouts for frontend 'web'
 --> t.cfg:1:1
  |
1 | frontend web
  | ^^^^^^^^^^^^ timeouts not set
  |
  = help: set 'client' in this section or in its defaults
  = note: while not properly invalid, you will certainly encounter various problems with such a configuration
"
    );
}

#[test]
fn out_of_section_and_conditionals() {
    assert_eq!(
        render("maxconn 10\n.if 1\n"),
        "\
error[E0020]: unknown keyword 'maxconn' out of section
 --> t.cfg:1:1
  |
1 | maxconn 10
  | ^^^^^^^ not inside any section
  |
  = help: start a section first (`global`, `defaults`, `frontend`, `backend`, `listen`, `resolvers`, `peers`, `userlist`, `mailers`, `program`, `http-errors`, `ring`, `cache`, `log-forward`)

error[E0013]: non-terminated '.if' block
 --> t.cfg:2:6
  |
2 | .if 1
  |      ^ end of file reached
  | --- this `.if` has no `.endif`
  |
  = help: add `.endif` at the end of the block
"
    );
}

#[test]
fn undefined_acl() {
    assert_eq!(
        render(&format!("{D}frontend web\n    bind :80\n    acl is_api path_beg /api\n    http-request deny if is_apii\n")),
        "\
error[E0112]: error detected while parsing an 'http-request deny' condition : no such ACL : 'is_apii'
 --> t.cfg:8:26
  |
8 |     http-request deny if is_apii
  |                          ^^^^^^^ not declared in this proxy
  |
  = help: did you mean 'is_api'?
"
    );
}

#[test]
fn json_form() {
    let opts = Options::new().hosts(["localhost"]);
    let loaded = load_str("t.cfg", "global\n    mxconn 10\n", &opts);
    assert_eq!(
        loaded.to_json(),
        "[{\"severity\":\"error\",\"code\":\"E0100\",\"message\":\"unknown keyword 'mxconn' in 'global' section\",\"file\":\"t.cfg\",\"line\":2,\"column\":5,\"length\":6,\"label\":\"unknown keyword\",\"labels\":[],\"help\":\"did you mean 'maxconn'?\",\"notes\":[]}]"
    );
}
