//! HAProxy's `src/lb_fwrr.c`.
