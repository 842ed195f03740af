#!/usr/bin/env python3
"""Writes the broken variants in invalid/ from the files in valid/ and seed/.

Deterministic: every mutant is one small edit of one source file, named
<source>--<mutation>.conf, with a first comment line saying what changed.
Run from this directory; then refresh verdicts.tsv with
UPDATE_VERDICTS=1 cargo test -p lbkit-keepalived-cfg --test keepalived_diff.
"""
import glob
import os
import re

# Keywords whose first occurrence the misspelling mutation targets, in order of preference.
KEYWORDS = ["priority", "lb_algo", "lvs_sched", "delay_loop", "connect_timeout",
            "interval", "router_id", "interface", "weight", "file", "smtp_server",
            "state", "include"]

# Value mutations: (name, regex, replacement), applied to the first match only.
VALUES = [
    ("vrid-out-of-range", r"virtual_router_id( +)\S+", r"virtual_router_id\g<1>256"),
    ("priority-out-of-range", r"\bpriority( +)\d+", r"priority\g<1>256"),
    ("advert-int-negative", r"advert_int( +)\S+", r"advert_int\g<1>-1"),
    ("bad-state", r"\bstate( +)(MASTER|BACKUP)", r"state\g<1>LEADER"),
    ("unknown-lb-algo", r"\b(lb_algo|lvs_sched)( +)\w+", r"\1\2fastest"),
    ("unknown-lb-kind", r"\b(lb_kind|lvs_method)( +)\w+", r"\1\2PROXY"),
    ("bad-protocol", r"\bprotocol( +)\w+", r"protocol\g<1>ICMP"),
    ("bad-vs-address", r"virtual_server( +)(\d+\.\d+\.\d+)\.\d+", r"virtual_server\g<1>\2.300"),
    ("bad-rs-address", r"real_server( +)(\d+\.\d+\.\d+)\.\d+", r"real_server\g<1>\2.999"),
    ("bad-vip", r"(virtual_ipaddress \{\n\s+)(\d+\.\d+)\.\d+\.\d+", r"\g<1>\2.0.300"),
    ("bad-port", r"(real_server +\S+ +)\d+", r"\g<1>70000"),
    ("negative-weight", r"(\n\s+)weight( +)\d+\n", r"\1weight\2-5\n"),
    ("connect-timeout-text", r"connect_timeout( +)\d+", r"connect_timeout\g<1>soon"),
    ("bad-auth-type", r"auth_type( +)\w+", r"auth_type\g<1>MD5"),
    ("bad-interface", r"\binterface( +)eth\d", r"interface\g<1>eth9"),
    ("bad-status-code", r"status_code( +)\S+", r"status_code\g<1>999"),
    ("bad-dns-type", r"\btype( +)A\b", r"type\g<1>BOGUS"),
    ("bad-fwmark", r"fwmark( +)\d+", r"fwmark\g<1>x42"),
    ("bad-smtp-server", r"smtp_server( +)\S+", r"smtp_server\g<1>300.0.0.1"),
    ("undefined-track-script", r"(track_script \{\n\s+)\w+", r"\1chk_missing"),
    ("undefined-sync-member", r"(group \{\n\s+)\w+", r"\1VI_MISSING"),
    ("undefined-track-file", r"(track_file \{\n\s+)\w+", r"\1tf_missing"),
    ("missing-include", r"include( +)\S+", r"include\g<1>inc/no-such-file.part"),
    ("undefined-group", r"virtual_server group( +)\w+", r"virtual_server group\g<1>NOGROUP"),
    ("seq-bad-syntax", r"~SEQ\((\w+), ", r"~SEQ(\1; "),
    ("unterminated-quote", r'"([^"\n]*)"', r'"\1'),
]

def misspell(text, seed):
    lines = text.split("\n")
    present = [k for k in KEYWORDS if any(l.split()[:1] == [k] for l in lines)]
    for kw in present[seed % len(present):] if present else []:
        for i, line in enumerate(lines):
            words = line.split()
            if words and words[0] == kw:
                w = kw
                j = len(w) // 2
                wrong = w[:j - 1] + w[j] + w[j - 1] + w[j + 1:]
                lines[i] = line.replace(kw, wrong, 1)
                return "\n".join(lines), f"keyword `{kw}` misspelt `{wrong}`"
    return None, None

def drop_inner_brace(text):
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.strip() == "}" and line != "}":
            del lines[i]
            return "\n".join(lines), f"closing brace of line {i + 1} removed"
    return None, None

def mutants(text, seed):
    out = []
    m, why = misspell(text, seed)
    if m:
        out.append(("misspelt-keyword", m, why))
    m, why = drop_inner_brace(text)
    if m:
        out.append(("missing-brace", m, why))
    fitting = [v for v in VALUES if re.search(v[1], text)]
    # Rotate by the source's index so that the files do not all get the
    # same two value mutations.
    start = seed % len(fitting) if fitting else 0
    for name, pat, rep in (fitting[start:] + fitting[:start])[:2]:
        out.append((name, re.sub(pat, rep, text, count=1), name.replace("-", " ")))
    return out

def main():
    for old in glob.glob("invalid/*--*.conf"):
        os.remove(old)
    sources = sorted(glob.glob("valid/*.conf")) + sorted(glob.glob("seed/*.conf"))
    for seed, src in enumerate(sources):
        text = open(src).read()
        base = os.path.basename(src)[:-5]
        # Four mutants per source at most keeps the corpus readable: the
        # two generic ones, then two value mutations.
        for name, body, why in mutants(text, seed):
            dst = f"invalid/{base}--{name}.conf"
            with open(dst, "w") as f:
                f.write(f"# mutant of {src}: {why}\n{body}")

if __name__ == "__main__":
    main()
