//! The page's own URL keys, beside the scenario's: `speed=`, `layout=`,
//! `controls=` and `embed=1`. Plain Rust, parsed and tested natively; every
//! bad value is named with what is allowed, and the rest of the link still opens.

use crate::scenario::ParamSpec;
use crate::ui::model::Speed;

/// How the nodes are placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    Auto,
    Circle,
    Grid,
    Random,
    Force,
}

impl Layout {
    pub const ALL: [(Layout, &'static str, &'static str); 5] = [
        (Layout::Auto, "auto", "Automatic"),
        (Layout::Circle, "circle", "Circle"),
        (Layout::Grid, "grid", "Grid"),
        (Layout::Random, "random", "Random"),
        (Layout::Force, "force", "Force (partial views)"),
    ];
    pub fn word(self) -> &'static str {
        Layout::ALL.iter().find(|l| l.0 == self).map_or("auto", |l| l.1)
    }
    pub fn from_word(w: &str) -> Option<Layout> {
        Layout::ALL.iter().find(|l| l.1 == w).map(|l| l.0)
    }
}

/// What a link asks of the page itself.
#[derive(Clone, Debug, PartialEq)]
pub struct PageOptions {
    /// `embed=1` (or a mounted element): the compact page without the side column.
    pub embed: bool,
    /// `controls=fanout,loss_rate`: the settings an embed shows beside its graph.
    pub controls: Vec<&'static ParamSpec>,
    /// `speed=2×` (or a number, or `max`).
    pub speed: Option<Speed>,
    /// `layout=grid`.
    pub layout: Layout,
}

impl PageOptions {
    /// The page's keys of a fragment, and an error per bad value.
    pub fn from_fragment(fragment: &str) -> (PageOptions, Vec<String>) {
        let mut errors = Vec::new();
        let pairs: Vec<(&str, &str)> =
            fragment.trim_start_matches(['#', '?']).split('&').filter_map(|kv| kv.split_once('=')).collect();
        let get = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        let controls = get("controls")
            .map(|list| {
                crate::scenario::percent_decode(list)
                    .split(',')
                    .filter(|k| !k.is_empty())
                    .filter_map(|k| {
                        let spec = crate::scenario::spec(k);
                        if spec.is_none() {
                            errors.push(format!(
                                "controls: '{k}' is not a setting; allowed: any key of gossip-lab params"
                            ));
                        }
                        spec
                    })
                    .collect()
            })
            .unwrap_or_default();
        let speed = get("speed").and_then(|word| {
            let word = crate::scenario::percent_decode(word);
            let speed = Speed::from_label(&word).or_else(|| {
                word.trim_end_matches(['×', 'x'])
                    .parse::<f64>()
                    .ok()
                    .filter(|x| (0.1..=100.0).contains(x))
                    .map(Speed::Times)
            });
            if speed.is_none() {
                errors.push(format!("speed: '{word}' is not allowed; allowed: 0.1 to 100, or max"));
            }
            speed
        });
        let layout = match get("layout") {
            None => Layout::Auto,
            Some(word) => Layout::from_word(word).unwrap_or_else(|| {
                errors.push(format!(
                    "layout: '{word}' is not allowed; allowed: {}",
                    Layout::ALL.iter().map(|l| l.1).collect::<Vec<_>>().join(", ")
                ));
                Layout::Auto
            }),
        };
        let embed = get("embed") == Some("1");
        (PageOptions { embed, controls, speed, layout }, errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Good keys are read, and each bad one is named with what is allowed.
    #[test]
    fn page_keys_parse_and_bad_ones_are_named() {
        let (o, errors) =
            PageOptions::from_fragment("#v=1&nodes=50&speed=5%C3%97&layout=grid&controls=fanout,loss_rate&embed=1");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(o.speed, Some(Speed::Times(5.0)));
        assert_eq!(o.layout, Layout::Grid);
        assert_eq!(o.controls.iter().map(|p| p.key).collect::<Vec<_>>(), ["fanout", "loss_rate"]);
        assert!(o.embed);
        let (o, _) = PageOptions::from_fragment("speed=max&speed=1");
        assert_eq!(o.speed, Some(Speed::Max), "the first of a repeated key");
        assert_eq!(PageOptions::from_fragment("speed=2.5").0.speed, Some(Speed::Times(2.5)));
        let (o, errors) = PageOptions::from_fragment("speed=warp&layout=spiral&controls=fanout,bogus");
        assert_eq!(o.speed, None);
        assert_eq!(o.layout, Layout::Auto);
        assert_eq!(o.controls.len(), 1);
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("bogus") && errors[1].contains("speed") && errors[1].contains("0.1 to 100"));
        assert!(errors[2].contains("spiral") && errors[2].contains("grid"));
        assert!(PageOptions::from_fragment("speed=1000").1[0].contains("speed"));
        assert_eq!(
            PageOptions::from_fragment("").0,
            PageOptions { embed: false, controls: vec![], speed: None, layout: Layout::Auto }
        );
    }
}
