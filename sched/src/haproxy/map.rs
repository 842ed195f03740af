//! HAProxy's `src/lb_map.c`.
