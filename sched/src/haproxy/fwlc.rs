//! HAProxy's `src/lb_fwlc.c`.
