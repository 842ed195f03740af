//! HAProxy's `src/lb_chash.c`.
