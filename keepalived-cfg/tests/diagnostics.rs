//! Every syntax error class, rendered like rustc (snapshots), and the JSON
//! form.

// Test set-up (temporary files) fails loudly.
#![allow(clippy::unwrap_used)]

use lbkit_keepalived_cfg::{parse_tree, parse_tree_file, Options, Parsed};
use std::path::PathBuf;

fn parse(text: &str) -> Parsed {
    parse_tree("keepalived.conf", text, &Options::new())
}

/// Every diagnostic rendered, with `dir` shown as `DIR`.
fn rendered(p: &Parsed, dir: Option<&PathBuf>) -> String {
    let text = p
        .diagnostics
        .iter()
        .map(|d| d.render(&p.sources))
        .collect::<Vec<_>>()
        .join("\n");
    match dir {
        Some(dir) => text.replace(&dir.display().to_string(), "DIR"),
        None => text,
    }
}

/// A fresh directory under the system temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("lbkit-kc-diag-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn e0001_unterminated_quote() {
    let p = parse("global_defs {\n  router_id \"LVS\n}\n");
    assert_eq!(
        rendered(&p, None),
        r#"error[E0001]: unterminated quote
 --> keepalived.conf:2:13
  |
2 |   router_id "LVS
  |             ^ this `"` is never closed
  |
  = help: add a `"` at the end of the string
  = note: keepalived: Unterminated quote
"#
    );
}

#[test]
fn e0002_unmatched_quote() {
    let p = parse("notify \"a\\\"b\"\n");
    assert_eq!(
        rendered(&p, None),
        r#"error[E0002]: unmatched quote
 --> keepalived.conf:1:13
  |
1 | notify "a\"b"
  |             ^ this `"` has no closing `"`
  |
  = help: keepalived does not escape quotes: a `\"` ends the string
  = note: keepalived: Unmatched quote, the rest of the line is dropped
"#
    );
}

#[test]
fn e0003_unterminated_block() {
    let mut text = String::from("global_defs {\n  router_id x\n}\n\n");
    text.push_str("vrrp_instance VI_1 {\n    state MASTER\n    virtual_ipaddress {\n");
    text.push_str("        192.0.2.1\n\n\n\n    priority 100\n");
    let p = parse(&text);
    assert_eq!(
        rendered(&p, None),
        r#"error[E0003]: unterminated block
  --> keepalived.conf:5:20
   |
 5 | vrrp_instance VI_1 {
   |                    ^ this `{` is never closed
 7 |     virtual_ipaddress {
   |                       - neither is this one
12 |     priority 100
   |                 - the configuration ends here
   |
   = help: add 2 `}`s where the blocks should end
   = note: keepalived: There are 2 missing '}'s or extra '{'s
"#
    );
}

#[test]
fn e0004_unexpected_close() {
    let p = parse("vrrp_script chk {\n  script \"true\"\n}\n}\n");
    assert_eq!(
        rendered(&p, None),
        r#"error[E0004]: unexpected `}`
 --> keepalived.conf:4:1
  |
4 | }
  | ^ no block is open here
  |
  = help: remove it, or add the `{` it was meant to close
  = note: keepalived: Extra '}' found
"#
    );
}

#[test]
fn e0005_block_without_keyword() {
    let p = parse("global_defs { }\n  { router_id x }\n");
    assert_eq!(
        rendered(&p, None),
        r#"error[E0005]: `{` without a keyword before it
 --> keepalived.conf:2:3
  |
2 |   { router_id x }
  |   ^ this block belongs to no keyword
  |
  = help: a block opens on the keyword's line or the line after it
  = note: keepalived: Unexpected '{' - ignoring
"#
    );
}

#[test]
fn e0006_nested_too_deeply() {
    let text = "a {\n".repeat(33) + &"}\n".repeat(33);
    let p = parse(&text);
    assert_eq!(
        rendered(&p, None),
        r#"error[E0006]: blocks nested too deeply
  --> keepalived.conf:33:3
   |
33 | a {
   |   ^ more than 32 blocks deep
   |
   = note: lbkit reads the lines of deeper blocks as part of the enclosing block
"#
    );
}

#[test]
fn include_errors() {
    let dir = TempDir::new("inc");
    let main = dir.write(
        "main.conf",
        b"include main.conf\nincludem absent.conf\ninclude absent.conf\ninclude .\n",
    );
    let p = parse_tree_file(&main, &Options::new());
    assert_eq!(
        rendered(&p, Some(&dir.0)),
        r#"error[E0007]: include loop: `DIR/main.conf` is already being read
 --> DIR/main.conf:1:1
  |
1 | include main.conf
  | ^^^^^^^^^^^^^^^^^ included again here
  |
  = help: remove this `include`
  = note: keepalived would include the file again and again until it runs out of file descriptors

error[E0009]: no such file: `absent.conf`
 --> DIR/main.conf:2:1
  |
2 | includem absent.conf
  | ^^^^^^^^^^^^^^^^^^^^ included here

warning[W0009]: no such file: `absent.conf`
 --> DIR/main.conf:3:1
  |
3 | include absent.conf
  | ^^^^^^^^^^^^^^^^^^^ included here
  |
  = note: keepalived only logs this for a plain `include`; `includer`/`includem`/`includew`/`includea` make it an error

warning[W0010]: `DIR/.` is a directory: skipped
 --> DIR/main.conf:4:1
  |
4 | include .
  | ^^^^^^^^^ included here
  |
  = note: keepalived only logs this for a plain `include`; `includer`/`includem`/`includew`/`includea` make it an error
"#
    );
}

#[test]
fn e0008_includes_too_deep() {
    let dir = TempDir::new("deep");
    for i in 0..40 {
        dir.write(
            &format!("f{i}.conf"),
            format!("include f{}.conf\n", i + 1).as_bytes(),
        );
    }
    let p = parse_tree_file(&dir.0.join("f0.conf"), &Options::new());
    assert_eq!(
        rendered(&p, Some(&dir.0)),
        r#"error[E0008]: includes nested too deeply
 --> DIR/f31.conf:1:1
  |
1 | include f32.conf
  | ^^^^^^^^^^^^^^^^ more than 32 files deep
  |
  = help: is there an include loop through a glob or a symbolic link?
"#
    );
}

#[test]
fn e0010_missing_main_file() {
    let p = parse_tree_file(
        std::path::Path::new("/nonexistent/lbkit/keepalived.conf"),
        &Options::new(),
    );
    assert_eq!(
        rendered(&p, None),
        "error[E0010]: cannot read `/nonexistent/lbkit/keepalived.conf`: No such file or directory (os error 2)\n"
    );
}

#[test]
fn e0011_e0012_seq_and_lst() {
    let p = parse("~SEQ(i, 1, 0, 5) real_server 192.0.2.$i 80\n~LST(i, a, b) x $i\n");
    assert_eq!(
        rendered(&p, None),
        r#"error[E0011]: invalid `~SEQ`: the step is 0 or leads away from the end
 --> keepalived.conf:1:1
  |
1 | ~SEQ(i, 1, 0, 5) real_server 192.0.2.$i 80
  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  |
  = help: write `~SEQ(var, end)`, `~SEQ(var, start, end)` or `~SEQ(var, start, step, end)` followed by the line to repeat
  = note: keepalived: Invalid ~SEQ specification

error[E0012]: `~LST` is not supported by lbkit
 --> keepalived.conf:2:1
  |
2 | ~LST(i, a, b) x $i
  | ^^^^ this line is skipped
  |
  = help: write the lines out, or use `~SEQ`
"#
    );
}

#[test]
fn e0013_definition_forever_and_w0012_too_long() {
    let p = parse("$A=$A\nrouter_id $A\n$B=${B}x\nrouter_id $B\n");
    assert_eq!(
        rendered(&p, None),
        r#"error[E0013]: definition expands forever
 --> keepalived.conf:2:11
  |
2 | router_id $A
  |           ^^ still expanding after 1024 substitutions
  |
  = help: a definition refers to itself, directly or through others
  = note: keepalived never finishes reading this line

warning[W0012]: substitution makes the line too long
 --> keepalived.conf:4:11
  |
4 | router_id $B
  |           ^^ the line would reach 1024 bytes
  |
  = note: keepalived stops substituting and reads the line as it is
"#
    );
}

#[test]
fn e0014_expansion_too_long() {
    let p = parse("\n~SEQ(i, 1000000) k $i\n");
    assert_eq!(
        rendered(&p, None),
        r#"error[E0014]: `~SEQ` and multi-line definitions make more than 100000 lines
 --> keepalived.conf:2:18
  |
2 | ~SEQ(i, 1000000) k $i
  |                  ^ expanded here
  |
  = note: lbkit stops expanding to bound memory
"#
    );
}

#[test]
fn w0001_invalid_utf8() {
    let dir = TempDir::new("utf8");
    let main = dir.write("k.conf", b"router_id r\xe9seau\n");
    let p = parse_tree_file(&main, &Options::new());
    assert_eq!(
        rendered(&p, Some(&dir.0)),
        "warning[W0001]: invalid UTF-8
 --> DIR/k.conf:1:12
  |
1 | router_id r\u{fffd}seau
  |            ^ not UTF-8
  |
  = note: lbkit reads such bytes as U+FFFD; keepalived passes them through unchanged
"
    );
}

#[test]
fn w0002_long_line_and_w0003_backslash() {
    let text = format!("k {}\npriority 100 \\\n", "v".repeat(1030));
    let p = parse(&text);
    let out = rendered(&p, None);
    let long_caret = "^".repeat(1023);
    let expected = format!(
        "warning[W0002]: line longer than 1023 bytes
 --> keepalived.conf:1:1
  |
1 | k {}
  | {long_caret}
  |
  = note: keepalived reads it in pieces of 1023 bytes, each as a line of its own

warning[W0003]: a trailing `\\` does not continue this line
 --> keepalived.conf:2:14
  |
2 | priority 100 \\
  |              ^ read as part of the last word
  |
  = note: keepalived only continues `$NAME=` definitions over a trailing `\\`
",
        "v".repeat(1030)
    );
    assert_eq!(out, expected);
}

#[test]
fn tabs_and_wide_lines_keep_carets_aligned() {
    let p = parse("\tglobal_defs {\n");
    let out = rendered(&p, None);
    assert!(
        out.contains("1 |     global_defs {\n  |                 ^ this `{` is never closed\n"),
        "{out}"
    );
}

#[test]
fn json_one_object_per_diagnostic() {
    let p = parse("a \"b\n}\n");
    let json: Vec<String> = p
        .diagnostics
        .iter()
        .map(|d| d.to_json(&p.sources))
        .collect();
    assert_eq!(
        json,
        [
            r#"{"severity":"error","code":"E0001","message":"unterminated quote","file":"keepalived.conf","line":1,"column":3,"length":1,"label":"this `\"` is never closed","labels":[],"help":"add a `\"` at the end of the string","notes":["keepalived: Unterminated quote"]}"#,
            r#"{"severity":"error","code":"E0004","message":"unexpected `}`","file":"keepalived.conf","line":2,"column":1,"length":1,"label":"no block is open here","labels":[],"help":"remove it, or add the `{` it was meant to close","notes":["keepalived: Extra '}' found"]}"#,
        ]
    );
    let p = parse_tree_file(std::path::Path::new("/nonexistent/x.conf"), &Options::new());
    let json = p.diagnostics[0].to_json(&p.sources);
    assert!(json.contains(r#""file":null,"line":null,"column":null,"length":null,"label":null,"labels":[],"help":null,"notes":[]}"#), "{json}");
}
