//! The one `Scenario` type: every setting of a run.
//!
//! A table of parameter specs (`PARAMS`: key, label, unit, group, allowed range
//! or choices, documentation) is generated from the same declaration as the
//! struct, so a range lives in exactly one place. JSON files, the URL fragment,
//! the command line `key=value` pairs, the JS embed API and the page controls
//! all read and write through `Scenario::set` / `Scenario::get`, and every error
//! names the field, the bad value and what is allowed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::sim::faults::FaultSchedule;
use crate::sim::network::RttMatrix;
use crate::sim::topology::EdgeList;

/// Largest seed: 2^53 - 1, so a seed survives a round trip through JavaScript numbers.
pub const SEED_MAX: u64 = (1 << 53) - 1;

/// The most nodes the page simulates; larger clusters run on the command line.
pub const PAGE_NODES_MAX: u32 = 100_000;
/// The most links of a user's graph the page takes (a link carries them all).
pub const PAGE_EDGES_MAX: usize = 200_000;

/// The most messages one round may send in the page: a round runs in one frame,
/// so this bounds a frame's work (about 0.1 s in wasm) and the page never freezes.
pub const PAGE_MSGS_PER_ROUND_MAX: u64 = 1_000_000;

/// Rumor mongering marks the updates a message carries in a 32-bit mask.
pub const RUMOR_UPDATES_MAX: u64 = 32;

/// Most (node, update) pairs of protocol state natively, and in the page.
pub const STATE_CELLS_MAX: u64 = 64_000_000;
pub const PAGE_STATE_CELLS_MAX: u64 = 2_000_000;

/// Ordered broadcast keeps a delivery state per (node, message).
pub const BROADCAST_MESSAGES_MAX: u64 = 4096;

/// Heartbeat membership (and election on it) keeps every node's failure
/// detector at every node: nodes squared, 32 bytes a pair (the keys are shared
/// where nodes agree). 10,000 nodes hold 3.2 GB; 2,000 hold 128 MB.
pub const MEMBERSHIP_NODES_MAX: u32 = 10_000;
pub const PAGE_MEMBERSHIP_NODES_MAX: u32 = 2000;
/// SWIM's views are shared where nodes agree (`protocol::shared`): about a
/// kilobyte per node; the time per round grows as nodes squared (each probe
/// period scans the members).
pub const SWIM_NODES_MAX: u32 = 20_000;
pub const PAGE_SWIM_NODES_MAX: u32 = 2000;

/// Version of the URL fragment format, written as `v=1`.
pub const URL_VERSION: u32 = 1;

/// Keys of a page link that say how the page shows a run, not what runs: the
/// speed, the embed and its controls, the graph's layout, an open lesson.
pub const VIEW_KEYS: [&str; 7] = ["speed", "embed", "layout", "controls", "lesson", "step", "lesson_url"];

/// Prefix of variant A's settings in an A/B link: `#spread=push-pull&vs.spread=push`.
pub const VS_PREFIX: &str = "vs.";

/// One `key=value` pair of a link, read.
pub enum LinkPair {
    /// `v=`: the link's version, checked.
    Version(Result<(), ScenarioError>),
    /// A key of [`VIEW_KEYS`] or of variant A (`vs.`): not a setting of this scenario.
    View(String),
    Setting(String, String),
}

impl LinkPair {
    /// Read one pair of a link, percent-decoded.
    pub fn read(pair: &str) -> LinkPair {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (key, value) = (percent_decode(key.trim()), percent_decode(value));
        if key == "v" {
            let ok = value.parse::<u32>().is_ok_and(|v| (1..=URL_VERSION).contains(&v));
            return LinkPair::Version(if ok {
                Ok(())
            } else {
                Err(ScenarioError::Invalid {
                    field: "v".into(),
                    value,
                    allowed: format!("link versions 1 to {URL_VERSION}"),
                })
            });
        }
        if VIEW_KEYS.contains(&key.as_str()) || key.starts_with(VS_PREFIX) {
            return LinkPair::View(format!("{key}={value}"));
        }
        LinkPair::Setting(key, value)
    }
}

/// What went wrong with a setting. The message always names the field.
#[derive(Clone, Debug, PartialEq)]
pub enum ScenarioError {
    UnknownKey { key: String, suggestion: Option<&'static str> },
    Invalid { field: String, value: String, allowed: String },
    Conflict { field: String, message: String },
    Json(String),
}

/// A key as an error names it: itself, or what it is when it cannot be read.
fn shown_key(key: &str) -> String {
    let short: String = key.chars().take(40).collect();
    if key.trim().is_empty() {
        "a pair with no key".to_string()
    } else if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
        short
    } else {
        format!("'{short}'")
    }
}

impl ScenarioError {
    /// The field the error is about, for highlighting a control.
    pub fn field(&self) -> Option<&str> {
        match self {
            ScenarioError::UnknownKey { key, .. } => Some(key),
            ScenarioError::Invalid { field, .. } | ScenarioError::Conflict { field, .. } => Some(field),
            ScenarioError::Json(_) => None,
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::UnknownKey { key, suggestion: Some(s) } => {
                write!(f, "{}: not a setting (did you mean '{s}'?); gossip-lab params lists them", shown_key(key))
            }
            ScenarioError::UnknownKey { key, suggestion: None } => {
                write!(f, "{}: not a setting; gossip-lab params lists them", shown_key(key))
            }
            ScenarioError::Invalid { field, value, allowed } => {
                write!(f, "{field}: '{value}' is not allowed; {allowed}")
            }
            ScenarioError::Conflict { field, message } => write!(f, "{field}: {message}"),
            ScenarioError::Json(m) => write!(f, "scenario file: {m}"),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Groups of controls in the page and sections in `--help`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Cluster,
    Protocol,
    Timing,
    Network,
    Workload,
    Faults,
    Run,
}

impl Group {
    pub const ALL: [Group; 7] =
        [Group::Cluster, Group::Protocol, Group::Workload, Group::Timing, Group::Network, Group::Faults, Group::Run];
    pub fn label(self) -> &'static str {
        match self {
            Group::Cluster => "Cluster",
            Group::Protocol => "Protocol",
            Group::Timing => "Timing",
            Group::Network => "Network",
            Group::Workload => "Workload",
            Group::Faults => "Faults",
            Group::Run => "Run",
        }
    }
}

/// The allowed values of a parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// A whole number in `min..=max`.
    Int { min: u64, max: u64 },
    /// A real number in `min..=max`.
    Float { min: f64, max: f64 },
    /// One of the listed words.
    Choice(&'static [&'static str]),
    /// The fault schedule's text form (see `sim::faults`).
    Schedule,
    /// An edge list's text (see `sim::topology::EdgeList`).
    Edges,
    /// A matrix of round trips between regions (see `sim::network::RttMatrix`).
    Matrix,
}

impl Kind {
    /// "allowed 1 to 64", "allowed: push, pull, push-pull": the tail of every error message.
    pub fn allowed(&self) -> String {
        match self {
            Kind::Int { min, max } => format!("allowed a whole number from {min} to {max}"),
            Kind::Float { min, max } => format!("allowed a number from {} to {}", short_f64(*min), short_f64(*max)),
            Kind::Choice(c) => format!("allowed: {}", c.join(", ")),
            Kind::Schedule => "allowed: a fault schedule such as crash:3@10s,restart:3@20s,partition:0-49/50-99@5r,heal@15s,loss:0.3@30s".into(),
            Kind::Edges => "allowed: links between node ids, one per line (0 1) or as 0-1,1-2,2-0".into(),
            Kind::Matrix => "allowed: a square matrix of round trips in ms, a row per line (a name, then the values) or as east:0,70;west:70,0".into(),
        }
    }
}

/// One row of the parameter table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSpec {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub group: Group,
    pub kind: Kind,
    /// What the setting means, what raising it does and what it costs.
    pub doc: &'static str,
    /// Whether a running cluster can take a new value.
    pub live: Live,
}

/// Whether a running cluster can take a new value of a setting. A live change
/// is an entry of the fault schedule (`fanout:3@12r`, see `sim::faults`), so a
/// link and the command line replay it; any other change starts a new run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Live {
    /// The setting defines the cluster (its size, protocol, timing, seed, ...).
    Restarts,
    /// The cluster takes the new value from that moment on.
    Live,
}

impl ParamSpec {
    fn invalid(&self, value: &str) -> ScenarioError {
        ScenarioError::Invalid { field: self.key.into(), value: value.into(), allowed: self.kind.allowed() }
    }
}

/// The shorter of the plain and the scientific text of a number, either of which
/// parses back to the same f64: `0.25`, `1e-12`, `2e300`.
pub fn short_f64(x: f64) -> String {
    let (plain, sci) = (format!("{x}"), format!("{x:e}"));
    if sci.len() < plain.len() {
        sci
    } else {
        plain
    }
}

/// How a field's value is read from and written to text, and checked against its spec.
pub trait ParamValue: Sized {
    fn parse_param(text: &str, spec: &ParamSpec) -> Result<Self, ScenarioError>;
    fn to_param(&self) -> String;
    fn check(&self, spec: &ParamSpec) -> Result<(), ScenarioError>;
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl ParamValue for $t {
            fn parse_param(text: &str, spec: &ParamSpec) -> Result<Self, ScenarioError> {
                let v: $t = text.trim().replace('_', "").parse().map_err(|_| spec.invalid(text))?;
                v.check(spec)?;
                Ok(v)
            }
            fn to_param(&self) -> String { self.to_string() }
            fn check(&self, spec: &ParamSpec) -> Result<(), ScenarioError> {
                match spec.kind {
                    Kind::Int { min, max } if (*self as u64) < min || (*self as u64) > max => Err(spec.invalid(&self.to_string())),
                    _ => Ok(()),
                }
            }
        }
    )*};
}
int_param!(u32, u64);

impl ParamValue for f64 {
    fn parse_param(text: &str, spec: &ParamSpec) -> Result<Self, ScenarioError> {
        let v: f64 = text.trim().parse().map_err(|_| spec.invalid(text))?;
        v.check(spec)?;
        Ok(v)
    }
    fn to_param(&self) -> String {
        short_f64(*self)
    }
    fn check(&self, spec: &ParamSpec) -> Result<(), ScenarioError> {
        match spec.kind {
            Kind::Float { min, max } if !self.is_finite() || *self < min || *self > max => {
                Err(spec.invalid(&self.to_param()))
            }
            _ => Ok(()),
        }
    }
}

/// The first line of a long text, clipped, for an error message (the reason names the line at fault).
fn first_line(text: &str) -> String {
    match text.trim().lines().next() {
        Some(first) if first.len() > 40 || first.len() < text.trim().len() => {
            format!("{}…", first.chars().take(40).collect::<String>())
        }
        _ => text.trim().into(),
    }
}

/// Values read from a text that may be a whole file (an edge list, a matrix):
/// the refusal quotes its first line and gives the parser's reason, which names the line.
macro_rules! text_param {
    ($($t:ty),*) => {$(
        impl ParamValue for $t {
            fn parse_param(text: &str, spec: &ParamSpec) -> Result<Self, ScenarioError> {
                <$t>::from_str(text).map_err(|why| ScenarioError::Invalid {
                    field: spec.key.into(),
                    value: first_line(text),
                    allowed: format!("{why}; {}", spec.kind.allowed()),
                })
            }
            fn to_param(&self) -> String {
                self.to_string()
            }
            fn check(&self, _spec: &ParamSpec) -> Result<(), ScenarioError> {
                Ok(())
            }
        }
    )*};
}
text_param!(RttMatrix, EdgeList);

impl ParamValue for FaultSchedule {
    fn parse_param(text: &str, spec: &ParamSpec) -> Result<Self, ScenarioError> {
        FaultSchedule::from_str(text).map_err(|why| ScenarioError::Invalid {
            field: spec.key.into(),
            value: text.into(),
            allowed: format!("{why}; {}", spec.kind.allowed()),
        })
    }
    fn to_param(&self) -> String {
        self.to_string()
    }
    fn check(&self, _spec: &ParamSpec) -> Result<(), ScenarioError> {
        Ok(())
    }
}

/// A closed set of words, parsed and printed in kebab-case.
macro_rules! word_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $variant:ident = $word:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $word)] $variant),* }
        impl $name {
            pub const WORDS: &'static [&'static str] = &[$($word),*];
            pub fn word(self) -> &'static str { match self { $($name::$variant => $word),* } }
        }
        impl FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> { match s.trim() { $($word => Ok($name::$variant),)* _ => Err(()) } }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.word()) }
        }
        impl ParamValue for $name {
            fn parse_param(text: &str, spec: &ParamSpec) -> Result<Self, ScenarioError> {
                text.parse().map_err(|_| spec.invalid(text))
            }
            fn to_param(&self) -> String { self.word().into() }
            fn check(&self, _spec: &ParamSpec) -> Result<(), ScenarioError> { Ok(()) }
        }
    };
}

word_enum! {
    /// Which protocol family runs.
    pub enum ProtocolKind {
        Rumor = "rumor",
        AntiEntropy = "anti-entropy",
        Membership = "membership",
        Swim = "swim",
        Aggregate = "aggregate",
        Broadcast = "broadcast",
        Election = "election",
    }
}
word_enum! {
    /// What an aggregation computes over the nodes' local values.
    pub enum AggFunction { Avg = "avg", Sum = "sum", Count = "count", Min = "min", Max = "max" }
}
word_enum! {
    /// Pairwise averaging (an atomic push-pull exchange), or push-sum (value and weight halves pushed).
    pub enum Exchange { PushPull = "push-pull", PushSum = "push-sum" }
}
word_enum! {
    /// The nodes' local values: uniform in 0..100, the node id, or all 0 but one node holding n (the hardest case).
    pub enum ValueDist { Uniform = "uniform", Linear = "linear", Peak = "peak" }
}
word_enum! {
    /// The delivery order ordered broadcast guarantees.
    pub enum Order { None = "none", Fifo = "fifo", Causal = "causal", Total = "total" }
}
word_enum! {
    /// What malicious nodes do.
    pub enum Attack {
        ForgeVersion = "forge-version",
        FakeRumor = "fake-rumor",
        Drop = "drop",
        InflateHeartbeat = "inflate-heartbeat",
    }
}
word_enum! {
    /// Whether data is signed by its origin and checked on arrival.
    pub enum Verify { None = "none", Signatures = "signatures" }
}
word_enum! {
    /// How a membership node decides that a peer is dead.
    pub enum Detector { Timeout = "timeout", Phi = "phi" }
}
word_enum! {
    /// How two anti-entropy replicas find out what differs.
    pub enum Reconcile { Full = "full", Checksum = "checksum", Recent = "recent", Merkle = "merkle" }
}
word_enum! {
    /// Who starts an exchange and which way the update flows.
    pub enum Spread { Push = "push", Pull = "pull", PushPull = "push-pull" }
}
word_enum! {
    /// When a node loses interest in a rumor (Demers et al., 1987).
    pub enum StopRule {
        Never = "never",
        FeedbackCounter = "feedback-counter",
        FeedbackCoin = "feedback-coin",
        BlindCounter = "blind-counter",
        BlindCoin = "blind-coin",
        Rounds = "rounds",
    }
}
word_enum! {
    /// What a feedback counter counts: every contact that found the node knew
    /// (`total`), or such contacts in a row, a useful contact setting it back
    /// to 0 (`consecutive`, the rule that reproduces Demers et al.'s Table 1).
    pub enum Counting { Total = "total", Consecutive = "consecutive" }
}
word_enum! {
    /// Who sends pull requests: only nodes that lack an update (`lacking`), or
    /// every node every round (`all`), as in a database with a steady stream of
    /// updates where a request always has something to ask for (Demers et al.'s
    /// Table 3: holders then hear from nodes that already knew, and feedback stops them).
    pub enum Pullers { Lacking = "lacking", All = "all" }
}
word_enum! {
    /// Synchronous rounds as in the classic papers, or timers and latencies in virtual milliseconds.
    pub enum Timing { Rounds = "rounds", Timed = "timed" }
}
word_enum! {
    /// Shape of the one-way message latency.
    pub enum LatencyDist { Constant = "constant", Uniform = "uniform", Exponential = "exponential", LogNormal = "lognormal" }
}
word_enum! {
    /// Datagrams that can be lost, or a reliable ordered stream that pays for losses in delay.
    pub enum Transport { Udp = "udp", Tcp = "tcp" }
}
word_enum! {
    /// What UDP does with a message larger than the MTU.
    pub enum Oversize { Drop = "drop", Split = "split" }
}
word_enum! {
    /// Which peers a node can pick from.
    pub enum ViewKind { Full = "full", Partial = "partial" }
}
word_enum! {
    /// The overlay peers are drawn from (see `sim::topology`): everyone, or a fixed graph.
    pub enum Topology {
        Full = "full",
        Ring = "ring",
        Torus = "torus",
        RandomRegular = "random-regular",
        SmallWorld = "small-world",
        ScaleFree = "scale-free",
        /// The user's edge list (`edges`).
        Edges = "edges",
    }
}

macro_rules! scenario {
    (@live) => { Live::Restarts };
    (@live live) => { Live::Live };
    ($( $group:ident { $( $(#[doc = $doc:literal])+ $field:ident : $ty:ty = $default:expr, $kind:expr, $label:literal, $unit:literal $(, $live:ident)?; )* } )*) => {
        /// Every setting of a run. Field docs are the texts shown in the page and in `--help`.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct Scenario { $($( $(#[doc = $doc])+ pub $field: $ty, )*)* }

        impl Default for Scenario {
            fn default() -> Self { Self { $($( $field: $default, )*)* } }
        }

        /// The parameter table, in display order.
        pub static PARAMS: &[ParamSpec] = &[ $($( ParamSpec {
            key: stringify!($field), label: $label, unit: $unit, group: Group::$group, kind: $kind,
            doc: concat!($($doc),+), live: scenario!(@live $($live)?),
        }, )*)* ];

        impl Scenario {
            /// The text form of one field, as used in URLs and on the command line.
            pub fn get(&self, key: &str) -> Option<String> {
                match key { $($( stringify!($field) => Some(self.$field.to_param()), )*)* _ => None }
            }
            /// Set one field from its text form, checking its range.
            pub fn set(&mut self, key: &str, value: &str) -> Result<(), ScenarioError> {
                let spec = spec(key).ok_or_else(|| unknown_key(key))?;
                match key {
                    $($( stringify!($field) => self.$field = ParamValue::parse_param(value, spec)?, )*)*
                    _ => unreachable!("every spec has a field"),
                }
                Ok(())
            }
            fn check_fields(&self) -> Result<(), ScenarioError> {
                $($( self.$field.check(spec(stringify!($field)).expect("spec"))?; )*)*
                Ok(())
            }
        }
    };
}

scenario! {
    Cluster {
        /// Number of nodes at start. More nodes take O(log n) more rounds to reach and cost linear memory and time.
        nodes: u32 = 200, Kind::Int { min: 2, max: 10_000_000 }, "Nodes", "";
        /// Seed of every random choice: the same scenario and seed give the same run, natively and in the browser.
        seed: u64 = 1, Kind::Int { min: 0, max: SEED_MAX }, "Seed", "";
        /// Number of seed nodes (ids 0..seeds-1) that every node knows at start; partial views start from them.
        seeds: u32 = 1, Kind::Int { min: 0, max: 1000 }, "Seed nodes", "";
        /// Full: every node may pick any other. Partial: each node knows view_size peers, refreshed by a Cyclon shuffle each interval.
        view: ViewKind = ViewKind::Full, Kind::Choice(ViewKind::WORDS), "Peer view", "";
        /// Peers in a partial view. Larger views spread as fast as full views but cost more memory and shuffle bytes.
        view_size: u32 = 8, Kind::Int { min: 2, max: 1000 }, "View size", "peers";
        /// Who can reach whom. Full: anyone. Ring and torus spread in linear and √n time; random-regular and scale-free graphs in logarithmic time; small-world rewires a ring's links to random nodes (rewire_rate), and a few shortcuts are enough.
        topology: Topology = Topology::Full, Kind::Choice(Topology::WORDS), "Topology", "";
        /// Topology ring, small-world, random-regular and scale-free: links per node (ring and small-world: the nearest degree/2 on each side; scale-free: each new node links to degree/2 earlier ones).
        topology_degree: u32 = 4, Kind::Int { min: 1, max: 64 }, "Topology degree", "links";
        /// Topology small-world: the share of the ring's links moved to a random node (0: the ring; 1: a random graph).
        rewire_rate: f64 = 0.1, Kind::Float { min: 0.0, max: 1.0 }, "Rewire rate", "";
        /// Topology edges: the graph's links, one per line (0 1) or as 0-1,1-2; a file on the command line (edges=@graph.txt), pasted text or a URL in the page.
        edges: EdgeList = EdgeList::default(), Kind::Edges, "Edge list", "links";
    }
    Protocol {
        /// Rumor mongering spreads hot updates and stops; anti-entropy reconciles replicas (never leaves a residue); membership gossips heartbeats and state; SWIM probes; aggregate computes an average, sum, count or extreme; broadcast delivers in order; election picks a leader.
        protocol: ProtocolKind = ProtocolKind::Rumor, Kind::Choice(ProtocolKind::WORDS), "Protocol", "";
        /// Push sends the update to peers; pull asks peers for it; push-pull does both in one exchange (fast start and fast finish).
        spread: Spread = Spread::Push, Kind::Choice(Spread::WORDS), "Spread", "", live;
        /// Peers contacted per node per round. Raising it cuts the rounds (about log(n)/log(1+fanout)) and multiplies the traffic.
        fanout: u32 = 2, Kind::Int { min: 1, max: 64 }, "Fanout", "peers", live;
        /// Rumor: when a node stops spreading. Earlier stops save traffic and leave a residue of nodes that never hear.
        stop: StopRule = StopRule::Never, Kind::Choice(StopRule::WORDS), "Stop rule", "", live;
        /// Rumor: parameter of the stop rule: contacts (counter), 1/probability (coin) or rounds. Raising it lowers the residue and raises traffic.
        k: u32 = 2, Kind::Int { min: 1, max: 1000 }, "k", "", live;
        /// Rumor, stop=feedback-counter: count every contact that found the peer knew (total), or only those in a row: a useful contact sets the counter back to 0 (consecutive, Demers et al.'s Table 1: more traffic, a smaller residue).
        counting: Counting = Counting::Total, Kind::Choice(Counting::WORDS), "Counting", "", live;
        /// Rumor, spread=pull or push-pull: who sends pull requests: only nodes that lack an update (lacking), or every node every round, as in a busy database (all, Demers et al.'s Table 3: a holder also hears from nodes that knew, so feedback rules stop it; more traffic, still a tiny residue).
        pullers: Pullers = Pullers::Lacking, Kind::Choice(Pullers::WORDS), "Pullers", "", live;
        /// Rumor: most contacts a node accepts per round (0: no limit); the rest are refused. A limit spreads load and slows the start.
        conn_limit: u32 = 0, Kind::Int { min: 0, max: 64 }, "Connection limit", "per round", live;
        /// Rumor: every this many rounds each node also runs one anti-entropy exchange (0: never), which drives the residue to zero.
        backup_interval: u32 = 0, Kind::Int { min: 0, max: 100_000 }, "Backup every", "rounds", live;
        /// Anti-entropy: full sends the whole store; checksum sends a digest first; recent sends recent updates then a checksum; merkle descends only into differing key ranges.
        reconcile: Reconcile = Reconcile::Merkle, Kind::Choice(Reconcile::WORDS), "Reconcile", "";
        /// Anti-entropy: how long an update stays on a node's recent-update list. Longer lists cost bytes and avoid full exchanges.
        recent_window: u32 = 5, Kind::Int { min: 1, max: 100_000 }, "Recent window", "rounds";
        /// Membership: timeout marks a peer dead when its heartbeat stalls for fail_timeout_ms; phi accrues suspicion from the heartbeat history.
        detector: Detector = Detector::Phi, Kind::Choice(Detector::WORDS), "Failure detector", "", live;
        /// Membership, timeout detector: silence before a peer is marked dead. Shorter detects sooner and raises false positives under loss.
        fail_timeout_ms: u32 = 5000, Kind::Int { min: 1, max: 3_600_000 }, "Fail timeout", "ms", live;
        /// Membership, phi detector: suspicion level that marks a peer dead (Cassandra uses 8). Lower detects sooner, with more false positives.
        phi_threshold: f64 = 8.0, Kind::Float { min: 0.5, max: 100.0 }, "Phi threshold", "", live;
        /// Membership: application keys each node owns and gossips. More keys cost bytes per exchange.
        app_keys: u32 = 4, Kind::Int { min: 0, max: 64 }, "App keys", "per node";
        /// Membership: key writes per node per second. Each takes the owner's next version and must reach every node.
        key_rate: f64 = 0.0, Kind::Float { min: 0.0, max: 100.0 }, "Key writes", "per node per s", live;
        /// Membership: how long a node keeps a tombstone after learning it. Shorter than an outage, and the deleted key comes back.
        tombstone_grace_ms: u64 = 60_000, Kind::Int { min: 0, max: 86_400_000_000 }, "Tombstone grace", "ms";
        /// SWIM: members asked to ping a target that missed its direct ack. More ride out lossy links, at more messages.
        indirect_probes: u32 = 3, Kind::Int { min: 0, max: 16 }, "Indirect probes", "", live;
        /// SWIM: wait for a direct ack before asking for indirect probes; must be well under the interval.
        ack_timeout_ms: u32 = 200, Kind::Int { min: 1, max: 3_600_000 }, "Ack timeout", "ms", live;
        /// SWIM: a suspect not refuted in this time is declared dead. Longer means fewer false deaths and slower detection.
        suspicion_ms: u32 = 5000, Kind::Int { min: 0, max: 3_600_000 }, "Suspicion timeout", "ms", live;
        /// SWIM: each update is piggybacked lambda x log2(n+1) times. Higher spreads more surely, at more bytes.
        lambda: f64 = 3.0, Kind::Float { min: 0.1, max: 50.0 }, "Lambda", "", live;
        /// Aggregate: what the nodes compute together. Count and sum use one node holding weight 1 (the origin).
        function: AggFunction = AggFunction::Avg, Kind::Choice(AggFunction::WORDS), "Function", "";
        /// Aggregate: push-pull averages pairs atomically (variance falls by 1/(2 sqrt e) per round); push-sum pushes halves of (value, weight), robust to ordering but slower.
        exchange: Exchange = Exchange::PushPull, Kind::Choice(Exchange::WORDS), "Exchange", "";
        /// Aggregate: the relative error at which a node's estimate counts as converged. Smaller takes more rounds (about log(1/error) / log(2 sqrt e)).
        target_error: f64 = 0.01, Kind::Float { min: 1e-12, max: 1.0 }, "Target error", "relative", live;
        /// Aggregate: restart from the local values every this many rounds (0: never). Epochs shed the bias that loss and crashes leave, at the cost of re-converging.
        epoch_rounds: u32 = 0, Kind::Int { min: 0, max: 1_000_000 }, "Epoch", "rounds";
        /// Broadcast: the order in which nodes deliver messages. FIFO holds back per sender; causal by vector clocks; total by a sequencer (node 0). None delivers on arrival.
        order: Order = Order::Causal, Kind::Choice(Order::WORDS), "Order", "";
        /// Malicious nodes: a fraction of the nodes (the highest ids, never the origin) that lie. 0 means none.
        malicious: f64 = 0.0, Kind::Float { min: 0.0, max: 0.9 }, "Malicious", "fraction";
        /// What malicious nodes do: forge higher versions of others' keys (membership), invent rumors (rumor), swallow messages (rumor, broadcast, aggregate), keep a dead node's heartbeat going (membership).
        attack: Attack = Attack::Drop, Kind::Choice(Attack::WORDS), "Attack", "";
        /// Signatures: every datum carries its origin's signature, checked once per receiver; forgeries are rejected and counted. A model: the signature is a keyed hash only the origin can make, sized as ed25519's 64 bytes on the wire.
        verify: Verify = Verify::None, Kind::Choice(Verify::WORDS), "Verify", "";
    }
    Workload {
        /// Updates written in the run (rumor: at most 32). The first is written at origin; the others at random live nodes.
        updates: u32 = 1, Kind::Int { min: 1, max: 100_000 }, "Updates", "";
        /// Rounds between two updates; 0 writes them all at the start.
        update_every: u32 = 0, Kind::Int { min: 0, max: 1_000_000 }, "Update every", "rounds";
        /// Node that writes the first update.
        origin: u32 = 0, Kind::Int { min: 0, max: 10_000_000 }, "Origin", "node";
        /// Application bytes carried by an update; with headers it sets the wire size and so the MTU effects.
        payload_bytes: u32 = 64, Kind::Int { min: 0, max: 1_000_000 }, "Payload", "bytes";
        /// Anti-entropy: keys in the replicated store, identical everywhere at the start; updates write new versions of them.
        keys: u32 = 1000, Kind::Int { min: 1, max: 1_000_000 }, "Store keys", "";
        /// Aggregate: the nodes' local values. Peak (one node holds n, the rest 0) is the slowest to average.
        values: ValueDist = ValueDist::Uniform, Kind::Choice(ValueDist::WORDS), "Local values", "";
        /// Nodes that write the workload's updates in turn (0: the origin, then random nodes). Ordered broadcast needs several messages per sender to show FIFO order.
        senders: u32 = 0, Kind::Int { min: 0, max: 10_000_000 }, "Senders", "nodes";
    }
    Timing {
        /// Rounds: synchronous cycles as in the papers. Timed: each node acts every interval_ms and messages take a latency.
        timing: Timing = Timing::Rounds, Kind::Choice(Timing::WORDS), "Timing", "";
        /// Gossip interval. Shorter intervals spread faster in wall time and cost proportionally more messages per second.
        interval_ms: u32 = 1000, Kind::Int { min: 1, max: 3_600_000 }, "Interval", "ms", live;
        /// Random spread of each node's interval, as a fraction of it (timed only). Jitter avoids lock-step bursts.
        jitter: f64 = 0.1, Kind::Float { min: 0.0, max: 1.0 }, "Jitter", "× interval", live;
        /// Stop after this many rounds (or intervals) even if the protocol is still active.
        max_rounds: u32 = 1000, Kind::Int { min: 1, max: 1_000_000 }, "Max rounds", "rounds";
        /// Stop after this much virtual time (timed only); 0 means max_rounds × interval_ms.
        max_time_ms: u64 = 0, Kind::Int { min: 0, max: 86_400_000_000 }, "Max time", "ms";
    }
    Network {
        /// Probability that a message is lost (UDP), or needs a retransmission (TCP). Loss slows spreading and raises the residue.
        loss_rate: f64 = 0.0, Kind::Float { min: 0.0, max: 1.0 }, "Loss rate", "", live;
        /// Latency distribution: constant (= min), uniform (min..max), exponential or log-normal with mean (min+max)/2 and never below min.
        latency: LatencyDist = LatencyDist::Uniform, Kind::Choice(LatencyDist::WORDS), "Latency", "", live;
        /// Smallest one-way latency (timed only).
        latency_ms_min: f64 = 10.0, Kind::Float { min: 0.0, max: 600_000.0 }, "Latency min", "ms", live;
        /// Largest one-way latency for uniform; sets the mean of the other shapes (timed only).
        latency_ms_max: f64 = 50.0, Kind::Float { min: 0.0, max: 600_000.0 }, "Latency max", "ms", live;
        /// Probability that a datagram is delivered twice.
        duplicate_rate: f64 = 0.0, Kind::Float { min: 0.0, max: 1.0 }, "Duplication", "", live;
        /// Probability that a message is held back by an extra latency_ms_max, overtaking order (timed only).
        reorder_rate: f64 = 0.0, Kind::Float { min: 0.0, max: 1.0 }, "Reordering", "", live;
        /// UDP loses datagrams; TCP never loses but pays a retransmission timeout per loss and a handshake per new connection.
        transport: Transport = Transport::Udp, Kind::Choice(Transport::WORDS), "Transport", "";
        /// Largest datagram. Larger messages are dropped or split (see oversize).
        mtu_bytes: u32 = 1400, Kind::Int { min: 68, max: 65_535 }, "MTU", "bytes";
        /// Drop datagrams over the MTU, or split them into fragments that are each lost with loss_rate.
        oversize: Oversize = Oversize::Split, Kind::Choice(Oversize::WORDS), "Oversize", "";
        /// TCP retransmission timeout added for each lost segment.
        tcp_rto_ms: u32 = 200, Kind::Int { min: 1, max: 60_000 }, "TCP RTO", "ms";
        /// Timed: nodes split into this many cloud regions (0: one place), in blocks of ids (region r holds ids r·n/k up to (r+1)·n/k), in the order N. Virginia, Ireland, Tokyo, Oregon, Frankfurt, Singapore, Sydney, São Paulo, Seoul, N. California. A message between regions takes half their measured round trip plus the latency setting as jitter; within a region, the latency setting alone.
        regions: u32 = 0, Kind::Int { min: 0, max: 16 }, "Regions", "";
        /// Timed, with regions: your own round trips between regions (ms), in place of the built-in table: a row per region, each value the round trip to a region (a file on the command line, region_rtt=@rtt.txt; pasted text or a URL in the page). Zones are regions a few ms apart.
        region_rtt: RttMatrix = RttMatrix::default(), Kind::Matrix, "Region round trips", "ms";
        /// Timed: each node's uplink in bytes per second (0: unlimited). Its messages leave one after another, so a node that sends faster than this queues them, and every message waits behind the queue.
        uplink_bytes_per_s: f64 = 0.0, Kind::Float { min: 0.0, max: 1e11 }, "Uplink", "B/s", live;
        /// Timed, with an uplink: bytes a node's send queue holds; a message that would overflow it is dropped (a queue drop).
        queue_bytes_max: u32 = 65_536, Kind::Int { min: 0, max: 1_000_000_000 }, "Send queue", "bytes", live;
    }
    Faults {
        /// Fault schedule: crash:N, restart:N, leave:N, join:K, partition:A/B, cut:A/B, heal, loss:P, churn:R, each @time (ms, s or r for rounds).
        faults: FaultSchedule = FaultSchedule::default(), Kind::Schedule, "Fault schedule", "";
    }
    Run {
        /// Independent runs (seeds derived from seed) for means and 95% confidence intervals on the command line.
        trials: u32 = 1, Kind::Int { min: 1, max: 100_000 }, "Trials", "";
    }
}

/// The spec of `key`, if there is such a setting.
pub fn spec(key: &str) -> Option<&'static ParamSpec> {
    PARAMS.iter().find(|p| p.key == key)
}

fn unknown_key(key: &str) -> ScenarioError {
    let suggestion = PARAMS
        .iter()
        .map(|p| (edit_distance(key, p.key), p.key))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min()
        .map(|(_, k)| k);
    ScenarioError::UnknownKey { key: key.into(), suggestion }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

impl Scenario {
    /// Check every field against its range and the fields against each other,
    /// also as the schedule's live changes leave them.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.validate_settings()?;
        self.each_change(Self::validate_settings)
    }

    /// The settings as each live change of the schedule leaves them, in the
    /// order they happen, checked by `check`; an error names the entry.
    fn each_change(&self, check: impl Fn(&Scenario) -> Result<(), ScenarioError>) -> Result<(), ScenarioError> {
        let mut changes: Vec<(u64, &crate::sim::faults::Change, String)> = self
            .faults
            .0
            .iter()
            .filter_map(|e| match &e.fault {
                crate::sim::faults::Fault::Set(c) => Some((e.at.to_us(self.interval_ms), c, e.to_string())),
                _ => None,
            })
            .collect();
        if changes.is_empty() {
            return Ok(());
        }
        changes.sort_by_key(|c| c.0);
        let mut later = Scenario { faults: FaultSchedule::default(), ..self.clone() };
        for (_, change, entry) in changes {
            let wrap =
                |e: ScenarioError| ScenarioError::Conflict { field: "faults".into(), message: format!("{entry}: {e}") };
            later.set(change.spec.key, &change.value).map_err(wrap)?;
            check(&later).map_err(wrap)?;
        }
        Ok(())
    }

    fn validate_settings(&self) -> Result<(), ScenarioError> {
        self.check_fields()?;
        let conflict = |field: &str, message: String| Err(ScenarioError::Conflict { field: field.into(), message });
        if self.origin >= self.nodes {
            return conflict(
                "origin",
                format!("node {} does not exist; allowed 0 to {} (nodes - 1)", self.origin, self.nodes - 1),
            );
        }
        if self.seeds > self.nodes {
            return conflict(
                "seeds",
                format!("{} seed nodes but only {} nodes; allowed 0 to {}", self.seeds, self.nodes, self.nodes),
            );
        }
        if self.topology != Topology::Full && self.view == ViewKind::Partial {
            return conflict(
                "view",
                format!(
                    "a partial view samples the whole cluster; with topology={} peers come from the graph: allowed view=full",
                    self.topology
                ),
            );
        }
        let table = if self.region_rtt.is_empty() { crate::sim::network::REGIONS.len() } else { self.region_rtt.k() };
        if self.regions as usize > table {
            let whose = if self.region_rtt.is_empty() { "the built-in table has" } else { "region_rtt has" };
            return conflict("regions", format!("{} regions but {whose} {table}; allowed 0 to {table}", self.regions));
        }
        if self.topology == Topology::Edges {
            if self.edges.is_empty() {
                return conflict("edges", "topology=edges needs the graph's links; allowed: links between node ids, one per line (0 1) or as 0-1,1-2,2-0".into());
            }
            if let Some((i, &(a, b))) = self.edges.0.iter().enumerate().find(|(_, &(a, b))| a.max(b) >= self.nodes) {
                return conflict(
                    "edges",
                    format!(
                        "link {} ({a}-{b}) names node {}; allowed node ids 0 to {} (nodes - 1)",
                        i + 1,
                        a.max(b),
                        self.nodes - 1
                    ),
                );
            }
        }
        let most = match self.topology {
            Topology::Ring | Topology::SmallWorld => (self.nodes - 1) / 2 * 2,
            Topology::RandomRegular | Topology::ScaleFree => self.nodes - 1,
            Topology::Full | Topology::Torus | Topology::Edges => u32::MAX,
        };
        if self.topology_degree > most {
            return conflict(
                "topology_degree",
                format!("{} links per node on {} nodes; allowed 1 to {most}", self.topology_degree, self.nodes),
            );
        }
        if self.view == ViewKind::Partial && self.view_size >= self.nodes {
            return conflict("view_size", format!("{} must be smaller than nodes ({})", self.view_size, self.nodes));
        }
        if self.latency_ms_min > self.latency_ms_max {
            return conflict(
                "latency_ms_min",
                format!(
                    "{} is above latency_ms_max ({}); allowed 0 to {}",
                    self.latency_ms_min, self.latency_ms_max, self.latency_ms_max
                ),
            );
        }
        let capacity = self.capacity();
        if u64::from(capacity) > 10_000_000 {
            return conflict(
                "faults",
                format!("joins bring the cluster to {capacity} nodes; allowed at most 10000000"),
            );
        }
        if let Some(node) = self.faults.max_node() {
            if node >= capacity {
                return conflict("faults", format!("node {node} does not exist; allowed 0 to {}", capacity - 1));
            }
        }
        // An invented rumor takes an update slot of its own.
        let forged = u64::from(self.malicious_count() > 0 && self.attack == Attack::FakeRumor);
        let total = self.total_updates() + forged;
        if self.protocol == ProtocolKind::Rumor && total > RUMOR_UPDATES_MAX {
            let field = if u64::from(self.updates) > RUMOR_UPDATES_MAX { "updates" } else { "faults" };
            return conflict(
                field,
                format!(
                    "rumor mongering carries at most {RUMOR_UPDATES_MAX} updates in a run, and this one writes {total} (updates plus update: entries in faults); allowed updates 1 to {RUMOR_UPDATES_MAX}; use protocol=anti-entropy for larger workloads"
                ),
            );
        }
        if self.ack_timeout_ms >= self.interval_ms && self.protocol == ProtocolKind::Swim {
            return conflict(
                "ack_timeout_ms",
                format!(
                    "{} ms is not below the interval ({} ms); allowed 1 to {}",
                    self.ack_timeout_ms,
                    self.interval_ms,
                    self.interval_ms.saturating_sub(1).max(1)
                ),
            );
        }
        if let Some((most, _)) = self.membership_nodes_max().filter(|&(most, _)| self.capacity() > most) {
            let why = if self.protocol == ProtocolKind::Swim {
                "SWIM's probe periods scan every member (time per round grows as nodes squared)"
            } else {
                "heartbeat membership keeps every node's heartbeat at every node (nodes squared)"
            };
            return Err(ScenarioError::Invalid {
                field: "nodes".into(),
                value: self.capacity().to_string(),
                allowed: format!("{why}; allowed 2 to {most} nodes with joins"),
            });
        }
        self.check_malicious()?;
        if self.senders > self.nodes {
            return conflict(
                "senders",
                format!("{} senders but only {} nodes; allowed 0 to {}", self.senders, self.nodes, self.nodes),
            );
        }
        if self.protocol == ProtocolKind::Broadcast && self.total_updates() > BROADCAST_MESSAGES_MAX {
            return conflict(
                "updates",
                format!(
                    "ordered broadcast carries at most {BROADCAST_MESSAGES_MAX} messages in a run, and this one writes {}; allowed updates 1 to {BROADCAST_MESSAGES_MAX}",
                    self.total_updates()
                ),
            );
        }
        self.check_state_size(STATE_CELLS_MAX, "")
    }

    /// Updates the run writes: the workload's plus the fault schedule's `update:` entries.
    pub fn total_updates(&self) -> u64 {
        u64::from(self.updates) + self.faults.updates()
    }

    /// Nodes x updates bounds the memory of the per-update state.
    fn check_state_size(&self, max: u64, why: &str) -> Result<(), ScenarioError> {
        let cells = u64::from(self.capacity()) * self.total_updates();
        if cells > max {
            let allowed = (max / u64::from(self.capacity())).max(1);
            return Err(ScenarioError::Invalid {
                field: "updates".into(),
                value: self.updates.to_string(),
                allowed: format!(
                    "with {} nodes{why} allowed 1 to {allowed} updates in all (nodes x updates at most {max})",
                    self.capacity()
                ),
            });
        }
        Ok(())
    }

    /// An error as the page reports it: a node count out of the command line's
    /// range (too small, too large, not a number) names the page's range instead.
    pub fn for_page(e: ScenarioError) -> ScenarioError {
        let cli_range = PARAMS.iter().find(|p| p.key == "nodes").map(|p| p.kind.allowed());
        match e {
            ScenarioError::Invalid { field, value, allowed }
                if field == "nodes"
                    && (Some(&allowed) == cli_range.as_ref()
                        || value.trim().parse::<f64>().is_ok_and(|v| v > f64::from(PAGE_NODES_MAX))) =>
            {
                Self::page_nodes_error(value)
            }
            e => e,
        }
    }

    fn page_nodes_error(value: String) -> ScenarioError {
        // Too many: say why; too few or not a number: the range alone.
        let too_many = value.trim().parse::<f64>().is_ok_and(|v| v > f64::from(PAGE_NODES_MAX));
        let allowed = if too_many {
            format!(
                "the page runs at most {PAGE_NODES_MAX} nodes (allowed 2 to {PAGE_NODES_MAX}); run larger clusters with the command line"
            )
        } else {
            format!("allowed a whole number from 2 to {PAGE_NODES_MAX}")
        };
        ScenarioError::Invalid { field: "nodes".into(), value, allowed }
    }

    /// Checks for the page: the same as `validate`, with the page's node limit.
    pub fn validate_for_page(&self) -> Result<(), ScenarioError> {
        self.validate().map_err(Self::for_page)?;
        self.page_limits()?;
        self.each_change(Self::page_limits)
    }

    fn page_limits(&self) -> Result<(), ScenarioError> {
        if self.capacity() > PAGE_NODES_MAX {
            return Err(Self::page_nodes_error(self.capacity().to_string()));
        }
        self.check_state_size(PAGE_STATE_CELLS_MAX, " the page")?;
        if self.edges.len() > PAGE_EDGES_MAX {
            return Err(ScenarioError::Invalid {
                field: "edges".into(),
                value: format!("{} links", self.edges.len()),
                allowed: format!(
                    "the page takes at most {PAGE_EDGES_MAX} links; the command line takes {} (edges=@file)",
                    crate::sim::topology::MAX_EDGES
                ),
            });
        }
        if let Some((most, page)) = self.membership_nodes_max().filter(|&(_, page)| self.capacity() > page) {
            return Err(ScenarioError::Invalid {
                field: "nodes".into(),
                value: self.capacity().to_string(),
                allowed: format!(
                    "the page runs {} on at most {page} nodes (allowed 2 to {page}); the command line takes {most}",
                    self.protocol
                ),
            });
        }
        // Pull and push-pull send a request and a reply per contact; an
        // anti-entropy exchange takes a few round trips (a Merkle descent, one per level).
        let per_contact: u64 = match (self.protocol, self.spread) {
            (ProtocolKind::AntiEntropy, _) => 8,
            // A pair and its reply; a broadcast push now and then with a digest and its repair.
            (ProtocolKind::Aggregate | ProtocolKind::Broadcast, _) => 2,
            (_, Spread::Push) => 1,
            _ => 2,
        };
        let per_round = u64::from(self.capacity()) * u64::from(self.fanout) * per_contact;
        if per_round > PAGE_MSGS_PER_ROUND_MAX {
            let max_fanout = (PAGE_MSGS_PER_ROUND_MAX / (u64::from(self.capacity()) * per_contact)).max(1);
            return Err(ScenarioError::Invalid {
                field: "fanout".into(),
                value: self.fanout.to_string(),
                allowed: format!(
                    "with {} nodes and {} the page allows fanout 1 to {max_fanout} (at most {PAGE_MSGS_PER_ROUND_MAX} messages per round); run it with the command line",
                    self.capacity(),
                    match self.protocol {
                        ProtocolKind::Rumor | ProtocolKind::AntiEntropy => self.spread.word(),
                        other => other.word(),
                    }
                ),
            });
        }
        Ok(())
    }

    /// What `coverage` measures for this protocol: the words that complete
    /// "coverage 0.93 …", and the sentence that explains it.
    pub fn coverage_meaning(&self) -> (&'static str, &'static str) {
        match self.protocol {
            ProtocolKind::Election => ("follow the leader", "Share of live nodes following the one leader"),
            ProtocolKind::Aggregate => {
                ("within the target", "Share of live nodes whose estimate is within the target error")
            }
            ProtocolKind::Broadcast => {
                ("delivered in order", "Share of (node, message) pairs delivered in the promised order")
            }
            _ if self.membership_like() => {
                ("of views agree", "Share of (observer, node) pairs where the observer's view matches the truth")
            }
            _ => ("informed", "Share of live nodes holding the update"),
        }
    }

    /// Membership, election and SWIM keep every node's view of every node, and measure view agreement.
    /// The most nodes (with joins) a membership protocol runs on: natively and in the page.
    pub fn membership_nodes_max(&self) -> Option<(u32, u32)> {
        match self.protocol {
            ProtocolKind::Swim => Some((SWIM_NODES_MAX, PAGE_SWIM_NODES_MAX)),
            ProtocolKind::Membership | ProtocolKind::Election => {
                Some((MEMBERSHIP_NODES_MAX, PAGE_MEMBERSHIP_NODES_MAX))
            }
            _ => None,
        }
    }

    pub fn membership_like(&self) -> bool {
        matches!(self.protocol, ProtocolKind::Membership | ProtocolKind::Swim | ProtocolKind::Election)
    }

    /// Scuttlebutt membership runs underneath: membership itself and leader election.
    pub fn gossips_membership(&self) -> bool {
        matches!(self.protocol, ProtocolKind::Membership | ProtocolKind::Election)
    }

    /// Malicious nodes: the highest `malicious x nodes` initial ids.
    pub fn malicious_count(&self) -> u32 {
        ((self.malicious * f64::from(self.nodes)).round() as u32).min(self.nodes.saturating_sub(1))
    }

    /// The attacks malicious nodes can make under this protocol.
    pub fn attacks(&self) -> &'static [&'static str] {
        match self.protocol {
            ProtocolKind::Rumor => &["drop", "fake-rumor"],
            ProtocolKind::Aggregate | ProtocolKind::Broadcast => &["drop"],
            ProtocolKind::Membership | ProtocolKind::Election => &["forge-version", "inflate-heartbeat"],
            ProtocolKind::AntiEntropy | ProtocolKind::Swim => &[],
        }
    }

    fn check_malicious(&self) -> Result<(), ScenarioError> {
        let m = self.malicious_count();
        if m == 0 {
            return Ok(());
        }
        let attacks = self.attacks();
        if attacks.is_empty() {
            return Err(ScenarioError::Conflict {
                field: "malicious".into(),
                message: format!(
                    "{} has no malicious-node model; allowed 0 with protocol={} (attacks exist for rumor, aggregate, broadcast, membership and election)",
                    self.malicious, self.protocol
                ),
            });
        }
        if !attacks.contains(&self.attack.word()) {
            return Err(ScenarioError::Conflict {
                field: "attack".into(),
                message: format!(
                    "'{}' does not apply to protocol={}; allowed: {}",
                    self.attack,
                    self.protocol,
                    attacks.join(", ")
                ),
            });
        }
        let first = self.nodes - m;
        if self.origin >= first {
            return Err(ScenarioError::Conflict {
                field: "origin".into(),
                message: format!(
                    "node {} is malicious (ids {first} to {} are); allowed 0 to {}",
                    self.origin,
                    self.nodes - 1,
                    first - 1
                ),
            });
        }
        if self.gossips_membership() && self.seeds > first {
            return Err(ScenarioError::Conflict {
                field: "seeds".into(),
                message: format!("seed nodes would be malicious (ids {first} and up are); allowed 0 to {first}"),
            });
        }
        Ok(())
    }

    /// Why a setting has no effect with the others as they are (for dimming a
    /// control), or None when it matters.
    pub fn inactive(&self, key: &str) -> Option<&'static str> {
        let p = self.protocol;
        let rumor = p == ProtocolKind::Rumor;
        let timed = self.timing == Timing::Timed;
        let membership = self.gossips_membership();
        match key {
            "stop" | "conn_limit" if !rumor => Some("rumor only"),
            "backup_interval" if !matches!(p, ProtocolKind::Rumor | ProtocolKind::Broadcast) => {
                Some("rumor and broadcast only")
            }
            "k" if p == ProtocolKind::Broadcast => None,
            "k" if !rumor => Some("rumor and broadcast only"),
            "k" if self.stop == StopRule::Never => Some("not used by stop=never"),
            "counting" if self.stop != StopRule::FeedbackCounter => Some("stop=feedback-counter only"),
            "pullers" if !rumor => Some("rumor only"),
            "pullers" if self.spread == Spread::Push => Some("spread=pull and push-pull only"),
            "reconcile" | "keys" | "recent_window" if p != ProtocolKind::AntiEntropy => Some("anti-entropy only"),
            "spread" if !matches!(p, ProtocolKind::Rumor | ProtocolKind::AntiEntropy) => {
                Some("rumor and anti-entropy only")
            }
            "fanout" if p == ProtocolKind::Swim => Some("SWIM probes one member per period"),
            "indirect_probes" | "ack_timeout_ms" | "suspicion_ms" | "lambda" if p != ProtocolKind::Swim => {
                Some("swim only")
            }
            "detector" | "fail_timeout_ms" | "phi_threshold" | "app_keys" | "key_rate" | "tombstone_grace_ms"
                if !membership =>
            {
                Some("membership and election only")
            }
            "fail_timeout_ms" if self.detector != Detector::Timeout => Some("detector=timeout only"),
            "phi_threshold" if self.detector != Detector::Phi => Some("detector=phi only"),
            "recent_window" if self.reconcile != Reconcile::Recent => Some("reconcile=recent only"),
            "function" | "exchange" | "target_error" | "epoch_rounds" | "values" if p != ProtocolKind::Aggregate => {
                Some("aggregate only")
            }
            "order" if p != ProtocolKind::Broadcast => Some("broadcast only"),
            "updates" | "update_every" | "senders" | "payload_bytes"
                if matches!(p, ProtocolKind::Aggregate | ProtocolKind::Swim | ProtocolKind::Election) =>
            {
                Some("not used by this protocol")
            }
            "senders" if membership => Some("not used by membership"),
            "attack" | "verify" if self.malicious == 0.0 => Some("with malicious above 0"),
            "jitter" | "latency" | "latency_ms_min" | "latency_ms_max" | "reorder_rate" | "max_time_ms" if !timed => {
                Some("timing=timed only")
            }
            "view_size" if self.view == ViewKind::Full => Some("view=partial only"),
            "topology_degree" if matches!(self.topology, Topology::Full | Topology::Torus | Topology::Edges) => {
                Some("topology ring, random-regular, small-world and scale-free only")
            }
            "rewire_rate" if self.topology != Topology::SmallWorld => Some("topology=small-world only"),
            "edges" if self.topology != Topology::Edges => Some("topology=edges only"),
            "tcp_rto_ms" if self.transport != Transport::Tcp => Some("transport=tcp only"),
            "uplink_bytes_per_s" | "regions" if self.timing != Timing::Timed => Some("timing=timed only"),
            "region_rtt" if self.timing != Timing::Timed || self.regions == 0 => Some("timing=timed with regions only"),
            "queue_bytes_max" if self.timing != Timing::Timed || self.uplink_bytes_per_s == 0.0 => {
                Some("timing=timed with an uplink only")
            }
            "update_every" if self.updates <= 1 => Some("with more than one update"),
            _ => None,
        }
    }

    /// Node ids ever used: the initial nodes plus every join in the fault schedule.
    /// The round trip between regions `a` and `b` (ms): the user's matrix, else the built-in table.
    pub fn region_rtt_ms(&self, a: usize, b: usize) -> f64 {
        if self.region_rtt.is_empty() {
            crate::sim::network::REGION_RTT_MS[a][b]
        } else {
            self.region_rtt.rtt(a, b)
        }
    }

    /// The name of region `r`.
    pub fn region_name(&self, r: usize) -> String {
        match self.region_rtt.names.get(r) {
            Some(n) => n.clone(),
            None => crate::sim::network::REGIONS.get(r).map_or_else(|| format!("region {}", r + 1), |n| n.to_string()),
        }
    }

    pub fn capacity(&self) -> u32 {
        self.nodes.saturating_add(self.faults.joined())
    }

    /// The round limit, in virtual microseconds.
    pub fn max_time_us(&self) -> u64 {
        if self.max_time_ms > 0 {
            self.max_time_ms * 1000
        } else {
            u64::from(self.max_rounds) * u64::from(self.interval_ms) * 1000
        }
    }

    /// Apply `key=value` pairs in order; the first bad one is the error.
    pub fn apply_pairs<'a>(&mut self, pairs: impl IntoIterator<Item = &'a str>) -> Result<(), ScenarioError> {
        for pair in pairs {
            let (key, value) = pair.split_once('=').ok_or_else(|| ScenarioError::Invalid {
                field: pair.into(),
                value: String::new(),
                allowed: "settings are written key=value, for example fanout=3".into(),
            })?;
            self.set(key.trim(), value)?;
        }
        Ok(())
    }

    /// Apply settings as the command line takes them: `key=value` pairs, or a
    /// page link (a whole address, or its fragment: `v=1&nodes=500&layout=force`)
    /// as one argument. A link runs as the page runs it: its pairs are
    /// percent-decoded, `v` is checked, and the view keys and an A/B link's
    /// variant A (`vs.`) are not settings of this run: they come back, to be
    /// named in a note. The first bad pair is the error.
    pub fn apply_link_args<'a>(
        &mut self,
        args: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<String>, ScenarioError> {
        let mut skipped = Vec::new();
        for arg in args {
            let setting = arg.split_once('=').is_some_and(|(k, _)| k != "v" && spec(k.trim()).is_some());
            if !arg.contains('&') && (setting || !arg.contains('#')) && !arg.starts_with("v=") {
                self.apply_pairs([arg])?;
                continue;
            }
            let body = arg.rsplit_once('#').map_or(arg, |(_, f)| f);
            for pair in body.split('&').filter(|p| !p.is_empty()) {
                match LinkPair::read(pair) {
                    LinkPair::Version(r) => r?,
                    LinkPair::View(kv) => skipped.push(kv),
                    LinkPair::Setting(k, v) => self.set(&k, &v)?,
                }
            }
        }
        Ok(skipped)
    }

    /// Read a scenario file (JSON). Unknown keys and out-of-range values are errors.
    pub fn from_json(text: &str) -> Result<Self, ScenarioError> {
        let s: Scenario = serde_json::from_str(text).map_err(|e| ScenarioError::Json(e.to_string()))?;
        s.validate()?;
        Ok(s)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serialises")
    }

    /// The URL fragment: `v=1` and every field that differs from its default, in table order.
    pub fn to_fragment(&self) -> String {
        let defaults = Scenario::default();
        let mut out = format!("v={URL_VERSION}");
        for p in PARAMS {
            let value = self.get(p.key).expect("key");
            if Some(&value) != defaults.get(p.key).as_ref() {
                // Scattered node sets go as bitmaps (`~...`); they read back the same.
                let value = if p.key == "faults" { self.faults.link_text() } else { value };
                out.push('&');
                out.push_str(p.key);
                out.push('=');
                out.push_str(&percent_encode(&value));
            }
        }
        out
    }

    /// Read a URL fragment or query (`#nodes=500&fanout=3`). Keys that are not
    /// settings of the scenario (`v`, [`VIEW_KEYS`] and variant A's `vs.` keys)
    /// are skipped. Every bad
    /// field is reported; the scenario keeps its defaults for those.
    pub fn from_fragment(fragment: &str) -> (Scenario, Vec<ScenarioError>) {
        let mut s = Scenario::default();
        let mut errors = Vec::new();
        let body = fragment.trim_start_matches(['#', '?']);
        for pair in body.split('&').filter(|p| !p.is_empty()) {
            match LinkPair::read(pair) {
                LinkPair::Version(Err(e)) => errors.push(e),
                LinkPair::Version(Ok(())) => {}
                LinkPair::View(_) => {}
                LinkPair::Setting(key, value) => {
                    if let Err(e) = s.set(&key, &value) {
                        errors.push(e);
                    }
                }
            }
        }
        if let Err(e) = s.validate() {
            // Cross-field conflicts: fall back to the default for the named field.
            if let Some(field) = e.field() {
                if let Some(d) = Scenario::default().get(field) {
                    let _ = s.set(field, &d);
                }
            }
            errors.push(e);
            if s.validate().is_err() {
                s = Scenario::default();
            }
        }
        (s, errors)
    }

    /// A short stable hash of the whole scenario: with the seed, it names a run.
    pub fn fingerprint(&self) -> u64 {
        let text = self.to_fragment();
        text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
    }
}

pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' | b'@' | b',' | b'/' | b'+' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every spec has a field, and every default passes its own range check.
    #[test]
    fn defaults_are_valid() {
        let s = Scenario::default();
        for p in PARAMS {
            assert!(s.get(p.key).is_some(), "{}", p.key);
        }
        s.validate().unwrap();
    }

    /// Out-of-range and malformed values name the field, the value and the range.
    #[test]
    fn errors_name_field_and_range() {
        let mut s = Scenario::default();
        let e = s.set("fanout", "0").unwrap_err().to_string();
        assert!(e.contains("fanout") && e.contains("'0'") && e.contains("1 to 64"), "{e}");
        let e = s.set("loss_rate", "abc").unwrap_err().to_string();
        assert!(e.contains("loss_rate") && e.contains("0 to 1"), "{e}");
        let e = s.set("spread", "gossip").unwrap_err().to_string();
        assert!(e.contains("push, pull, push-pull"), "{e}");
        let e = s.set("fanotu", "3").unwrap_err().to_string();
        assert!(e.contains("did you mean 'fanout'"), "{e}");
        let e = s.set("loss_rate", "NaN").unwrap_err().to_string();
        assert!(e.contains("loss_rate"), "{e}");
        // Tiny and huge numbers read as numbers, not as hundreds of digits.
        let e = s.set("target_error", "1e-300").unwrap_err().to_string();
        assert!(e.contains("'1e-300'") && e.contains("from 1e-12 to 1"), "{e}");
        s.set("target_error", "0.000001").unwrap();
        assert_eq!(s.get("target_error").unwrap(), "1e-6");
    }

    /// Cross-field rules are checked and name the field to fix.
    #[test]
    fn conflicts_are_reported() {
        let mut s = Scenario::default();
        s.set("nodes", "10").unwrap();
        s.set("origin", "10").unwrap();
        let e = s.validate().unwrap_err();
        assert_eq!(e.field(), Some("origin"));
        let mut s = Scenario::default();
        s.set("latency_ms_min", "100").unwrap();
        assert_eq!(s.validate().unwrap_err().field(), Some("latency_ms_min"));
    }

    /// A scenario survives the URL fragment and JSON unchanged.
    #[test]
    fn fragment_and_json_round_trip() {
        let mut s = Scenario::default();
        s.apply_pairs([
            "nodes=500",
            "fanout=3",
            "loss_rate=0.125",
            "spread=push-pull",
            "seed=42",
            "faults=crash:3@10s,heal@2r",
        ])
        .unwrap();
        let frag = s.to_fragment();
        assert!(frag.starts_with("v=1&"), "{frag}");
        let (back, errors) = Scenario::from_fragment(&format!("#{frag}"));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(back, s);
        assert_eq!(Scenario::from_json(&s.to_json()).unwrap(), s);
    }

    /// A broken fragment keeps the good fields, reports each bad one and never panics.
    #[test]
    fn broken_fragment_reports_each_field() {
        let (s, errors) = Scenario::from_fragment("#nodes=abc&fanout=3&loss_rate=7&bogus=1&%zz");
        assert_eq!(s.fanout, 3);
        assert_eq!(s.nodes, 200);
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert!(text.iter().any(|t| t.contains("nodes")), "{text:?}");
        assert!(text.iter().any(|t| t.contains("loss_rate") && t.contains("0 to 1")), "{text:?}");
        assert!(text.iter().any(|t| t.contains("bogus")), "{text:?}");
    }

    /// The page refuses more nodes than it can draw, and says where to run them instead.
    #[test]
    fn page_limit() {
        let mut s = Scenario::default();
        s.set("nodes", "5000000").unwrap();
        let e = s.validate_for_page().unwrap_err().to_string();
        assert!(e.contains("nodes") && e.contains("100000"), "{e}");
    }

    /// The page bounds the messages of one round, naming fanout and its allowed range for this cluster.
    #[test]
    fn page_message_budget() {
        let mut s = Scenario::default();
        s.apply_pairs(["nodes=100000", "fanout=64"]).unwrap();
        s.validate().unwrap();
        let e = s.validate_for_page().unwrap_err().to_string();
        assert!(e.contains("fanout") && e.contains("1 to 10"), "{e}");
        s.apply_pairs(["fanout=10"]).unwrap();
        s.validate_for_page().unwrap();
        s.apply_pairs(["spread=push-pull"]).unwrap();
        assert!(s.validate_for_page().unwrap_err().to_string().contains("1 to 5"));
        // Aggregation's exchanges are pairs whatever the (unused) spread says.
        s.apply_pairs(["spread=push", "protocol=aggregate"]).unwrap();
        let e = s.validate_for_page().unwrap_err().to_string();
        assert!(e.contains("aggregate") && e.contains("1 to 5"), "{e}");
    }

    /// JSON files with unknown keys are refused with the key's name.
    #[test]
    fn json_unknown_key() {
        let e = Scenario::from_json(r#"{"nodes": 10, "fanotu": 2}"#).unwrap_err().to_string();
        assert!(e.contains("fanotu"), "{e}");
        let e = Scenario::from_json(r#"{"nodes": 1}"#).unwrap_err().to_string();
        assert!(e.contains("nodes"), "{e}");
    }
}
