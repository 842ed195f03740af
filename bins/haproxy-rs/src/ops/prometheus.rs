//! The `prometheus-exporter` service's exposition (text format 0.0.4),
//! with HAProxy 2.6's metric names, HELP texts, types and labels (`proxy`,
//! `server`, and `state`/`code`/`version` where HAProxy adds them).
//!
//! Per-proxy values come from the same cells as `show stat` ([`super::stat`]):
//! an empty cell is `NaN`, times are converted from milliseconds to
//! seconds, HTTP-only metrics are left out for `mode tcp` proxies and
//! check metrics for servers without an active check, as HAProxy does.

use super::snapshot::{CheckStatus, OpState, Proxy, Server, Snapshot};
use super::stat::{rows, RowKind, StatOptions, StatRow};

/// `name|type|help` of every metric, in HAProxy's order.
const METRICS: &str = include_str!("prometheus_metrics.txt");

/// The `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// The server states of `haproxy_server_status`, in HAProxy's order.
const SERVER_STATES: [&str; 5] = ["DOWN", "UP", "MAINT", "DRAIN", "NOLB"];

/// The HTTP response classes of `*_http_responses_total`.
const CODES: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"];

/// The whole exposition.
pub fn render(snapshot: &Snapshot) -> String {
    let all = rows(snapshot, StatOptions { show_legends: true });
    let mut out = String::new();
    for line in METRICS.lines().filter(|l| !l.is_empty()) {
        let mut parts = line.splitn(3, '|');
        let (Some(name), Some(kind), Some(help)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let mut samples = Vec::new();
        if let Some(suffix) = name.strip_prefix("haproxy_process_") {
            process_samples(snapshot, name, suffix, &mut samples);
        } else if let Some(suffix) = name.strip_prefix("haproxy_frontend_") {
            proxy_samples(
                snapshot,
                &all,
                RowKind::Frontend,
                name,
                suffix,
                &mut samples,
            );
        } else if let Some(suffix) = name.strip_prefix("haproxy_backend_") {
            proxy_samples(snapshot, &all, RowKind::Backend, name, suffix, &mut samples);
        } else if let Some(suffix) = name.strip_prefix("haproxy_server_") {
            proxy_samples(snapshot, &all, RowKind::Server, name, suffix, &mut samples);
        }
        if samples.is_empty() {
            continue;
        }
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for s in samples {
            out.push_str(&s);
            out.push('\n');
        }
    }
    out
}

/// One sample line.
fn sample(name: &str, labels: &[(&str, &str)], value: &str) -> String {
    if labels.is_empty() {
        return format!("{name} {value}");
    }
    let l: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
        .collect();
    format!("{name}{{{}}} {value}", l.join(","))
}

/// Escapes a label value (backslash, quote, line feed).
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The process metrics.
fn process_samples(snap: &Snapshot, name: &str, suffix: &str, out: &mut Vec<String>) {
    let i = &snap.info;
    let v: String = match suffix {
        "nbthread" => i.nbthread.to_string(),
        "nbproc" | "relative_process_id" => "1".into(),
        "uptime_seconds" => i.uptime_sec.to_string(),
        "max_fds" => i.ulimit_n.to_string(),
        "max_sockets" => i.maxsock.to_string(),
        "max_connections" => i.maxconn.to_string(),
        "hard_max_connections" => i.hard_maxconn.to_string(),
        "current_connections" => i.curr_conns.to_string(),
        "connections_total" => i.cum_conns.to_string(),
        "requests_total" => i.cum_req.to_string(),
        "current_connection_rate" => i.conn_rate.to_string(),
        "limit_connection_rate" => i.conn_rate_limit.to_string(),
        "max_connection_rate" => i.max_conn_rate.to_string(),
        "current_session_rate" => i.sess_rate.to_string(),
        "limit_session_rate" => i.sess_rate_limit.to_string(),
        "max_session_rate" => i.max_sess_rate.to_string(),
        "current_zlib_memory" | "max_zlib_memory" => "NaN".into(),
        "current_tasks" => i.tasks.to_string(),
        "current_run_queue" => i.run_queue.to_string(),
        "idle_time_percent" => i.idle_pct.to_string(),
        "stopping" => u8::from(i.stopping).to_string(),
        "jobs" => i.jobs.to_string(),
        "unstoppable_jobs" => i.unstoppable_jobs.to_string(),
        "listeners" => i.listeners.to_string(),
        "dropped_logs_total" => i.dropped_logs.to_string(),
        "bytes_out_total" => i.total_bytes_out.to_string(),
        "bytes_out_rate" => i.bytes_out_rate.to_string(),
        "pool_allocated_bytes" => i.pool_alloc_bytes.to_string(),
        "pool_used_bytes" => i.pool_used_bytes.to_string(),
        "start_time_seconds" => i.start_time_sec.to_string(),
        "build_info" => {
            out.push(sample(name, &[("version", &i.build_info)], "1"));
            return;
        }
        _ => "0".into(),
    };
    out.push(sample(name, &[], &v));
}

/// The `show stat` column a per-proxy metric reads, and whether it is a
/// time in milliseconds.
fn column(suffix: &str) -> Option<(&'static str, bool)> {
    let c = match suffix {
        "current_queue" => "qcur",
        "max_queue" => "qmax",
        "current_sessions" => "scur",
        "max_sessions" => "smax",
        "limit_sessions" => "slim",
        "sessions_total" => "stot",
        "bytes_in_total" => "bin",
        "bytes_out_total" => "bout",
        "requests_denied_total" => "dreq",
        "responses_denied_total" => "dresp",
        "request_errors_total" => "ereq",
        "connection_errors_total" => "econ",
        "response_errors_total" => "eresp",
        "retry_warnings_total" => "wretr",
        "redispatch_warnings_total" => "wredis",
        "weight" => "weight",
        "active_servers" => "act",
        "backup_servers" => "bck",
        "check_failures_total" => "chkfail",
        "check_up_down_total" => "chkdown",
        "check_last_change_seconds" => "lastchg",
        "downtime_seconds_total" => "downtime",
        "queue_limit" => "qlimit",
        "current_throttle" => "throttle",
        "loadbalanced_total" => "lbtot",
        "limit_session_rate" => "rate_lim",
        "max_session_rate" => "rate_max",
        "check_code" => "check_code",
        "http_requests_rate_max" => "req_rate_max",
        "http_requests_total" => "req_tot",
        "client_aborts_total" => "cli_abrt",
        "server_aborts_total" => "srv_abrt",
        "http_comp_bytes_in_total" => "comp_in",
        "http_comp_bytes_out_total" => "comp_out",
        "http_comp_bytes_bypassed_total" => "comp_byp",
        "http_comp_responses_total" => "comp_rsp",
        "last_session_seconds" => "lastsess",
        "connections_rate_max" => "conn_rate_max",
        "connections_total" => "conn_tot",
        "intercepted_requests_total" => "intercepted",
        "denied_connections_total" => "dcon",
        "denied_sessions_total" => "dses",
        "failed_header_rewriting_total" => "wrew",
        "connection_attempts_total" => "connect",
        "connection_reuses_total" => "reuse",
        "http_cache_lookups_total" => "cache_lookups",
        "http_cache_hits_total" => "cache_hits",
        "idle_connections_current" => "srv_icur",
        "idle_connections_limit" => "src_ilim",
        "internal_errors_total" => "eint",
        "unsafe_idle_connections_current" => "idle_conn_cur",
        "safe_idle_connections_current" => "safe_conn_cur",
        "used_connections_current" => "used_conn_cur",
        "need_connections_current" => "need_conn_est",
        "uweight" => "uweight",
        _ => {
            let ms = match suffix {
                "check_duration_seconds" => "check_duration",
                "queue_time_average_seconds" => "qtime",
                "connect_time_average_seconds" => "ctime",
                "response_time_average_seconds" => "rtime",
                "total_time_average_seconds" => "ttime",
                "max_queue_time_seconds" => "qtime_max",
                "max_connect_time_seconds" => "ctime_max",
                "max_response_time_seconds" => "rtime_max",
                "max_total_time_seconds" => "ttime_max",
                _ => return None,
            };
            return Some((ms, true));
        }
    };
    Some((c, false))
}

/// The proxy and server a row belongs to.
fn owners<'a>(snap: &'a Snapshot, row: &StatRow) -> Option<(&'a Proxy, Option<&'a Server>)> {
    let px = snap.proxies.iter().find(|p| {
        p.name == row.cells[0]
            && match row.kind {
                RowKind::Frontend => p.frontend.is_some(),
                _ => p.backend.is_some(),
            }
    })?;
    let sv = match row.kind {
        RowKind::Server => Some(px.servers.iter().find(|s| s.name == row.cells[1])?),
        _ => None,
    };
    Some((px, sv))
}

/// A server's active check, if any.
fn active_check(sv: &Server) -> Option<&super::snapshot::Check> {
    sv.check.as_ref().filter(|c| !c.paused)
}

/// The state label a server is counted under.
fn server_state(sv: &Server) -> &'static str {
    if sv.admin.maint() {
        "MAINT"
    } else if sv.admin.drain() {
        "DRAIN"
    } else {
        match sv.op {
            OpState::Running | OpState::Starting => "UP",
            OpState::Stopping => "NOLB",
            OpState::Stopped => "DOWN",
        }
    }
}

/// Samples of one per-proxy metric over the rows of `kind`.
fn proxy_samples(
    snap: &Snapshot,
    all: &[StatRow],
    kind: RowKind,
    name: &str,
    suffix: &str,
    out: &mut Vec<String>,
) {
    let rows: Vec<(&StatRow, &Proxy, Option<&Server>)> = all
        .iter()
        .filter(|r| r.kind == kind)
        .filter_map(|r| owners(snap, r).map(|(p, s)| (r, p, s)))
        .filter(|(_, p, _)| !(suffix.starts_with("http_") && p.mode.as_str() == "tcp"))
        .collect();
    let labels = |p: &'_ Proxy, s: Option<&Server>| -> Vec<(String, String)> {
        let mut l = vec![("proxy".to_owned(), p.name.clone())];
        if let Some(s) = s {
            l.push(("server".to_owned(), s.name.clone()));
        }
        l
    };
    let emit =
        |out: &mut Vec<String>, l: &[(String, String)], extra: Option<(&str, &str)>, v: &str| {
            let mut all: Vec<(&str, &str)> =
                l.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            if let Some(e) = extra {
                all.push(e);
            }
            out.push(sample(name, &all, v));
        };
    match suffix {
        "http_responses_total" => {
            for (i, code) in CODES.iter().enumerate() {
                for (r, p, s) in &rows {
                    let v = r.cells.get(39 + i).cloned().unwrap_or_default();
                    emit(out, &labels(p, *s), Some(("code", code)), &or_nan(&v));
                }
            }
        }
        "status" => {
            for (r, p, s) in &rows {
                let states: Vec<(&str, bool)> = match (kind, s) {
                    (RowKind::Server, Some(sv)) => {
                        let cur = server_state(sv);
                        SERVER_STATES.iter().map(|st| (*st, *st == cur)).collect()
                    }
                    _ => {
                        let up = matches!(r.get("status"), Some("OPEN" | "UP"));
                        vec![("DOWN", !up), ("UP", up)]
                    }
                };
                for (st, on) in states {
                    emit(
                        out,
                        &labels(p, *s),
                        Some(("state", st)),
                        if on { "1" } else { "0" },
                    );
                }
            }
        }
        "check_status" => {
            for (_, p, s) in &rows {
                let Some(c) = s.and_then(active_check) else {
                    continue;
                };
                for st in CheckStatus::FINISHED {
                    let on = if st == c.status { "1" } else { "0" };
                    emit(out, &labels(p, *s), Some(("state", st.name())), on);
                }
            }
        }
        "agg_server_status" | "agg_server_check_status" | "agg_check_status" => {
            for (_, p, _) in rows.iter().filter(|(_, p, _)| !p.servers.is_empty()) {
                if suffix == "agg_check_status" {
                    for st in CheckStatus::FINISHED {
                        let n = p
                            .servers
                            .iter()
                            .filter(|s| active_check(s).is_some_and(|c| c.status == st))
                            .count();
                        emit(
                            out,
                            &labels(p, None),
                            Some(("state", st.name())),
                            &n.to_string(),
                        );
                    }
                } else {
                    for st in SERVER_STATES {
                        let n = p.servers.iter().filter(|s| server_state(s) == st).count();
                        emit(out, &labels(p, None), Some(("state", st)), &n.to_string());
                    }
                }
            }
        }
        _ => {
            let Some((col, ms)) = column(suffix) else {
                return;
            };
            let check_only = matches!(suffix, "check_code" | "check_duration_seconds");
            for (r, p, s) in &rows {
                if check_only && s.and_then(active_check).is_none() {
                    continue;
                }
                let cell = r.get(col).unwrap_or("");
                let v = if check_only && cell.is_empty() {
                    "0".to_owned()
                } else if ms {
                    cell.parse::<f64>()
                        .map_or_else(|_| "NaN".to_owned(), |v| format!("{:.6}", v / 1000.0))
                } else {
                    or_nan(cell)
                };
                emit(out, &labels(p, *s), None, &v);
            }
        }
    }
}

/// An empty cell is `NaN`.
fn or_nan(cell: &str) -> String {
    if cell.is_empty() {
        "NaN".into()
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(
            sample("m", &[("proxy", "a\"b\\c")], "1"),
            "m{proxy=\"a\\\"b\\\\c\"} 1"
        );
        assert_eq!(sample("m", &[], "NaN"), "m NaN");
    }

    #[test]
    fn every_metric_has_a_type_and_help() {
        for line in METRICS.lines() {
            let parts: Vec<&str> = line.splitn(3, '|').collect();
            assert_eq!(parts.len(), 3, "{line}");
            assert!(matches!(parts[1], "gauge" | "counter"), "{line}");
        }
    }
}
