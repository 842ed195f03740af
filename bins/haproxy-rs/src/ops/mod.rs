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
//! - The SSL, HTTP/2 and compression figures are reported as zero.
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
