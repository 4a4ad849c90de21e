//! The built-in lessons: each parses, covers the description's topics, and each
//! check passes for the right answer and fails for a wrong one, with the same
//! runs the page makes (seeds fixed by the scenarios).

use gossip_lab::lessons::{Check, CheckKind, Goal, Lesson, BUILT_IN};
use gossip_lab::metrics::Summary;
use gossip_lab::sweep::{metric, Batch};

/// Ten lessons, each with steps and at least one check, that together name the
/// topics of the description.
#[test]
fn lessons_cover_the_description() {
    let all = Lesson::all();
    assert!(all.len() >= 8);
    let mut text = String::new();
    for l in all {
        assert!(!l.steps.is_empty(), "{}", l.id);
        assert!(l.steps.iter().any(|s| s.check.is_some()), "{} has no check", l.id);
        assert!(l.steps.iter().all(|s| s.scenario.is_some()), "{}: every step loads a scenario", l.id);
        text.push_str(&format!("{:?}", l).to_lowercase());
    }
    for topic in [
        "central",
        "push-pull",
        "fanout",
        "log",
        "residue",
        "traffic",
        "merkle",
        "heartbeat",
        "false positive",
        "generation",
        "tombstone",
        "partition",
        "seed",
        "aggregat",
        "malicious",
        "signature",
        "swim",
        "phi",
    ] {
        assert!(text.contains(topic), "no lesson covers '{topic}'");
    }
    // Every view a step asks the learner to watch is on the page for that step's scenario.
    for l in all {
        for (i, st) in l.steps.iter().enumerate() {
            let frag = st.scenario.as_deref().unwrap_or("");
            let (s, _) = gossip_lab::Scenario::from_fragment(
                &frag.split('&').filter(|kv| !kv.starts_with("vs.")).collect::<Vec<_>>().join("&"),
            );
            for v in &st.look {
                let shown = match *v {
                    "compare" => frag.contains("vs."),
                    "protocol" => gossip_lab::ui::model::series_name(&s).is_some(),
                    "detections" => s.membership_like(),
                    _ => true,
                };
                assert!(shown, "{} step {}: '{v}' is not on the page for {frag}", l.id, i + 1);
            }
        }
    }
    let bad = "---\ntitle: T\n---\n## a\n```scenario\nnodes=10\nlook: graph, chart\n```\n";
    assert!(Lesson::parse(bad, "x").unwrap_err().contains("look: 'chart' is not a view; allowed: graph, stats"));
    let ids: std::collections::BTreeSet<&str> = all.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids.len(), BUILT_IN.len(), "lesson ids are unique");
}

/// Does the value hold for a find check (as the page would judge a lone run of it)?
fn holds(c: &Check, value: f64) -> bool {
    let CheckKind::Find { scenario, param, metric: name, op, value: v, share, trials, .. } = &c.kind else {
        unreachable!()
    };
    let (mut s, errors) = gossip_lab::Scenario::from_fragment(
        &scenario.split('&').filter(|kv| !kv.starts_with("vs.")).collect::<Vec<_>>().join("&"),
    );
    assert!(errors.is_empty());
    s.set(param, &gossip_lab::lessons::plain(value)).unwrap();
    let mut b = Batch::new(vec![(s, *trials)]);
    b.run_all();
    let runs = &b.results()[0];
    let ok = runs.iter().filter(|m| metric(m, name).is_some_and(|x| op.holds(x, *v))).count();
    ok as f64 >= share * runs.len() as f64 - 1e-9
}

/// Every check in every lesson: the right answer passes and wrong answers fail.
/// Choices try every option; estimates try the measured mean and a value far off;
/// finds search for the boundary from the step's own setting, then check that
/// the boundary passes and the values on either side of it fail.
#[test]
fn every_check_passes_right_and_fails_wrong() {
    for l in Lesson::all().iter() {
        for (i, step) in l.steps.iter().enumerate() {
            let Some(c) = &step.check else { continue };
            let at = format!("{} step {}", l.id, i + 1);
            match &c.kind {
                CheckKind::Choice { options, answer } => {
                    for k in 0..options.len() {
                        let v = c.evaluate(&(k + 1).to_string()).unwrap();
                        assert_eq!(v.pass, k == *answer, "{at}: option {}", k + 1);
                    }
                }
                CheckKind::Estimate { metric: name, .. } => {
                    let plan = c.plan("0").unwrap();
                    let mut b = Batch::new(plan.into_iter().map(|(_, s, t)| (s, t)).collect());
                    b.run_all();
                    let xs: Vec<f64> = b.results()[0].iter().filter_map(|m| metric(m, name)).collect();
                    let s = Summary::of(&xs).unwrap_or_else(|| panic!("{at}: {name} never defined"));
                    assert!(c.evaluate(&s.mean.to_string()).unwrap().pass, "{at}: the mean {} fails", s.mean);
                    let far = s.mean.abs() * 3.0 + 10.0;
                    let v = c.evaluate(&far.to_string()).unwrap();
                    assert!(!v.pass, "{at}: {far} passes: {v:?}");
                }
                CheckKind::Find { scenario, param, goal, step: dx, .. } => {
                    let (s, _) = gossip_lab::Scenario::from_fragment(
                        &scenario.split('&').filter(|kv| !kv.starts_with("vs.")).collect::<Vec<_>>().join("&"),
                    );
                    let start: f64 = s.get(param).unwrap().parse().unwrap();
                    // Smallest: values at and above the boundary hold; largest: at and below.
                    let toward_holding = if *goal == Goal::Largest { -dx } else { *dx };
                    let mut x = start;
                    let mut tries = 0;
                    let answer = if holds(c, x) {
                        while holds(c, x - toward_holding) {
                            x -= toward_holding;
                            tries += 1;
                            assert!(tries < 40, "{at}: no boundary near {start}");
                        }
                        x
                    } else {
                        while !holds(c, x) {
                            x += toward_holding;
                            tries += 1;
                            assert!(tries < 40, "{at}: nothing holds near {start}");
                        }
                        x
                    };
                    let text = gossip_lab::lessons::plain;
                    let right = c.evaluate(&text(answer)).unwrap();
                    assert!(right.pass, "{at}: the boundary {answer} fails: {right:?}");
                    for wrong in [answer - toward_holding, answer + toward_holding] {
                        if let Ok(v) = c.evaluate(&text(wrong)) {
                            assert!(!v.pass, "{at}: {wrong} passes beside the boundary {answer}: {v:?}");
                        }
                    }
                    eprintln!("{at}: {param} = {answer}");
                }
            }
        }
    }
}

/// Answers the page cannot judge are refused with a message, not a panic.
#[test]
fn bad_answers_are_named() {
    let l = Lesson::built_in("fanout").unwrap();
    let c = l.steps[1].check.as_ref().unwrap();
    assert!(c.plan("abc").unwrap_err().contains("fanout"));
    assert!(c.plan("0").unwrap_err().contains("fanout: '0'"));
    let e = Lesson::built_in("why-gossip").unwrap().steps[0].check.clone().unwrap();
    assert!(e.plan("lots").unwrap_err().contains("not a number"));
}
