//! `show info`: HAProxy 2.6's process report, field names and order as
//! 2.6 prints them (`Name: value` lines, then a blank line).

use super::snapshot::ProcessInfo;

/// The `show info` field names, in HAProxy 2.6's order.
pub const INFO_FIELDS: [&str; 69] = [
    "Name",
    "Version",
    "Release_date",
    "Nbthread",
    "Nbproc",
    "Process_num",
    "Pid",
    "Uptime",
    "Uptime_sec",
    "Memmax_MB",
    "PoolAlloc_MB",
    "PoolUsed_MB",
    "PoolFailed",
    "Ulimit-n",
    "Maxsock",
    "Maxconn",
    "Hard_maxconn",
    "CurrConns",
    "CumConns",
    "CumReq",
    "MaxSslConns",
    "CurrSslConns",
    "CumSslConns",
    "Maxpipes",
    "PipesUsed",
    "PipesFree",
    "ConnRate",
    "ConnRateLimit",
    "MaxConnRate",
    "SessRate",
    "SessRateLimit",
    "MaxSessRate",
    "SslRate",
    "SslRateLimit",
    "MaxSslRate",
    "SslFrontendKeyRate",
    "SslFrontendMaxKeyRate",
    "SslFrontendSessionReuse_pct",
    "SslBackendKeyRate",
    "SslBackendMaxKeyRate",
    "SslCacheLookups",
    "SslCacheMisses",
    "CompressBpsIn",
    "CompressBpsOut",
    "CompressBpsRateLim",
    "Tasks",
    "Run_queue",
    "Idle_pct",
    "node",
    "Stopping",
    "Jobs",
    "Unstoppable Jobs",
    "Listeners",
    "ActivePeers",
    "ConnectedPeers",
    "DroppedLogs",
    "BusyPolling",
    "FailedResolutions",
    "TotalBytesOut",
    "TotalSplicdedBytesOut",
    "BytesOutRate",
    "DebugCommandsIssued",
    "CumRecvLogs",
    "Build info",
    "Memmax_bytes",
    "PoolAlloc_bytes",
    "PoolUsed_bytes",
    "Start_time_sec",
    "Tainted",
];

/// `Uptime` as HAProxy writes it: `0d 0h00m05s`.
pub fn format_uptime(secs: u64) -> String {
    let days = secs / 86_400;
    let hours = secs / 3600 % 24;
    let mins = secs / 60 % 60;
    let s = secs % 60;
    format!("{days}d {hours}h{mins:02}m{s:02}s")
}

/// The `(name, value)` pairs of `show info`, in order.
pub fn info_fields(info: &ProcessInfo) -> Vec<(&'static str, String)> {
    let mb = |b: u64| (b / (1024 * 1024)).to_string();
    let values: [String; 69] = [
        "HAProxy".into(),
        info.version.clone(),
        info.release_date.clone(),
        info.nbthread.to_string(),
        "1".into(),
        "1".into(),
        info.pid.to_string(),
        format_uptime(info.uptime_sec),
        info.uptime_sec.to_string(),
        "0".into(),
        mb(info.pool_alloc_bytes),
        mb(info.pool_used_bytes),
        "0".into(),
        info.ulimit_n.to_string(),
        info.maxsock.to_string(),
        info.maxconn.to_string(),
        info.hard_maxconn.to_string(),
        info.curr_conns.to_string(),
        info.cum_conns.to_string(),
        info.cum_req.to_string(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        info.conn_rate.to_string(),
        info.conn_rate_limit.to_string(),
        info.max_conn_rate.to_string(),
        info.sess_rate.to_string(),
        info.sess_rate_limit.to_string(),
        info.max_sess_rate.to_string(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        info.tasks.to_string(),
        info.run_queue.to_string(),
        info.idle_pct.to_string(),
        info.node.clone(),
        u8::from(info.stopping).to_string(),
        info.jobs.to_string(),
        info.unstoppable_jobs.to_string(),
        info.listeners.to_string(),
        "0".into(),
        "0".into(),
        info.dropped_logs.to_string(),
        "0".into(),
        "0".into(),
        info.total_bytes_out.to_string(),
        "0".into(),
        info.bytes_out_rate.to_string(),
        "0".into(),
        "0".into(),
        info.build_info.clone(),
        "0".into(),
        info.pool_alloc_bytes.to_string(),
        info.pool_used_bytes.to_string(),
        info.start_time_sec.to_string(),
        "0".into(),
    ];
    INFO_FIELDS.into_iter().zip(values).collect()
}

/// The `show info` answer (the runtime API adds the final blank line).
pub fn show_info(info: &ProcessInfo) -> String {
    let mut out = String::new();
    for (name, value) in info_fields(info) {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(&value);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_format_matches_haproxy() {
        assert_eq!(format_uptime(5), "0d 0h00m05s");
        assert_eq!(format_uptime(150), "0d 0h02m30s");
        assert_eq!(format_uptime(90_061), "1d 1h01m01s");
    }

    #[test]
    fn info_starts_with_name_and_has_69_lines() {
        let out = show_info(&ProcessInfo::default());
        assert!(out.starts_with("Name: HAProxy\nVersion: "));
        assert!(out.ends_with("Tainted: 0\n"));
        assert_eq!(out.lines().count(), 69);
    }
}
