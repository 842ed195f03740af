//! The lexer and preprocessor against keepalived 2.2.7's reading of
//! configuration text: exact token texts and positions.

// Test set-up (temporary files) fails loudly.
#![allow(clippy::unwrap_used)]

use lbkit_keepalived_cfg::{parse_tree, parse_tree_file, Node, Options, Parsed, Tree};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn parse(text: &str) -> Parsed {
    parse_tree("keepalived.conf", text, &Options::new())
}

fn parse_id(text: &str, id: &str) -> Parsed {
    parse_tree("keepalived.conf", text, &Options::new().config_id(id))
}

/// The tree as lines `depth|word word ...` in order.
fn shape(tree: &Tree) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack: Vec<(usize, std::slice::Iter<'_, Node>)> = vec![(0, tree.nodes.iter())];
    while let Some((depth, iter)) = stack.last_mut() {
        let depth = *depth;
        let Some(node) = iter.next() else {
            stack.pop();
            continue;
        };
        let mut words = vec![node.keyword.text.clone()];
        words.extend(node.args.iter().map(|t| t.text.clone()));
        out.push(format!("{depth}|{}", words.join(" ")));
        if let Some(block) = &node.block {
            stack.push((depth + 1, block.nodes.iter()));
        }
    }
    out
}

/// Every token as `text@line:col+len`.
fn tokens(p: &Parsed) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack: Vec<std::slice::Iter<'_, Node>> = vec![p.tree.nodes.iter()];
    while let Some(iter) = stack.last_mut() {
        let Some(node) = iter.next() else {
            stack.pop();
            continue;
        };
        for t in std::iter::once(&node.keyword).chain(&node.args) {
            out.push(format!(
                "{}@{}:{}+{}",
                t.text,
                t.span.line,
                p.sources.column(t.span),
                t.span.len
            ));
        }
        if let Some(block) = &node.block {
            stack.push(block.nodes.iter());
        }
    }
    out
}

/// The column (in characters) of a span, from the parsed sources.
fn col(p: &Parsed, span: lbkit_keepalived_cfg::Span) -> u32 {
    p.sources.column(span)
}

fn codes(p: &Parsed) -> Vec<&'static str> {
    p.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn blocks_on_their_own_and_on_one_line() {
    let p =
        parse("global_defs {\n   router_id LVS_DEVEL\n}\nvrrp_instance VI_1 { state MASTER }\n");
    assert_eq!(codes(&p), Vec::<&str>::new());
    assert_eq!(
        shape(&p.tree),
        [
            "0|global_defs",
            "1|router_id LVS_DEVEL",
            "0|vrrp_instance VI_1",
            "1|state MASTER"
        ]
    );
    assert_eq!(
        tokens(&p),
        [
            "global_defs@1:1+11",
            "router_id@2:4+9",
            "LVS_DEVEL@2:14+9",
            "vrrp_instance@4:1+13",
            "VI_1@4:15+4",
            "state@4:22+5",
            "MASTER@4:28+6"
        ]
    );
    let vi = &p.tree.nodes[1];
    let block = vi
        .block
        .as_ref()
        .map(|b| (b.open.line, col(&p, b.open), b.close.map(|c| col(&p, c))));
    assert_eq!(block, Some((4, 20, Some(35))));
}

#[test]
fn braces_glued_to_words_and_on_the_next_line() {
    let p = parse("group{A B}\nx\n{\n  y 1\n}\n");
    assert_eq!(shape(&p.tree), ["0|group", "1|A B", "0|x", "1|y 1"]);
    assert_eq!(tokens(&p)[..3], ["group@1:1+5", "A@1:7+1", "B@1:9+1"]);
    assert!(p.diagnostics.is_empty());
}

#[test]
fn comments_start_anywhere_outside_quotes() {
    let p = parse("a # one\nb!two\nc \"d # e\" f ! g\ng \\#h \\!i\n# whole\n  ! whole\n");
    assert_eq!(shape(&p.tree), ["0|a", "0|b", "0|c d # e f", "0|g #h !i"]);
    assert_eq!(tokens(&p)[2..5], ["c@3:1+1", "d # e@3:3+7", "f@3:11+1"]);
    assert_eq!(tokens(&p)[5..], ["g@4:1+1", "#h@4:3+3", "!i@4:7+3"]);
}

#[test]
fn quotes_hold_blanks_and_braces_but_no_escapes() {
    let p = parse("notify \"/bin/x {y}\"\nsplit a\"b c\"d\nq \"a\\\"b\" z\n");
    assert_eq!(
        shape(&p.tree)[..2],
        ["0|notify /bin/x {y}", "0|split a b c d"]
    );
    let n = &p.tree.nodes[0].args[0];
    assert!(n.quoted);
    assert_eq!((col(&p, n.span), n.span.len), (8, 12));
    // keepalived ends the string at the escaped quote, then finds `"` open.
    assert_eq!(shape(&p.tree)[2], "0|q a\\ b");
    assert_eq!(codes(&p), ["E0002"]);
}

#[test]
fn unterminated_quote_is_reported_once() {
    let p = parse("a \"b c\nd\n");
    assert_eq!(codes(&p), ["E0001"]);
    let d = &p.diagnostics[0];
    assert_eq!(d.span.map(|s| (s.line, col(&p, s), s.len)), Some((1, 3, 1)));
    assert_eq!(shape(&p.tree), ["0|a", "0|d"]);
}

#[test]
fn definitions_and_substitutions() {
    let p = parse("$IP=10.0.0.1\nvip $IP\nvip ${IP}/24\nvip $IP/24 $IPX $NOPE\n$ID = 5\n");
    assert_eq!(
        shape(&p.tree),
        [
            "0|vip 10.0.0.1",
            "0|vip 10.0.0.1/24",
            "0|vip $IP/24 $IPX $NOPE",
            "0|$ID = 5"
        ]
    );
    assert_eq!(
        tokens(&p)[..4],
        [
            "vip@2:1+3",
            "10.0.0.1@2:5+3",
            "vip@3:1+3",
            "10.0.0.1/24@3:5+8"
        ]
    );
}

#[test]
fn definitions_expand_recursively_and_rescan() {
    // `$A` directly followed by `$` is no reference (keepalived wants a
    // blank, `,`, `)` or the line end after the name).
    let p = parse("$A=x\n$B=$A$A y\n$C=${B}\nk $C\n");
    assert_eq!(shape(&p.tree), ["0|k $Ax y"]);
    let p = parse("$A=x\n$B=${A}$A y\n$C=${B}\nk $C\n");
    assert_eq!(shape(&p.tree), ["0|k xx y"]);
    let p = parse("$A=$A\nk $A\n");
    assert_eq!(codes(&p), ["E0013"]);
}

#[test]
fn comment_characters_from_definitions() {
    let p = parse("k \"${_HASH}\" \"a${_BANG}\" \"$_HASH\"\nj $_HASH z\n");
    assert_eq!(shape(&p.tree), ["0|k # a! $_HASH", "0|j"]);
}

#[test]
fn multiline_definitions() {
    let text = "$VIPS=10.0.0.1 \\\n   10.0.0.2 \\\n # comment\n   10.0.0.3\nvirtual_ipaddress {\n  $VIPS\n}\nk $VIPS x\n";
    let p = parse(text);
    assert_eq!(
        shape(&p.tree),
        [
            "0|virtual_ipaddress",
            "1|10.0.0.1",
            "1|10.0.0.2",
            "1|10.0.0.3",
            "0|k $VIPS x"
        ]
    );
    assert_eq!(
        tokens(&p)[1..4],
        ["10.0.0.1@6:3+5", "10.0.0.2@6:3+5", "10.0.0.3@6:3+5"]
    );
    // An empty line ends a multi-line definition.
    let p = parse("$M=a \\\n\nb\nk $M\n");
    assert_eq!(shape(&p.tree), ["0|b", "0|k a"]);
}

#[test]
fn multiline_definition_with_blocks() {
    let text = "$RS=real_server $IP 80 { \\\n  weight 1 \\\n}\n$IP=1.1.1.1\nvs {\n$RS\n}\n";
    let p = parse(text);
    assert_eq!(
        shape(&p.tree),
        ["0|vs", "1|real_server 1.1.1.1 80", "2|weight 1"]
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
}

#[test]
fn conditional_lines() {
    let text = "@lb1 a 1\n@lb2 b\n@^lb1 c\n@^lb2 d\n@lb1\n";
    let p = parse_id(text, "lb1");
    assert_eq!(shape(&p.tree), ["0|a 1", "0|d"]);
    assert_eq!(tokens(&p)[0], "a@1:6+1");
    let p = parse(text);
    assert_eq!(shape(&p.tree), ["0|c", "0|d"]);
}

#[test]
fn seq_forms() {
    let p = parse("~SEQ(i, 3) rs 10.0.0.$i 80\n");
    assert_eq!(
        shape(&p.tree),
        ["0|rs 10.0.0.1 80", "0|rs 10.0.0.2 80", "0|rs 10.0.0.3 80"]
    );
    assert_eq!(
        tokens(&p)[..3],
        ["rs@1:12+2", "10.0.0.1@1:15+9", "80@1:25+2"]
    );
    let values = |t: &str| -> Vec<String> {
        shape(&parse(t).tree)
            .iter()
            .map(|l| l[2..].to_string())
            .collect()
    };
    assert_eq!(values("~SEQ(i,1,2,5) v $i\n"), ["v 1", "v 3", "v 5"]);
    assert_eq!(values("~SEQ(i,3,1) v $i\n"), ["v 3", "v 2", "v 1"]);
    assert_eq!(values("~SEQx(i,9,11) v $i\n"), ["v 9", "v a", "v b"]);
    assert_eq!(values("~SEQ(i,0) v $i\n"), ["v 1", "v 0"]);
    assert_eq!(values("$N=2\n~SEQ(i,$N) v ${i}x\n"), ["v 1x", "v 2x"]);
    assert_eq!(
        values("~SEQ(i,2) ~SEQ(j,2) v $i $j\n"),
        ["v 1 1", "v 1 2", "v 2 1", "v 2 2"]
    );
    assert_eq!(values("~SEQ(i,2) g { a $i }\n"), ["g", "a 1", "g", "a 2"]);
}

#[test]
fn seq_errors() {
    for bad in [
        "~SEQ(i,1,0,5) v\n",
        "~SEQ(i) v\n",
        "~SEQ i,1) v\n",
        "~SEQx(i,-1,2) v\n",
    ] {
        let p = parse(bad);
        assert_eq!(codes(&p), ["E0011"], "{bad}");
        assert!(p.tree.nodes.is_empty());
    }
    let p = parse("~SEQ(i,1000000000) v $i\n");
    assert_eq!(codes(&p), ["E0014"]);
}

#[test]
fn brace_errors() {
    let p = parse("a {\n b {\n");
    assert_eq!(codes(&p), ["E0003"]);
    assert_eq!(
        p.diagnostics[0].span.map(|s| (s.line, col(&p, s))),
        Some((1, 3))
    );
    assert_eq!(shape(&p.tree), ["0|a", "1|b"]);
    let p = parse("a\n}\n");
    assert_eq!(codes(&p), ["E0004"]);
    let p = parse("{\nb\n}\n");
    assert_eq!(codes(&p), ["E0005"]);
    assert_eq!(shape(&p.tree), ["0|b"]);
}

#[test]
fn trailing_backslash_only_continues_definitions() {
    let p = parse("priority 100 \\\n  150\n");
    assert_eq!(shape(&p.tree), ["0|priority 100\\", "0|150"]);
    assert_eq!(codes(&p), ["W0003"]);
}

#[test]
fn long_lines_are_read_in_pieces() {
    let long = format!("k {}\nnext\n", "x".repeat(2000));
    let p = parse(&long);
    let shape = shape(&p.tree);
    assert_eq!(shape.len(), 3);
    assert_eq!(shape[0], format!("0|k {}", "x".repeat(1021)));
    assert_eq!(shape[1], format!("0|{}", "x".repeat(979)));
    assert_eq!(shape[2], "0|next");
    assert_eq!(codes(&p), ["W0002"]);
}

#[test]
fn columns_count_characters() {
    let p = parse("é ü x\n\tk v\n");
    assert_eq!(
        tokens(&p),
        ["é@1:1+2", "ü@1:3+2", "x@1:5+1", "k@2:2+1", "v@2:4+1"]
    );
}

#[test]
fn deep_nesting_is_bounded() {
    let text = "a {\n".repeat(100_000) + &"}\n".repeat(100_000);
    let p = parse(&text);
    assert_eq!(codes(&p), ["E0006"]);
    let text = "a {".repeat(50_000);
    let p = parse(&text);
    assert_eq!(codes(&p), ["W0002", "E0006", "E0003"]);
}

#[test]
fn large_input_is_linear() {
    let block = "vrrp_instance VI_1 {\n  state MASTER # c\n  interface eth0\n  virtual_ipaddress {\n    192.0.2.1/24 dev eth0\n  }\n}\n";
    let text = block.repeat(20_000);
    let started = std::time::Instant::now();
    let p = parse(&text);
    assert_eq!(p.tree.nodes.len(), 20_000);
    assert!(p.diagnostics.is_empty());
    assert!(started.elapsed().as_secs() < 20);
}

/// A fresh directory under the system temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("lbkit-kc-lex-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn file(path: &Path) -> Parsed {
    parse_tree_file(path, &Options::new())
}

#[test]
fn include_globs_relative_to_the_including_file() {
    let dir = TempDir::new("glob");
    let main = dir.write("main.conf", b"a\ninclude sub/*.conf\nz\n");
    dir.write("sub/2.conf", b"two\n");
    dir.write("sub/1.conf", b"one\ninclude inner/{x,y}.conf\n");
    dir.write("sub/inner/x.conf", b"x\n");
    dir.write("sub/inner/y.conf", b"  y 1\n");
    dir.write("sub/.hidden.conf", b"hidden\n");
    let p = file(&main);
    assert_eq!(codes(&p), Vec::<&str>::new());
    assert_eq!(
        shape(&p.tree),
        ["0|a", "0|one", "0|x", "0|y 1", "0|two", "0|z"]
    );
    let y = &p.tree.nodes[3].keyword;
    assert_eq!((y.span.line, col(&p, y.span)), (1, 3));
    let path = p.sources.path(y.span.file).to_path_buf();
    assert!(path.ends_with("sub/inner/y.conf"), "{path:?}");
    assert!(p
        .sources
        .get(y.span.file)
        .and_then(|f| f.included_from)
        .is_some());
}

#[test]
fn include_inside_a_block_and_missing_files() {
    let dir = TempDir::new("missing");
    let main = dir.write(
        "main.conf",
        b"vs {\ninclude rs.conf\n}\ninclude nothing.conf\ninclude none*.conf\nincludem nothing.conf\n",
    );
    dir.write("rs.conf", b"real_server 1\n");
    let p = file(&main);
    assert_eq!(shape(&p.tree), ["0|vs", "1|real_server 1"]);
    assert_eq!(codes(&p), ["W0009", "W0009", "E0009"]);
    assert_eq!(
        p.diagnostics[2].span.map(|s| (s.line, col(&p, s), s.len)),
        Some((6, 1, 21))
    );
}

#[test]
fn include_loops_and_depth() {
    let dir = TempDir::new("loop");
    let main = dir.write("main.conf", b"a\ninclude main.conf\nb\n");
    let p = file(&main);
    assert_eq!(codes(&p), ["E0007"]);
    assert_eq!(shape(&p.tree), ["0|a", "0|b"]);
    for i in 0..40 {
        dir.write(
            &format!("f{i}.conf"),
            format!("include f{}.conf\n", i + 1).as_bytes(),
        );
    }
    let p = file(&dir.0.join("f0.conf"));
    assert_eq!(codes(&p), ["E0008"]);
}

#[test]
fn missing_main_file_and_directories() {
    let dir = TempDir::new("main");
    let p = file(&dir.0.join("absent.conf"));
    assert_eq!(codes(&p), ["E0010"]);
    let main = dir.write("main.conf", b"include d*\n");
    std::fs::create_dir_all(dir.0.join("dir")).unwrap();
    let p = file(&main);
    assert_eq!(codes(&p), ["W0010"]);
}

#[test]
fn invalid_utf8_is_replaced_and_reported() {
    let dir = TempDir::new("utf8");
    let main = dir.write("main.conf", b"a\nk v\xff\xfew\n");
    let p = file(&main);
    assert_eq!(codes(&p), ["W0001"]);
    assert_eq!(
        p.diagnostics[0].span.map(|s| (s.line, col(&p, s))),
        Some((2, 4))
    );
    assert_eq!(shape(&p.tree), ["0|a", "0|k v\u{fffd}\u{fffd}w"]);
}

#[test]
fn pwd_is_the_directory_of_the_file() {
    let dir = TempDir::new("pwd");
    let main = dir.write("main.conf", b"include sub/x.conf\n");
    dir.write("sub/x.conf", b"k $_PWD\n");
    let p = file(&main);
    let got = shape(&p.tree);
    assert!(got[0].ends_with("/sub"), "{got:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let _ = parse(&text);
        let _ = parse_id(&text, "x");
    }

    #[test]
    fn keepalived_like_text_never_panics(text in "([ a-z{}\"#!$@~\\\\=(),0-9\n\t]|SEQ|include |\\$A=|\\$\\{A\\}){0,200}") {
        let p = parse(&text);
        for d in &p.diagnostics {
            let _ = d.render(&p.sources);
            let _ = d.to_json(&p.sources);
        }
    }

    #[test]
    fn spans_point_at_their_text(text in "([ a-z{}\"#!\n\t]|é|\\\\#){0,200}") {
        let p = parse(&text);
        let mut stack = vec![p.tree.nodes.iter()];
        while let Some(iter) = stack.last_mut() {
            let Some(node) = iter.next() else { stack.pop(); continue; };
            for t in std::iter::once(&node.keyword).chain(&node.args) {
                let start = t.span.offset as usize;
                let src = &text[start..start + t.span.len as usize];
                let src = if t.quoted { src.to_string() } else { src.replace("\\#", "#") };
                let expected = if t.quoted { format!("\"{}\"", t.text) } else { t.text.to_string() };
                prop_assert_eq!(src, expected);
                let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
                prop_assert_eq!(t.span.line as usize, 1 + text[..start].matches('\n').count());
                prop_assert_eq!(p.sources.column(t.span) as usize, 1 + text[line_start..start].chars().count());
            }
            if let Some(b) = &node.block { stack.push(b.nodes.iter()); }
        }
    }
}

#[test]
fn scan_counts_lines_and_words_without_a_tree() {
    let s =
        lbkit_keepalived_cfg::scan_str("k.conf", "a { b 1 }\n~SEQ(i, 2) c $i\n", &Options::new());
    assert_eq!((s.lines, s.words), (4, 7));
    assert!(s.diagnostics.is_empty());
}

#[test]
fn instance_is_the_config_id() {
    let p = parse_id("router_id $_INSTANCE\n", "lb1");
    assert_eq!(shape(&p.tree), ["0|router_id lb1"]);
}

#[test]
fn text_after_a_brace_that_regrows_by_substitution_ends() {
    // The text after `}` defines A as itself twice: every residue is
    // substituted back to a full line (keepalived never ends here).
    let p = parse("x }$A=${A}${A}=\nk ${A}{${A}\n");
    assert!(codes(&p).contains(&"E0013"), "{:?}", codes(&p));
}

#[test]
fn include_fan_out_is_bounded() {
    let dir = TempDir::new("fan");
    for i in 0..8 {
        dir.write(&format!("f{i}.conf"), b"include *.conf\nk\n");
    }
    let p = file(&dir.0.join("f0.conf"));
    let c = codes(&p);
    assert_eq!(c.iter().filter(|&&c| c == "E0015").count(), 1);
    assert_eq!(p.sources.iter().count(), 1024);
}
