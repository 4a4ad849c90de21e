//! The page's lesson and sweep state: plain Rust, no browser types, tested natively.
//!
//! - [`Classroom`]: the open lesson, its step, the learner's answer, a check
//!   being run (a [`Batch`] worked a slice per frame) and its verdict, and the
//!   steps passed, which the page saves in local storage.
//! - Sweeps are [`crate::sweep::Sweep`]s; the page works them the same way.

use std::collections::{BTreeMap, BTreeSet};

use crate::lessons::{Lesson, Progress, Verdict};
use crate::sweep::Batch;

/// Where the open lesson came from; a link can bring back the first two.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    BuiltIn,
    Url(String),
    Pasted,
}

/// A check being run on the current step (moving to another step drops it): the answer, and the runs.
pub struct Attempt {
    pub answer: String,
    pub batch: Batch,
}

pub struct Classroom {
    pub lesson: Lesson,
    pub source: Source,
    pub step: usize,
    pub passed: BTreeSet<usize>,
    /// What the learner has typed or chosen for the current step's check.
    pub answer: String,
    pub attempt: Option<Attempt>,
    /// The last verdict on the current step.
    pub verdict: Option<Verdict>,
    /// An answer the check could not judge (not a number, out of range).
    pub error: Option<String>,
    pub show_hint: bool,
}

impl Classroom {
    pub fn open(lesson: Lesson, source: Source, saved: Option<&Progress>) -> Self {
        let mut c = Classroom {
            lesson,
            source,
            step: 0,
            passed: BTreeSet::new(),
            answer: String::new(),
            attempt: None,
            verdict: None,
            error: None,
            show_hint: false,
        };
        if let Some(p) = saved {
            c.passed = p.passed.iter().copied().filter(|s| *s < c.lesson.steps.len()).collect();
            c.go(p.step);
        }
        c
    }

    /// The current step's scenario fragment, which the page loads into the playground.
    pub fn scenario(&self) -> Option<&str> {
        self.lesson.steps[self.step].scenario.as_deref()
    }

    /// Go to a step (clamped to the lesson); a running check is dropped.
    pub fn go(&mut self, step: usize) {
        self.step = step.min(self.lesson.steps.len() - 1);
        self.answer.clear();
        self.attempt = None;
        self.verdict = None;
        self.error = None;
        self.show_hint = false;
    }

    /// Check the current answer: a choice at once, the others by running the simulator.
    pub fn check(&mut self) {
        let Some(check) = &self.lesson.steps[self.step].check else { return };
        self.verdict = None;
        self.error = None;
        match check.plan(&self.answer) {
            Err(e) => self.error = Some(e),
            Ok(plan) if plan.is_empty() => {
                let v = check.judge(&self.answer, &[]);
                self.record(v);
            }
            Ok(plan) => {
                let batch = Batch::new(plan.into_iter().map(|(_, s, t)| (s, t)).collect());
                self.attempt = Some(Attempt { answer: self.answer.clone(), batch });
            }
        }
    }

    fn record(&mut self, v: Verdict) {
        if v.pass {
            self.passed.insert(self.step);
        }
        self.verdict = Some(v);
    }

    /// Run the check's trials for about `budget_ms`; true when something changed.
    pub fn work(&mut self, budget_ms: f64, clock: &dyn Fn() -> f64) -> bool {
        let Some(a) = &mut self.attempt else { return false };
        a.batch.work(budget_ms, clock);
        if a.batch.finished() {
            let a = self.attempt.take().expect("checked");
            if let Some(check) = &self.lesson.steps[self.step].check {
                let v = check.judge(&a.answer, a.batch.results());
                self.record(v);
            }
        }
        true
    }

    /// Runs done and in all, while a check runs.
    pub fn running(&self) -> Option<(u64, u64)> {
        self.attempt.as_ref().map(|a| a.batch.progress())
    }

    pub fn progress(&self) -> Progress {
        Progress { step: self.step, passed: self.passed.iter().copied().collect() }
    }

    /// Checks in the lesson, and how many the learner has passed.
    pub fn score(&self) -> (usize, usize) {
        score(&self.lesson, &self.progress())
    }

    /// The link keys that reopen this lesson at this step (a pasted lesson has none).
    pub fn link_keys(&self) -> Option<String> {
        let step = self.step + 1;
        match &self.source {
            Source::BuiltIn => Some(format!("lesson={}&step={step}", self.lesson.id)),
            Source::Url(u) => Some(format!("lesson_url={}&step={step}", crate::scenario::percent_encode(u))),
            Source::Pasted => None,
        }
    }
}

/// (checks passed, checks in all) for a lesson and a saved progress.
pub fn score(lesson: &Lesson, p: &Progress) -> (usize, usize) {
    let with_check: Vec<usize> =
        lesson.steps.iter().enumerate().filter(|(_, s)| s.check.is_some()).map(|(i, _)| i).collect();
    (with_check.iter().filter(|i| p.passed.contains(i)).count(), with_check.len())
}

/// Saved progress of every lesson, by id, as the page keeps it in local storage.
pub type Saved = BTreeMap<String, Progress>;

/// Read saved progress; anything unreadable counts as none (never an error for the learner).
pub fn read_saved(json: Option<&str>) -> Saved {
    json.and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default()
}

pub fn write_saved(saved: &Saved) -> String {
    serde_json::to_string(saved).expect("progress serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A check worked a slice at a time reaches the same verdict as one run to the
    /// end, records the pass, and the progress round-trips through its saved form.
    #[test]
    fn a_check_runs_in_slices_and_is_saved() {
        let lesson = Lesson::built_in("push-pull").unwrap();
        let mut c = Classroom::open(lesson.clone(), Source::BuiltIn, None);
        c.go(0);
        c.answer = "18".into();
        c.check();
        let mut frames = 0;
        while c.running().is_some() {
            c.work(0.0, &|| 0.0);
            frames += 1;
        }
        assert!(frames > 20, "the check ran in {frames} slices");
        let direct = lesson.steps[0].check.as_ref().unwrap().evaluate("18").unwrap();
        assert_eq!(c.verdict.as_ref(), Some(&direct));
        assert!(direct.pass);
        assert_eq!(c.score(), (1, 4));
        let mut saved = Saved::new();
        saved.insert(lesson.id.clone(), c.progress());
        let back = read_saved(Some(&write_saved(&saved)));
        let c2 = Classroom::open(lesson, Source::BuiltIn, back.get("push-pull"));
        assert_eq!(c2.passed, c.passed);
        assert_eq!(read_saved(Some("not json")), Saved::new());
    }

    /// Moving to another step drops a running check; a wrong choice is recorded as not passed.
    #[test]
    fn steps_and_choices() {
        let lesson = Lesson::built_in("why-gossip").unwrap();
        let mut c = Classroom::open(lesson, Source::BuiltIn, None);
        c.answer = "18".into();
        c.check();
        assert!(c.running().is_some());
        c.go(1);
        assert!(c.running().is_none() && c.verdict.is_none());
        let choice = &c.lesson.steps[1].check.as_ref().unwrap().kind;
        assert!(matches!(choice, crate::lessons::CheckKind::Choice { options, .. } if options.len() == 3));
        c.answer = "1".into();
        c.check();
        assert!(!c.verdict.as_ref().unwrap().pass);
        c.answer = "2".into();
        c.check();
        assert!(c.verdict.as_ref().unwrap().pass && c.passed.contains(&1));
        c.go(99);
        assert_eq!(c.step, 2);
        assert_eq!(c.link_keys().unwrap(), "lesson=why-gossip&step=3");
        c.answer = "many".into();
        c.check();
        assert!(c.error.as_ref().unwrap().contains("choose one"));
    }
}
