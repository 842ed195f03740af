//! HAProxy's `src/lb_fas.c`.
