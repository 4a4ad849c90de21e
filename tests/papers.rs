//! The papers' bench: every experiment's rows agree with their paper, on the
//! bench's fixed seeds (`gossip-lab reproduce` prints the same table), except
//! the differences it names, which must still differ.
#![cfg(not(target_arch = "wasm32"))]

use gossip_lab::papers::{experiments, outcome, select, Verdict};
use rayon::prelude::*;

#[test]
fn every_row_agrees_with_its_paper() {
    let all = experiments();
    assert!(all.len() >= 20);
    let results: Vec<String> = all
        .par_iter()
        .flat_map(|e| {
            let s = e.scenario().unwrap_or_else(|err| panic!("{}: {err}", e.id));
            let outcomes: Vec<_> = (0..e.trials).map(|i| outcome(&s, i).unwrap()).collect();
            // A known difference must still differ: if it agrees, its note is out of date.
            let expected = |known: bool| if known { Verdict::Differs } else { Verdict::Agrees };
            e.judge(&outcomes)
                .into_iter()
                .filter(|m| m.verdict != expected(m.row.known_difference.is_some()))
                .map(|m| {
                    format!(
                        "{} {}: paper {} measured {:?} {:?}",
                        e.id, m.row.quantity, m.row.paper, m.summary, m.verdict
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(results.is_empty(), "rows that differ:\n{}", results.join("\n"));
}

/// Ids are unique, select by id or prefix, and an unknown id lists the ids.
#[test]
fn experiments_are_named() {
    let all = experiments();
    let mut ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all.len());
    assert_eq!(select("demers-t1").unwrap().len(), 5);
    assert_eq!(select("demers-t1-k3").unwrap().len(), 1);
    let e = select("demers-t9").err().unwrap();
    assert!(e.contains("demers-t1-k1") && e.contains("jelasity-rate"), "{e}");
}
