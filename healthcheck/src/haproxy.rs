//! HAProxy's server health state machine, without I/O.
//!
//! Follows HAProxy 2.6: the `health` counter of `struct check` and its
//! updates in `set_server_check_status()` (`src/check.c`), the interval
//! choice of `srv_getinter()`, the `spread-checks` jitter of
//! `process_chk()`, the slow-start ramp of `server_recalc_eweight()`
//! (`src/server.c`), the traffic observer of `check_health_analyze()` and
//! the agent replies of `tcpcheck_agent_expect_reply()` (`src/tcpcheck.c`).

use std::time::{Duration, Instant};

use crate::later::later;
use crate::status::{CheckResult, Status, Verdict};
use crate::transition::{Transition, TransitionKind};

/// HAProxy's weight scale for dynamic algorithms (`BE_WEIGHT_SCALE`).
const WEIGHT_SCALE: u64 = 16;

/// What to do after `error-limit` consecutive observed errors (`on-error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// `fastinter`: only bring the next check forward.
    FastInter,
    /// `fail-check`: count as one failed check (the default).
    #[default]
    FailCheck,
    /// `sudden-death`: leave the server one failed check from down.
    SuddenDeath,
    /// `mark-down`: mark the server down at once.
    MarkDown,
}

/// Which traffic the observer watches (`observe layer4|layer7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observe {
    /// Connection outcomes only.
    Layer4,
    /// Connection outcomes and HTTP responses.
    Layer7,
}

/// An outcome seen on real traffic, fed to [`Server::observe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// A connection to the server succeeded.
    L4Ok,
    /// A connection failed or timed out.
    L4Error,
    /// An HTTP response with this status arrived.
    HttpStatus(u16),
    /// The response was invalid, truncated or timed out.
    HttpError,
}

/// The settings of one server line (`server ... check inter ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `inter` (default 2 s).
    pub inter: Duration,
    /// `fastinter`, used while the server is changing state.
    pub fastinter: Option<Duration>,
    /// `downinter`, used while the server is fully down.
    pub downinter: Option<Duration>,
    /// `rise` (default 2).
    pub rise: u32,
    /// `fall` (default 3).
    pub fall: u32,
    /// `weight` (default 1), the initial user weight.
    pub weight: u32,
    /// `slowstart`; HAProxy keeps it in whole seconds, rounded up.
    pub slowstart: Duration,
    /// `observe`.
    pub observe: Option<Observe>,
    /// `error-limit` (default 10).
    pub error_limit: u32,
    /// `on-error` (default `fail-check`).
    pub on_error: OnError,
    /// Global `spread-checks`, a percentage (0..=50).
    pub spread_checks: u8,
    /// Agent `rise`/`fall`; HAProxy defaults both to 1.
    pub agent_rise: u32,
    /// See `agent_rise`.
    pub agent_fall: u32,
    /// Whether an agent check is configured.
    pub agent: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            inter: Duration::from_secs(2),
            fastinter: None,
            downinter: None,
            rise: 2,
            fall: 3,
            weight: 1,
            slowstart: Duration::ZERO,
            observe: None,
            error_limit: 10,
            on_error: OnError::FailCheck,
            spread_checks: 0,
            agent_rise: 1,
            agent_fall: 1,
            agent: false,
        }
    }
}

/// Operational state, HAProxy's `SRV_ST_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// Down.
    Stopped,
    /// Up, in its slow-start ramp.
    Starting,
    /// Up at full weight.
    Running,
}

/// A health counter as HAProxy keeps one per check (`check->health`):
/// 0 is down, `rise..rise+fall-1` is up, `rise+fall-1` is fully up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counter {
    health: u32,
    rise: u32,
    fall: u32,
}

impl Counter {
    /// Starts up but one failure from down, as HAProxy does for servers not
    /// in maintenance ("up, but will fall down at first failure").
    fn new(rise: u32, fall: u32) -> Self {
        let rise = rise.max(1);
        Self {
            health: rise,
            rise,
            fall: fall.max(1),
        }
    }

    fn full(&self) -> u32 {
        self.rise.saturating_add(self.fall - 1)
    }

    fn is_up(&self) -> bool {
        self.health >= self.rise
    }

    /// One failure: one step down, and to 0 at once when below `rise`.
    fn fail(&mut self) {
        if self.health > 0 {
            self.health -= 1;
            if self.health < self.rise {
                self.health = 0;
            }
        }
    }

    /// One success: one step up, and to fully up at once when reaching `rise`.
    fn pass(&mut self) {
        if self.health < self.full() {
            self.health += 1;
            if self.health >= self.rise {
                self.health = self.full();
            }
        }
    }

    /// HAProxy's `status: x/y` numbers.
    fn fraction(&self) -> (u32, u32) {
        if self.is_up() {
            (self.health - self.rise + 1, self.fall)
        } else {
            (self.health, self.rise)
        }
    }
}

/// An agent's answer, parsed from its reply line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentReply {
    /// `up`, `down`, `fail`, `stopped`, if present.
    pub health: Option<AgentHealth>,
    /// `drain`, `maint`, `ready`, if present.
    pub admin: Option<AgentAdmin>,
    /// `NN%`: the new weight relative to the configured one.
    pub weight_percent: Option<u32>,
    /// `maxconn:NN`.
    pub maxconn: Option<u32>,
    /// Text after `#`, given as the reason.
    pub description: Option<String>,
}

/// The health words of the agent protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentHealth {
    /// `up`.
    Up,
    /// `down`, `fail` or `stopped`.
    Down,
}

/// The administrative words of the agent protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentAdmin {
    /// `drain`: weight 0, established connections continue.
    Drain,
    /// `maint`: maintenance, no traffic.
    Maint,
    /// `ready`: leave drain and maintenance.
    Ready,
}

/// Why an agent reply could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    /// The line held no word the protocol knows.
    #[error("agent reply has no known word: {0:?}")]
    NothingKnown(String),
    /// A percentage or `maxconn` value was not a number or too large.
    #[error("bad agent value {0:?}")]
    BadValue(String),
}

impl AgentReply {
    /// Parses one reply line: words split by spaces, tabs or commas,
    /// case-insensitive, the rest after `#` being a description.
    pub fn parse(line: &str) -> Result<Self, AgentError> {
        let line = line.trim_end_matches(['\r', '\n']);
        let (words, description) = match line.split_once('#') {
            Some((w, d)) => (w, Some(d.trim().to_owned())),
            None => (line, None),
        };
        let mut reply = Self {
            description: description.filter(|d| !d.is_empty()),
            ..Self::default()
        };
        let mut known = false;
        for word in words.split([' ', '\t', ',']).filter(|w| !w.is_empty()) {
            known = true;
            let lower = word.to_ascii_lowercase();
            match lower.as_str() {
                "up" => reply.health = Some(AgentHealth::Up),
                "down" | "fail" | "failed" | "stopped" => reply.health = Some(AgentHealth::Down),
                "drain" => reply.admin = Some(AgentAdmin::Drain),
                "maint" => reply.admin = Some(AgentAdmin::Maint),
                "ready" => reply.admin = Some(AgentAdmin::Ready),
                _ => {
                    if let Some(n) = lower.strip_prefix("maxconn:") {
                        reply.maxconn =
                            Some(n.parse().map_err(|_| AgentError::BadValue(word.into()))?);
                    } else if let Some(n) = lower.strip_suffix('%') {
                        let v: u32 = n.parse().map_err(|_| AgentError::BadValue(word.into()))?;
                        reply.weight_percent = Some(v);
                    } else {
                        known = false;
                    }
                }
            }
            if !known {
                return Err(AgentError::NothingKnown(line.into()));
            }
        }
        if !known {
            return Err(AgentError::NothingKnown(line.into()));
        }
        Ok(reply)
    }
}

/// One server's health as HAProxy tracks it.
#[derive(Debug, Clone)]
pub struct Server {
    cfg: Config,
    check: Counter,
    agent: Counter,
    state: RunState,
    drain: bool,
    maint: bool,
    stopping: bool,
    uweight: u32,
    last_weight: u32,
    last_change: Instant,
    consecutive_errors: u32,
    next_check: Instant,
}

impl Server {
    /// A server as HAProxy starts it: running, its health counter at
    /// `rise` (one failure from down), first check due at `first_check`.
    pub fn new(cfg: Config, now: Instant, first_check: Instant) -> Self {
        let check = Counter::new(cfg.rise, cfg.fall);
        let agent = Counter::new(cfg.agent_rise, cfg.agent_fall);
        let uweight = cfg.weight;
        Self {
            cfg,
            check,
            agent,
            state: RunState::Running,
            drain: false,
            maint: false,
            stopping: false,
            uweight,
            last_weight: uweight,
            last_change: now,
            consecutive_errors: 0,
            next_check: first_check,
        }
    }

    /// When HAProxy schedules the first check of server `index` of `count`
    /// checked servers: spread evenly over the longest interval
    /// (`start_checks()`).
    pub fn first_check_offset(max_inter: Duration, index: u32, count: u32) -> Duration {
        if count == 0 {
            return Duration::ZERO;
        }
        max_inter
            .checked_mul(index)
            .map_or(max_inter, |d| d / count)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Operational state.
    pub fn state(&self) -> RunState {
        self.state
    }

    /// True unless the server is down (drain and slow start count as up).
    pub fn is_up(&self) -> bool {
        self.state != RunState::Stopped
    }

    /// True when in maintenance (agent `maint`).
    pub fn in_maintenance(&self) -> bool {
        self.maint
    }

    /// True when draining (agent `drain`).
    pub fn draining(&self) -> bool {
        self.drain
    }

    /// The check's health counter (`check->health`).
    pub fn health(&self) -> u32 {
        self.check.health
    }

    /// The user weight (configured, or set by the agent).
    pub fn user_weight(&self) -> u32 {
        self.uweight
    }

    /// When the next health check is due.
    pub fn next_check(&self) -> Instant {
        self.next_check
    }

    /// The interval before the next check (`srv_getinter()`): `inter` when
    /// fully up, `downinter` when fully down, `fastinter` in between.
    pub fn interval(&self) -> Duration {
        if self.check.health == self.check.full() {
            return self.cfg.inter;
        }
        if self.state == RunState::Stopped && self.check.health == 0 {
            return self.cfg.downinter.unwrap_or(self.cfg.inter);
        }
        self.cfg.fastinter.unwrap_or(self.cfg.inter)
    }

    /// The interval with `spread-checks` jitter applied: uniformly within
    /// ±`spread_checks`% of it, `random` being a uniform `u32`.
    fn jittered_interval(&self, random: u32) -> Duration {
        let inter = self.interval();
        let spread = u64::from(self.cfg.spread_checks.min(50));
        if spread == 0 {
            return inter;
        }
        let ms = inter.as_millis().min(u128::from(u32::MAX));
        let rv = ms * u128::from(spread) / 100;
        // rv - 2*rv*random/u32::MAX, in [-rv, rv].
        let minus = 2 * rv * u128::from(random) / u128::from(u32::MAX);
        let total = (ms + rv).saturating_sub(minus);
        Duration::from_millis(u64::try_from(total).unwrap_or(u64::MAX))
    }

    /// The effective weight at `now`: 0 when down, draining or in
    /// maintenance; during slow start a ramp computed as HAProxy's
    /// `server_recalc_eweight()` does, in whole seconds.
    pub fn effective_weight(&self, now: Instant) -> u32 {
        if self.state == RunState::Stopped || self.drain || self.maint || self.stopping {
            return 0;
        }
        let ss = slowstart_secs(self.cfg.slowstart);
        if self.state != RunState::Starting || ss == 0 {
            return self.uweight;
        }
        let elapsed = now.saturating_duration_since(self.last_change).as_secs();
        if elapsed >= ss {
            return self.uweight;
        }
        let w = (WEIGHT_SCALE * elapsed + ss) / ss;
        let weight = (u64::from(self.uweight) * w).div_ceil(WEIGHT_SCALE);
        u32::try_from(weight).unwrap_or(u32::MAX)
    }

    /// When the slow-start ramp should next be recomputed (HAProxy's warmup
    /// task runs every `max(1 s, slowstart / 20)`), if it is ramping.
    pub fn next_weight_update(&self, now: Instant) -> Option<Instant> {
        if self.state != RunState::Starting {
            return None;
        }
        let step = (self.cfg.slowstart / 20).max(Duration::from_secs(1));
        Some(later(now, step))
    }

    /// Recomputes the slow-start ramp; reports a weight change if any and
    /// ends the ramp when it is over.
    pub fn tick(&mut self, now: Instant) -> Vec<Transition> {
        let mut out = Vec::new();
        if self.state == RunState::Starting {
            let ss = slowstart_secs(self.cfg.slowstart);
            if now.saturating_duration_since(self.last_change).as_secs() >= ss {
                self.state = RunState::Running;
            }
        }
        self.push_weight_change(now, "slowstart", &mut out);
        out
    }

    /// Feeds the result of a health check finished at `now`; schedules the
    /// next one. `random` is a uniform `u32` for `spread-checks`.
    pub fn on_check(&mut self, now: Instant, result: &CheckResult, random: u32) -> Vec<Transition> {
        let mut out = Vec::new();
        match result.status.verdict() {
            Verdict::Failed => {
                self.check.fail();
                if self.check.health == 0 {
                    self.set_stopped(now, || result.to_string(), &mut out);
                }
            }
            verdict @ (Verdict::Passed | Verdict::CondPassed) => {
                self.check.pass();
                if self.cfg.observe.is_some() {
                    self.consecutive_errors = 0;
                }
                if self.check.is_up() && (!self.cfg.agent || self.agent.is_up()) {
                    self.set_running(now, || result.to_string(), &mut out);
                    self.set_stopping(now, verdict == Verdict::CondPassed, result, &mut out);
                }
            }
        }
        self.next_check = later(now, self.jittered_interval(random));
        out
    }

    /// Feeds an agent reply (or an agent failure). Only explicit down words
    /// count against the server: an agent that cannot be reached does not
    /// mark it down.
    pub fn on_agent(
        &mut self,
        now: Instant,
        reply: Result<&AgentReply, &CheckResult>,
    ) -> Vec<Transition> {
        let mut out = Vec::new();
        let reply = match reply {
            Ok(r) => r,
            Err(failure) => {
                if failure.status.is_layer7_data() {
                    self.agent.fail();
                    if self.agent.health == 0 {
                        self.set_stopped(now, || failure.to_string(), &mut out);
                    }
                }
                return out;
            }
        };
        let why = reply.description.clone().unwrap_or_default();
        if let Some(pct) = reply.weight_percent {
            let new = u64::from(self.cfg.weight) * u64::from(pct) / 100;
            self.uweight = u32::try_from(new.min(256)).unwrap_or(256);
            self.push_weight_change(now, "agent", &mut out);
        }
        match reply.admin {
            Some(AgentAdmin::Drain) if !self.drain => {
                self.drain = true;
                out.push(Transition::new(
                    TransitionKind::Drain,
                    format!("agent: drain{}", sep(&why)),
                ));
            }
            Some(AgentAdmin::Maint) if !self.maint => {
                self.maint = true;
                out.push(Transition::new(
                    TransitionKind::Maintenance,
                    format!("agent: maint{}", sep(&why)),
                ));
            }
            Some(AgentAdmin::Ready) if self.maint || self.drain => {
                self.maint = false;
                self.drain = false;
                out.push(Transition::new(
                    TransitionKind::Ready,
                    format!("agent: ready{}", sep(&why)),
                ));
            }
            _ => {}
        }
        match reply.health {
            Some(AgentHealth::Down) => {
                self.agent.fail();
                if self.agent.health == 0 {
                    let reason = || {
                        format!(
                            "{}, info: \"{}\"",
                            Status::L7Sts.description(),
                            why_or(&why, "down")
                        )
                    };
                    self.set_stopped(now, reason, &mut out);
                }
            }
            Some(AgentHealth::Up) => {
                self.agent.pass();
                if self.agent.is_up() && self.check.is_up() {
                    self.set_running(
                        now,
                        || format!("Layer7 check passed, info: \"{}\"", why_or(&why, "up")),
                        &mut out,
                    );
                }
            }
            None => {}
        }
        self.push_weight_change(now, "agent", &mut out);
        out
    }

    /// Feeds an outcome seen on real traffic (`observe`). After
    /// `error-limit` consecutive errors, acts as `on-error` says.
    pub fn observe(&mut self, now: Instant, event: Observed) -> Vec<Transition> {
        let mut out = Vec::new();
        let Some(mode) = self.cfg.observe else {
            return out;
        };
        let error = match (mode, event) {
            (_, Observed::L4Ok) => false,
            (_, Observed::L4Error) => true,
            (Observe::Layer4, _) => return out,
            (Observe::Layer7, Observed::HttpStatus(code)) => {
                code >= 500 && code != 501 && code != 505
            }
            (Observe::Layer7, Observed::HttpError) => true,
        };
        if !error {
            self.consecutive_errors = 0;
            return out;
        }
        self.consecutive_errors += 1;
        if self.consecutive_errors < self.cfg.error_limit.max(1) {
            return out;
        }
        let result = CheckResult::new(Status::Hana, Duration::ZERO).with_info(format!(
            "Detected {} consecutive errors, last one was: {}",
            self.consecutive_errors,
            observed_text(event)
        ));
        match self.cfg.on_error {
            OnError::FastInter => {}
            OnError::SuddenDeath => {
                if self.check.health > self.check.rise {
                    self.check.health = self.check.rise + 1;
                }
                self.fail_from_observer(now, &result, &mut out);
            }
            OnError::FailCheck => self.fail_from_observer(now, &result, &mut out),
            OnError::MarkDown => {
                self.check.health = self.check.rise;
                self.fail_from_observer(now, &result, &mut out);
            }
        }
        self.consecutive_errors = 0;
        if let Some(fast) = self.cfg.fastinter {
            self.next_check = self.next_check.min(later(now, fast));
        }
        out
    }

    fn fail_from_observer(
        &mut self,
        now: Instant,
        result: &CheckResult,
        out: &mut Vec<Transition>,
    ) {
        self.check.fail();
        if self.check.health == 0 {
            self.set_stopped(now, || result.to_string(), out);
        }
    }

    /// HAProxy's `status: x/y UP|DOWN` suffix for check log lines.
    pub fn status_fraction(&self) -> String {
        let (x, y) = self.check.fraction();
        format!("{x}/{y} {}", if self.check.is_up() { "UP" } else { "DOWN" })
    }

    /// A conditional pass (`http-check disable-on-404`) puts an up server
    /// in HAProxy's "stopping" state: up, but no new traffic (weight 0); a
    /// full pass takes it out again (`check_notify_stopping()`).
    fn set_stopping(
        &mut self,
        now: Instant,
        stopping: bool,
        result: &CheckResult,
        out: &mut Vec<Transition>,
    ) {
        if self.stopping == stopping {
            return;
        }
        self.stopping = stopping;
        let kind = if stopping {
            TransitionKind::Stopping
        } else {
            TransitionKind::Ready
        };
        out.push(Transition::new(kind, result.to_string()));
        self.push_weight_change(now, "stopping", out);
    }

    /// True while a conditional pass keeps the server from new traffic.
    pub fn stopping(&self) -> bool {
        self.stopping
    }

    /// Marks the server down; `reason` is only formatted when it changes.
    fn set_stopped(
        &mut self,
        now: Instant,
        reason: impl FnOnce() -> String,
        out: &mut Vec<Transition>,
    ) {
        if self.state == RunState::Stopped {
            return;
        }
        let reason = reason();
        self.state = RunState::Stopped;
        self.last_change = now;
        out.push(Transition::new(TransitionKind::Down, reason));
        self.push_weight_change(now, "down", out);
    }

    /// Marks the server up; `reason` is only formatted when it changes.
    fn set_running(
        &mut self,
        now: Instant,
        reason: impl FnOnce() -> String,
        out: &mut Vec<Transition>,
    ) {
        if self.state != RunState::Stopped {
            return;
        }
        let reason = reason();
        self.state = if slowstart_secs(self.cfg.slowstart) > 0 {
            RunState::Starting
        } else {
            RunState::Running
        };
        self.last_change = now;
        out.push(Transition::new(TransitionKind::Up, reason));
        self.push_weight_change(now, "up", out);
    }

    fn push_weight_change(&mut self, now: Instant, why: &str, out: &mut Vec<Transition>) {
        let w = self.effective_weight(now);
        if w != self.last_weight {
            out.push(Transition::new(
                TransitionKind::Weight {
                    from: self.last_weight,
                    to: w,
                },
                why.to_owned(),
            ));
            self.last_weight = w;
        }
    }
}

fn slowstart_secs(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000).min(u128::from(u32::MAX)) as u64
}

fn sep(why: &str) -> String {
    if why.is_empty() {
        String::new()
    } else {
        format!(" ({why})")
    }
}

fn why_or<'a>(why: &'a str, default: &'a str) -> &'a str {
    if why.is_empty() {
        default
    } else {
        why
    }
}

fn observed_text(event: Observed) -> String {
    match event {
        Observed::L4Ok => "Layer4 ok".into(),
        Observed::L4Error => "Layer4 unsuccessful connection".into(),
        Observed::HttpStatus(c) => format!("HTTP status {c}"),
        Observed::HttpError => "Invalid http response".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> CheckResult {
        CheckResult::new(Status::L4Ok, Duration::ZERO)
    }

    fn refused() -> CheckResult {
        CheckResult::new(Status::L4Con, Duration::ZERO).with_info("Connection refused")
    }

    fn cfg(rise: u32, fall: u32) -> Config {
        Config {
            inter: Duration::from_millis(200),
            fastinter: Some(Duration::from_millis(100)),
            downinter: Some(Duration::from_millis(300)),
            rise,
            fall,
            weight: 10,
            ..Config::default()
        }
    }

    fn kinds(v: &[Transition]) -> Vec<TransitionKind> {
        v.iter().map(|t| t.kind).collect()
    }

    /// `srv_settings_cpy()`: health starts at rise, so the first failure
    /// before any success takes the server down.
    #[test]
    fn starts_up_and_falls_at_first_failure() {
        let t = Instant::now();
        let mut s = Server::new(cfg(4, 3), t, t);
        assert!(s.is_up());
        assert_eq!(s.health(), 4);
        let tr = s.on_check(t, &refused(), 0);
        assert_eq!(tr[0].kind, TransitionKind::Down);
        assert_eq!(
            tr[0].reason,
            "Layer4 connection problem, info: \"Connection refused\", check duration: 0ms"
        );
        assert_eq!(s.health(), 0);
    }

    /// `set_server_check_status()`: once fully up (rise+fall-1), `fall`
    /// failures are needed; back up after `rise` successes.
    #[test]
    fn rise_and_fall_counts() {
        let t = Instant::now();
        let mut s = Server::new(cfg(4, 3), t, t);
        assert!(s.on_check(t, &ok(), 0).is_empty());
        assert_eq!(s.health(), 6);
        assert!(s.on_check(t, &refused(), 0).is_empty());
        assert!(s.on_check(t, &refused(), 0).is_empty());
        assert_eq!(s.status_fraction(), "1/3 UP");
        assert_eq!(
            kinds(&s.on_check(t, &refused(), 0))[0],
            TransitionKind::Down
        );
        for _ in 0..3 {
            assert!(s.on_check(t, &ok(), 0).is_empty());
        }
        assert_eq!(s.status_fraction(), "3/4 DOWN");
        assert_eq!(kinds(&s.on_check(t, &ok(), 0))[0], TransitionKind::Up);
        assert_eq!(s.health(), 6);
    }

    /// `srv_getinter()`: inter when fully up, fastinter in transition,
    /// downinter when fully down.
    #[test]
    fn interval_choice() {
        let t = Instant::now();
        let mut s = Server::new(cfg(4, 3), t, t);
        assert_eq!(s.interval(), Duration::from_millis(100)); // health = rise < full
        s.on_check(t, &ok(), 0);
        assert_eq!(s.interval(), Duration::from_millis(200));
        s.on_check(t, &refused(), 0);
        assert_eq!(s.interval(), Duration::from_millis(100));
        s.on_check(t, &refused(), 0);
        s.on_check(t, &refused(), 0);
        assert_eq!(s.interval(), Duration::from_millis(300));
        s.on_check(t, &ok(), 0);
        assert_eq!(s.interval(), Duration::from_millis(100));
        assert_eq!(s.next_check(), t + Duration::from_millis(100));
    }

    /// `process_chk()`: spread-checks 50 puts the next check in [inter/2, 3inter/2].
    #[test]
    fn spread_checks_jitter_bounds() {
        let t = Instant::now();
        let mut c = cfg(1, 1);
        c.spread_checks = 50;
        let mut s = Server::new(c, t, t);
        s.on_check(t, &ok(), 0);
        assert_eq!(s.next_check() - t, Duration::from_millis(300));
        s.on_check(t, &ok(), u32::MAX);
        assert_eq!(s.next_check() - t, Duration::from_millis(100));
        // 2*100*0.49999... = 99.99, truncated as HAProxy's int cast does.
        s.on_check(t, &ok(), u32::MAX / 2);
        assert_eq!(s.next_check() - t, Duration::from_millis(201));
    }

    /// `server_recalc_eweight()`: weight 10, slowstart 10 s, BE_WEIGHT_SCALE
    /// 16: w = (16*e + 10)/10, eweight = ceil(10*w/16).
    #[test]
    fn slowstart_ramp() {
        let t = Instant::now();
        let mut c = cfg(1, 1);
        c.slowstart = Duration::from_secs(10);
        let mut s = Server::new(c, t, t);
        s.on_check(t, &refused(), 0);
        let up = s.on_check(t, &ok(), 0);
        assert_eq!(up[0].kind, TransitionKind::Up);
        // e=0: w=1 -> ceil(10/16)=1
        assert_eq!(s.effective_weight(t), 1);
        // e=5: w=(80+10)/10=9 -> ceil(90/16)=6
        assert_eq!(s.effective_weight(t + Duration::from_secs(5)), 6);
        // e=9: w=(144+10)/10=15 -> ceil(150/16)=10
        assert_eq!(s.effective_weight(t + Duration::from_secs(9)), 10);
        let tr = s.tick(t + Duration::from_secs(5));
        assert_eq!(kinds(&tr), vec![TransitionKind::Weight { from: 1, to: 6 }]);
        s.tick(t + Duration::from_secs(10));
        assert_eq!(s.state(), RunState::Running);
    }

    /// Initial servers do not ramp: only a DOWN->UP change starts slow start.
    #[test]
    fn no_slowstart_at_boot() {
        let t = Instant::now();
        let mut c = cfg(1, 1);
        c.slowstart = Duration::from_secs(10);
        let s = Server::new(c, t, t);
        assert_eq!(s.effective_weight(t), 10);
    }

    /// `check_health_analyze()` with on-error mark-down: error-limit errors
    /// take a fully up server down at once.
    #[test]
    fn observe_mark_down() {
        let t = Instant::now();
        let mut c = cfg(2, 3);
        c.observe = Some(Observe::Layer7);
        c.error_limit = 3;
        c.on_error = OnError::MarkDown;
        let mut s = Server::new(c, t, t + Duration::from_secs(5));
        s.on_check(t, &ok(), 0);
        assert!(s.observe(t, Observed::HttpStatus(503)).is_empty());
        // 501 is not an error: it resets the count.
        assert!(s.observe(t, Observed::HttpStatus(501)).is_empty());
        assert!(s.observe(t, Observed::HttpStatus(503)).is_empty());
        assert!(s.observe(t, Observed::HttpStatus(500)).is_empty());
        let tr = s.observe(t, Observed::HttpError);
        assert_eq!(tr[0].kind, TransitionKind::Down);
        assert!(tr[0]
            .reason
            .starts_with("Health analyze, info: \"Detected 3 consecutive errors"));
        assert_eq!(s.next_check(), t + Duration::from_millis(100));
    }

    /// A success between errors resets the count; layer4 ignores HTTP.
    #[test]
    fn observe_resets_and_layer4_ignores_http() {
        let t = Instant::now();
        let mut c = cfg(2, 3);
        c.observe = Some(Observe::Layer4);
        c.error_limit = 2;
        let mut s = Server::new(c, t, t);
        s.on_check(t, &ok(), 0);
        s.observe(t, Observed::L4Error);
        s.observe(t, Observed::L4Ok);
        s.observe(t, Observed::HttpStatus(503));
        assert!(s.observe(t, Observed::L4Error).is_empty());
        assert_eq!(s.health(), 4);
        // second consecutive: fail-check, one step down
        assert!(s.observe(t, Observed::L4Error).is_empty());
        assert_eq!(s.health(), 3);
    }

    /// sudden-death leaves the server one failure from down.
    #[test]
    fn observe_sudden_death() {
        let t = Instant::now();
        let mut c = cfg(2, 5);
        c.observe = Some(Observe::Layer4);
        c.error_limit = 1;
        c.on_error = OnError::SuddenDeath;
        let mut s = Server::new(c, t, t);
        s.on_check(t, &ok(), 0);
        assert_eq!(s.health(), 6);
        assert!(s.observe(t, Observed::L4Error).is_empty());
        assert_eq!(s.health(), 2);
        assert_eq!(s.on_check(t, &refused(), 0)[0].kind, TransitionKind::Down);
    }

    #[test]
    fn agent_reply_parsing() {
        let r = AgentReply::parse("75%, drain #overloaded\n").ok();
        assert_eq!(
            r,
            Some(AgentReply {
                health: None,
                admin: Some(AgentAdmin::Drain),
                weight_percent: Some(75),
                maxconn: None,
                description: Some("overloaded".into()),
            })
        );
        assert_eq!(
            AgentReply::parse("UP maxconn:30")
                .ok()
                .and_then(|r| r.maxconn),
            Some(30)
        );
        assert!(AgentReply::parse("hello").is_err());
        assert!(AgentReply::parse("").is_err());
        assert!(AgentReply::parse("x%").is_err());
    }

    /// Agent `NN%` scales the configured weight; `down` takes the server
    /// down (agent rise/fall 1); connect failures of the agent are ignored.
    #[test]
    fn agent_overrides() {
        let t = Instant::now();
        let mut c = cfg(2, 3);
        c.agent = true;
        let mut s = Server::new(c, t, t);
        let r = AgentReply::parse("50%").unwrap_or_default();
        assert_eq!(
            kinds(&s.on_agent(t, Ok(&r))),
            vec![TransitionKind::Weight { from: 10, to: 5 }]
        );
        let fail = CheckResult::new(Status::L4Con, Duration::ZERO);
        assert!(s.on_agent(t, Err(&fail)).is_empty());
        let down = AgentReply::parse("down #disk full").unwrap_or_default();
        let tr = s.on_agent(t, Ok(&down));
        assert_eq!(tr[0].kind, TransitionKind::Down);
        assert_eq!(tr[0].reason, "Layer7 wrong status, info: \"disk full\"");
        // health check passing alone does not bring it back: agent must say up
        assert!(s.on_check(t, &ok(), 0).is_empty());
        let up = AgentReply::parse("up").unwrap_or_default();
        assert_eq!(s.on_agent(t, Ok(&up))[0].kind, TransitionKind::Up);
        let drain = AgentReply::parse("drain").unwrap_or_default();
        s.on_agent(t, Ok(&drain));
        assert_eq!(s.effective_weight(t), 0);
        let ready = AgentReply::parse("ready").unwrap_or_default();
        assert_eq!(s.on_agent(t, Ok(&ready))[0].kind, TransitionKind::Ready);
        assert_eq!(s.effective_weight(t), 5);
    }

    /// disable-on-404: a conditional pass keeps the server up at weight 0;
    /// a full pass restores it.
    #[test]
    fn conditional_pass_stops_new_traffic() {
        let t = Instant::now();
        let mut s = Server::new(cfg(2, 3), t, t);
        let cond = CheckResult::new(Status::L7OkCond, Duration::ZERO).with_code(404);
        assert_eq!(
            kinds(&s.on_check(t, &cond, 0)),
            vec![
                TransitionKind::Stopping,
                TransitionKind::Weight { from: 10, to: 0 }
            ]
        );
        assert!(s.is_up() && s.stopping());
        assert!(s.on_check(t, &cond, 0).is_empty());
        assert_eq!(
            kinds(&s.on_check(t, &ok(), 0)),
            vec![
                TransitionKind::Ready,
                TransitionKind::Weight { from: 0, to: 10 }
            ]
        );
    }

    /// Absurd settings (from a configuration file) never panic.
    #[test]
    fn extreme_settings_do_not_panic() {
        let t = Instant::now();
        let c = Config {
            inter: Duration::MAX,
            fastinter: Some(Duration::MAX),
            downinter: Some(Duration::MAX),
            rise: u32::MAX,
            fall: u32::MAX,
            weight: u32::MAX,
            slowstart: Duration::MAX,
            observe: Some(Observe::Layer4),
            error_limit: 0,
            on_error: OnError::MarkDown,
            spread_checks: u8::MAX,
            ..Config::default()
        };
        let mut s = Server::new(c, t, t);
        for i in 0..4u32 {
            s.on_check(t, &refused(), u32::MAX - i);
            s.on_check(t, &ok(), i);
            s.observe(t, Observed::L4Error);
            s.tick(t);
            let _ = s.effective_weight(t);
        }
        let r = AgentReply::parse("4294967295%").unwrap_or_default();
        s.on_agent(t, Ok(&r));
        assert_eq!(
            Server::first_check_offset(Duration::MAX, u32::MAX, u32::MAX),
            Duration::MAX
        );
    }

    #[test]
    fn first_check_spread() {
        assert_eq!(
            Server::first_check_offset(Duration::from_millis(1000), 3, 4),
            Duration::from_millis(750)
        );
        assert_eq!(
            Server::first_check_offset(Duration::from_millis(1000), 0, 0),
            Duration::ZERO
        );
    }
}
