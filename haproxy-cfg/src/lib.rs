//! # lbkit-haproxy-cfg
//!
//! `haproxy.cfg` read exactly as HAProxy 2.6 reads it: lexer, parser,
//! typed effective model, checker with rustc-style diagnostics, formatter.
