//! The papers' bench in the page ("Check the claims"): one experiment at a
//! time runs its trials a slice per frame, on the seeds `gossip-lab reproduce`
//! uses, and each row shows the paper's number beside the measured mean, its
//! 95% interval and the verdict. Plain Rust: the view is in `app`.

use crate::metrics::Summary;
use crate::papers::{experiments, outcomes_of, Experiment, Verdict};
use crate::sweep::Batch;

/// A row, measured in the page.
#[derive(Clone, Debug, PartialEq)]
pub struct RowResult {
    pub quantity: &'static str,
    pub paper: f64,
    pub summary: Option<Summary>,
    pub verdict: Verdict,
    /// The difference is a known one (the row says why).
    pub known: Option<&'static str>,
}

pub struct BenchPanel {
    pub experiments: Vec<Experiment>,
    /// The experiment being run, and its trials.
    running: Option<(usize, Batch)>,
    pub results: Vec<Option<Vec<RowResult>>>,
}

impl Default for BenchPanel {
    fn default() -> Self {
        let experiments = experiments();
        let results = vec![None; experiments.len()];
        BenchPanel { experiments, running: None, results }
    }
}

impl BenchPanel {
    /// Start experiment `i` (another one running is dropped).
    pub fn start(&mut self, i: usize) -> Result<(), String> {
        let e = self.experiments.get(i).ok_or("no such experiment")?;
        let s = e.scenario().map_err(|e| e.to_string())?;
        self.running = Some((i, Batch::new(vec![(s, e.trials)]).with_series()));
        self.results[i] = None;
        Ok(())
    }

    /// The experiment running, with trials done and in all.
    pub fn running(&self) -> Option<(usize, u64, u64)> {
        self.running.as_ref().map(|(i, b)| {
            let (done, total) = b.progress();
            (*i, done, total)
        })
    }

    /// Run trials for about `budget_ms`; true when something changed.
    pub fn work(&mut self, budget_ms: f64, clock: &dyn Fn() -> f64) -> bool {
        let Some((i, batch)) = &mut self.running else { return false };
        batch.work(budget_ms, clock);
        if batch.finished() {
            let (i, batch) = (*i, &*batch);
            let e = &self.experiments[i];
            let outcomes = outcomes_of(batch);
            let rows = e
                .judge(&outcomes)
                .into_iter()
                .map(|m| RowResult {
                    quantity: m.row.quantity,
                    paper: m.row.paper,
                    summary: m.summary,
                    verdict: m.verdict,
                    known: m.known(),
                })
                .collect();
            self.results[i] = Some(rows);
            self.running = None;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page's run of an experiment, a slice at a time, gives the command
    /// line's numbers: same seeds, same runs, same verdicts.
    #[test]
    fn the_page_measures_what_the_command_line_does() {
        let mut p = BenchPanel::default();
        let i = p.experiments.iter().position(|e| e.id == "demers-ae-pull").unwrap();
        p.experiments[i].trials = 3;
        p.start(i).unwrap();
        let mut slices = 0;
        while p.running().is_some() {
            p.work(0.0, &|| 0.0);
            slices += 1;
        }
        assert!(slices > 3, "one step per slice: {slices}");
        let e = &p.experiments[i];
        let s = e.scenario().unwrap();
        let outcomes: Vec<_> = (0..3).map(|t| crate::papers::outcome(&s, t).unwrap()).collect();
        let native = e.judge(&outcomes);
        let page = p.results[i].as_ref().unwrap();
        assert_eq!(page.len(), native.len());
        for (a, b) in page.iter().zip(&native) {
            assert_eq!(a.summary, b.summary);
            assert_eq!(a.verdict, b.verdict);
        }
        assert!(page[0].summary.is_some());
    }
}
