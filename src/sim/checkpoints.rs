//! Checkpoints of a run, so that going back to an earlier moment is a short
//! replay from the nearest one instead of a replay from round 0.
//!
//! Runs are deterministic: the state at any moment is the scenario's replay to
//! it, and a checkpoint is a copy of the run ([`Runner::fork`]) taken on the
//! way, which goes on exactly as the run did. One is taken when `every` rounds
//! have passed since the last; when more are kept than the memory budget
//! allows, every other one goes and `every` doubles, so a run of any length keeps at most
//! [`Checkpoints::MAX`] of them, evenly spread, within the budget, and going
//! back replays at most about `every` rounds.

use crate::sim::faults::FaultSchedule;
use crate::sim::Runner;

struct Kept {
    round: u32,
    now_us: u64,
    /// What the copy holds (bytes), where the allocator counts them.
    bytes: usize,
    run: Box<dyn Runner>,
}

pub struct Checkpoints {
    kept: Vec<Kept>,
    every: u32,
    budget: usize,
}

impl Checkpoints {
    /// The most kept at once, however small a run.
    pub const MAX: usize = 64;
    /// The fewest the budget may leave (a run larger than half the budget keeps two anyway).
    pub const MIN: usize = 2;
    /// Rounds between the first checkpoints.
    pub const FIRST_EVERY: u32 = 4;

    /// Checkpoints within `budget` bytes (when the allocator counts them).
    pub fn new(budget: usize) -> Self {
        Checkpoints { kept: Vec::new(), every: Self::FIRST_EVERY, budget }
    }

    /// Forget them all (the scenario changed: they are of another run).
    pub fn clear(&mut self) {
        self.kept.clear();
        self.every = Self::FIRST_EVERY;
    }

    /// Rounds between checkpoints now.
    pub fn every(&self) -> u32 {
        self.every
    }

    pub fn len(&self) -> usize {
        self.kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// The bytes the kept copies hold (0 where the allocator does not count).
    pub fn bytes(&self) -> usize {
        self.kept.iter().map(|k| k.bytes).sum()
    }

    /// The rounds of the kept checkpoints, earliest first.
    pub fn rounds(&self) -> Vec<u32> {
        self.kept.iter().map(|k| k.round).collect()
    }

    /// How many the budget allows, judged by the copies kept so far.
    fn allowed(&self) -> usize {
        let bytes = self.bytes();
        if bytes == 0 {
            return Self::MAX;
        }
        let each = bytes / self.kept.len();
        (self.budget / each.max(1)).clamp(Self::MIN, Self::MAX)
    }

    /// The run as it is now: copied if it has reached the next multiple of
    /// `every` rounds past the last checkpoint.
    pub fn offer(&mut self, run: &dyn Runner) {
        let due = |c: &Self| run.round() >= c.kept.last().map_or(c.every, |k| k.round + c.every);
        if !due(self) {
            return;
        }
        // Make room first, so the copies never pass the budget, even for a moment.
        while !self.kept.is_empty() && self.kept.len() + 1 > self.allowed() {
            self.thin();
        }
        if !due(self) {
            return;
        }
        let round = run.round();
        let before = crate::sim::mem::allocated();
        let copy = run.fork();
        let bytes = match (before, crate::sim::mem::allocated()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => 0,
        };
        self.kept.push(Kept { round, now_us: run.now_us(), bytes, run: copy });
        while self.kept.len() > self.allowed() {
            self.thin();
        }
    }

    /// Keep every other checkpoint, the latest among them, and double `every`.
    fn thin(&mut self) {
        self.every = self.every.saturating_mul(2);
        let keep = (self.kept.len() - 1) % 2;
        let mut i = 0;
        self.kept.retain(|_| {
            i += 1;
            (i - 1) % 2 == keep
        });
    }

    /// A copy of the latest checkpoint at or before `t_us`, to replay from.
    pub fn restore(&self, t_us: u64) -> Option<Box<dyn Runner>> {
        self.latest(t_us).map(|k| k.run.fork())
    }

    /// A copy of the latest checkpoint at or before `t_us` if it is later than
    /// `after_us` (a run there gets to `t_us` sooner from it).
    pub fn restore_after(&self, after_us: u64, t_us: u64) -> Option<Box<dyn Runner>> {
        self.latest(t_us).filter(|k| k.now_us > after_us).map(|k| k.run.fork())
    }

    fn latest(&self, t_us: u64) -> Option<&Kept> {
        self.kept.iter().rev().find(|k| k.now_us <= t_us)
    }

    /// The fault schedule changed (an action recorded, a live change): each
    /// checkpoint follows the new one from where it is; those that already went
    /// past a change are of another run now, and go.
    pub fn amend(&mut self, faults: &FaultSchedule) {
        self.kept.retain_mut(|k| k.run.reschedule(faults));
    }
}
