//! Runs many checks on their intervals with bounded concurrency and jitter,
//! delivering outcomes on a channel.
//!
//! One driver task keeps a timer heap; a due check is spawned as a task
//! that first takes a permit from a semaphore, so at most `concurrency`
//! checks run at once and a check never overlaps itself. After each
//! outcome the check is put back at `interval` ± `jitter`, unless the
//! receiver asked for another time with [`Handle::reschedule`] (what a
//! HAProxy state machine's `fastinter`/`downinter` needs).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};
use tokio::time::Instant;

use crate::checkers::{Check, Outcome};

/// Identifies a check given to the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CheckId(pub u64);

/// A finished check.
#[derive(Debug, Clone)]
pub struct Completed {
    /// Which check.
    pub id: CheckId,
    /// Its outcome.
    pub outcome: Outcome,
    /// When it finished.
    pub finished: Instant,
}

/// Scheduler settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Most checks running at once.
    pub concurrency: usize,
    /// Jitter as a percentage of the interval (0..=50), HAProxy's
    /// `spread-checks`.
    pub jitter_percent: u8,
    /// Capacity of the outcome channel; a slow receiver slows the checks.
    pub channel: usize,
    /// Seed of the jitter generator.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            concurrency: 256,
            jitter_percent: 0,
            channel: 1024,
            seed: 0x9e37_79b9_7f4a_7c15,
        }
    }
}

enum Command {
    Add {
        id: CheckId,
        check: Arc<Check>,
        interval: Duration,
        first: Instant,
    },
    Remove(CheckId),
    Reschedule(CheckId, Instant),
    Count(tokio::sync::oneshot::Sender<usize>),
}

/// Controls a running scheduler. Dropping every handle stops it once the
/// running checks are done.
#[derive(Debug, Clone)]
pub struct Handle {
    tx: mpsc::UnboundedSender<Command>,
}

/// The scheduler stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("scheduler stopped")]
pub struct Stopped;

impl Handle {
    /// Adds (or replaces) check `id`, first run at `first`, then every
    /// `interval`.
    pub fn add(
        &self,
        id: CheckId,
        check: Check,
        interval: Duration,
        first: Instant,
    ) -> Result<(), Stopped> {
        self.send(Command::Add {
            id,
            check: Arc::new(check),
            interval,
            first,
        })
    }

    /// Removes check `id`; a run in progress still reports.
    pub fn remove(&self, id: CheckId) -> Result<(), Stopped> {
        self.send(Command::Remove(id))
    }

    /// Moves the next run of `id` to `at` (if it is not running; a running
    /// check takes `at` as its next time when it ends).
    pub fn reschedule(&self, id: CheckId, at: Instant) -> Result<(), Stopped> {
        self.send(Command::Reschedule(id, at))
    }

    /// The number of configured checks, once every earlier command has
    /// been applied.
    pub async fn configured(&self) -> Result<usize, Stopped> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Command::Count(tx))?;
        rx.await.map_err(|_| Stopped)
    }

    fn send(&self, c: Command) -> Result<(), Stopped> {
        self.tx.send(c).map_err(|_| Stopped)
    }
}

struct Entry {
    check: Arc<Check>,
    interval: Duration,
    generation: u64,
    running: bool,
    next_override: Option<Instant>,
}

/// Starts the scheduler on the current tokio runtime; returns its handle
/// and the outcome stream.
pub fn spawn(options: Options) -> (Handle, mpsc::Receiver<Completed>) {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (out_tx, out_rx) = mpsc::channel(options.channel.max(1));
    tokio::spawn(drive(options, cmd_rx, out_tx));
    (Handle { tx: cmd_tx }, out_rx)
}

async fn drive(
    options: Options,
    mut cmds: mpsc::UnboundedReceiver<Command>,
    out: mpsc::Sender<Completed>,
) {
    let permits = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(CheckId, u64, Outcome)>();
    let mut entries: HashMap<CheckId, Entry> = HashMap::new();
    let mut heap: BinaryHeap<Reverse<(Instant, CheckId, u64)>> = BinaryHeap::new();
    let mut rng = options.seed | 1;
    let mut commands_open = true;
    let mut running = 0usize;
    loop {
        if !commands_open && running == 0 {
            return;
        }
        let next = heap.peek().map(|Reverse((t, _, _))| *t);
        tokio::select! {
            cmd = cmds.recv(), if commands_open => match cmd {
                None => {
                    commands_open = false;
                    heap.clear();
                }
                Some(Command::Add { id, check, interval, first }) => {
                    let generation = entries.get(&id).map_or(0, |e| e.generation + 1);
                    entries.insert(id, Entry { check, interval, generation, running: false, next_override: None });
                    heap.push(Reverse((first, id, generation)));
                }
                Some(Command::Remove(id)) => {
                    entries.remove(&id);
                }
                Some(Command::Count(reply)) => {
                    let _ = reply.send(entries.len());
                }
                Some(Command::Reschedule(id, at)) => {
                    if let Some(e) = entries.get_mut(&id) {
                        if e.running {
                            e.next_override = Some(at);
                        } else {
                            e.generation += 1;
                            heap.push(Reverse((at, id, e.generation)));
                        }
                    }
                }
            },
            Some((id, generation, outcome)) = done_rx.recv() => {
                running -= 1;
                let finished = Instant::now();
                if out.send(Completed { id, outcome, finished }).await.is_err() {
                    return;
                }
                if let Some(e) = entries.get_mut(&id) {
                    if e.generation == generation && commands_open {
                        e.running = false;
                        let at = e.next_override.take().unwrap_or_else(|| {
                            let d = jittered(e.interval, options.jitter_percent, &mut rng);
                            Instant::from_std(crate::later::later(finished.into_std(), d))
                        });
                        heap.push(Reverse((at, id, e.generation)));
                    }
                }
            },
            () = sleep_until(next) => {
                let now = Instant::now();
                while let Some(Reverse((t, id, generation))) = heap.peek().copied() {
                    if t > now {
                        break;
                    }
                    heap.pop();
                    let Some(e) = entries.get_mut(&id) else { continue };
                    if e.generation != generation || e.running {
                        continue;
                    }
                    e.running = true;
                    running += 1;
                    let check = e.check.clone();
                    let permits = permits.clone();
                    let done = done_tx.clone();
                    tokio::spawn(async move {
                        let outcome = match permits.acquire().await {
                            Ok(_permit) => check.run().await,
                            Err(_) => return,
                        };
                        let _ = done.send((id, generation, outcome));
                    });
                }
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// `interval` ± `percent`%, from a xorshift generator.
fn jittered(interval: Duration, percent: u8, state: &mut u64) -> Duration {
    let percent = u64::from(percent.min(50));
    if percent == 0 {
        return interval;
    }
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    let ms = u64::try_from(interval.as_millis())
        .unwrap_or(u64::MAX)
        .min(u64::from(u32::MAX));
    let spread = ms * percent / 100;
    let offset = *state % (2 * spread + 1);
    Duration::from_millis(ms - spread + offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_in_band() {
        let mut s = 12345;
        let base = Duration::from_millis(1000);
        let mut seen_low = false;
        let mut seen_high = false;
        for _ in 0..1000 {
            let d = jittered(base, 10, &mut s);
            assert!(
                d >= Duration::from_millis(900) && d <= Duration::from_millis(1100),
                "{d:?}"
            );
            seen_low |= d < Duration::from_millis(950);
            seen_high |= d > Duration::from_millis(1050);
        }
        assert!(seen_low && seen_high);
        assert_eq!(jittered(base, 0, &mut s), base);
    }
}
