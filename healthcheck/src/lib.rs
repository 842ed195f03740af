//! # lbkit-healthcheck
//!
//! Health checks as keepalived and HAProxy run them: sans-IO rise/fall state
//! machines (time is passed in) and async checkers.
