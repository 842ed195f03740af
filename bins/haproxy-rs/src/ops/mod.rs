//! Operations: what HAProxy 2.6 reports and how it is driven at run time,
//! as pure functions of a [`snapshot::Snapshot`].
//!
//! - [`stat`]: `show stat` and the stats page's `;csv` (128 columns);
//! - [`info`]: `show info`;
//! - [`state`]: `show servers state` and `show backend`;
//! - [`cli`]: the runtime API's command language, levels and messages;
//! - [`runtime`]: running commands against a snapshot and a [`runtime::Control`];
//! - [`prometheus`]: the `prometheus-exporter` service's exposition;
//! - [`html`]: the stats page;
//! - [`socket`]: the `stats socket` server (UNIX and TCP) over an [`socket::Engine`].
//!
//! The engine ([`crate::proxy::Handle`]) implements [`socket::Engine`]: its
//! snapshot is drawn from relaxed atomic counters kept per frontend,
//! backend and server, and its changes go through the same server state
//! the health checks drive. The daemon starts one runtime-API listener per
//! `stats socket` line of `global`, serves the stats page where `stats
//! enable` is set and the exporter on `http-request use-service
//! prometheus-exporter`.
//!
//! # Differences from HAProxy 2.6
//!
//! - Only the commands listed in [`cli::Command`] run; every other HAProxy
//!   keyword answers [`cli::CliError::Unsupported`] (HAProxy's suggestion
//!   texts and `help` list are reproduced, so they still name them).
//! - `show stat` / `show info` ignore `typed`, `json` and `desc`, and the
//!   `show stat <iid> <type> <sid>` filters; `up` and `no-maint` apply.
//! - `show sess` prints one summary line per stream (id, proto, src, fe,
//!   be, srv, age), not HAProxy's internal stream dump.
//! - The stats page keeps HAProxy's rows, column groups, anchors, colours
//!   and admin form, with fewer tooltips and no JSON export; its action
//!   list offers ready, drain and maint only.
//! - The SSL, HTTP/2 and compression figures are reported as zero, and so
//!   are the rates (`rate`, `req_rate`, `conn_rate` and their maxima), the
//!   average and maximum times (`qtime` .. `ttime_max`), `lastsess`,
//!   `cli_abrt`/`srv_abrt`, `intercepted` and the idle-connection figures.
//! - `show sess` lists no streams yet.
//! - `bin` in `mode http` counts request heads (as an HTTP/1.1 client
//!   writes them) but not request bodies; `bout` counts response heads
//!   and bodies. A backend's and a server's `req_tot` is the number of
//!   responses counted on it.
//! - A server's health counter is kept from the check results (rise/fall
//!   as HAProxy's); agent checks do not change it.
//! - `set maxconn frontend` and `set maxconn global` apply only where the
//!   configuration set a limit (they are refused elsewhere); `set
//!   maxconn server` applies at once to the engine's limit and queue, while
//!   the balancing algorithms keep passing over a server at its configured
//!   `maxconn` (lbkit-sched has no run-time setter for it).
//!
//! ```
//! use haproxy_rs::ops::cli::{parse_command, Command, Level};
//! assert_eq!(parse_command("show info", Level::User), Ok(Command::ShowInfo));
//! ```

pub mod cli;
pub mod html;
pub mod info;
pub mod prometheus;
pub mod runtime;
pub mod snapshot;
pub mod socket;
pub mod stat;
pub mod state;
