//! Faults on a schedule: the compact text form shared by the command line and the
//! URL (`crash:3@10s,restart:3@20s,partition:0-49/50-99@5s,heal@15s,loss:0.3@30s,update:7@2r`)
//! and its JSON form (a list of the same entries) in scenario files.
//!
//! A live setting's new value is an entry too: `fanout:3@12r`, `stop:feedback-coin@20s`.
//!
//! Node sets are ids and inclusive ranges joined by `+`: `3`, `0-49`, `1+5+10-19`.
//! Times are `ms`, `s` or `r` (rounds); a bare number is milliseconds.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::protocol::NodeId;
use crate::scenario::{Live, ParamSpec};

/// A set of node ids as sorted inclusive ranges.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NodeSet(pub Vec<(NodeId, NodeId)>);

impl NodeSet {
    pub fn single(n: NodeId) -> Self {
        NodeSet(vec![(n, n)])
    }
    pub fn range(a: NodeId, b: NodeId) -> Self {
        NodeSet(vec![(a.min(b), a.max(b))])
    }
    pub fn contains(&self, n: NodeId) -> bool {
        self.0.iter().any(|&(a, b)| a <= n && n <= b)
    }
    /// Every id in the set, ascending; bounded by the cluster size the caller passes.
    pub fn ids(&self, capacity: u32) -> impl Iterator<Item = NodeId> + '_ {
        self.0.iter().flat_map(move |&(a, b)| a..=b.min(capacity.saturating_sub(1)))
    }
    pub fn max(&self) -> Option<NodeId> {
        self.0.iter().map(|r| r.1).max()
    }
}

/// Prefix of a node set written as a bitmap: `~` + base64url of the bits (node i
/// is bit i % 8 of byte i / 8). A scattered selection (a rectangle cut on the
/// graph) is far shorter this way than as a list of ids.
const BITMAP_PREFIX: char = '~';
/// Largest bitmap a link may carry: a million node ids.
const BITMAP_BYTES_MAX: usize = 1 << 17;

impl NodeSet {
    /// Ids and inclusive ranges joined by `+`: `1+5+10-19`.
    fn ranges_text(&self) -> String {
        let parts: Vec<String> =
            self.0.iter().map(|&(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") }).collect();
        parts.join("+")
    }

    /// The set as `~` and a base64url bitmap.
    fn bitmap_text(&self) -> String {
        use base64::Engine;
        let top = self.max().unwrap_or(0) as usize;
        let mut bits = vec![0u8; top / 8 + 1];
        for &(a, b) in &self.0 {
            for n in a..=b {
                bits[n as usize / 8] |= 1 << (n % 8);
            }
        }
        format!("{BITMAP_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bits))
    }

    fn from_bitmap(text: &str) -> Result<Self, String> {
        use base64::Engine;
        let bits = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| format!("'~{text}' is not a node bitmap (base64url after ~)"))?;
        if bits.len() > BITMAP_BYTES_MAX {
            return Err(format!("the node bitmap covers {} ids; at most {}", bits.len() * 8, BITMAP_BYTES_MAX * 8));
        }
        let mut ranges: Vec<(NodeId, NodeId)> = Vec::new();
        for (i, byte) in bits.iter().enumerate() {
            for j in 0..8 {
                if byte & (1 << j) != 0 {
                    let n = (i * 8 + j) as NodeId;
                    match ranges.last_mut() {
                        Some(r) if r.1 + 1 == n => r.1 = n,
                        _ => ranges.push((n, n)),
                    }
                }
            }
        }
        if ranges.is_empty() {
            return Err(format!("the node bitmap '~{text}' names no node"));
        }
        Ok(NodeSet(ranges))
    }
}

impl FromStr for NodeSet {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(bitmap) = s.trim().strip_prefix(BITMAP_PREFIX) {
            return NodeSet::from_bitmap(bitmap);
        }
        let mut ranges = Vec::new();
        for part in s.split('+') {
            let num = |t: &str| t.trim().parse::<NodeId>().map_err(|_| format!("'{t}' is not a node id"));
            let r = match part.split_once('-') {
                Some((a, b)) => (num(a)?, num(b)?),
                None => (num(part)?, num(part)?),
            };
            if r.0 > r.1 {
                return Err(format!("range '{part}' runs backwards"));
            }
            ranges.push(r);
        }
        // One canonical form: sorted, overlapping and adjacent ranges merged.
        ranges.sort_unstable();
        let mut merged: Vec<(NodeId, NodeId)> = Vec::with_capacity(ranges.len());
        for (a, b) in ranges {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        Ok(NodeSet(merged))
    }
}

/// `{}` writes ids and ranges (`1+5+10-19`); `{:#}` writes whichever of that and
/// the bitmap form is shorter, for links.
impl fmt::Display for NodeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = self.ranges_text();
        if f.alternate() && self.0.len() > 4 {
            let bitmap = self.bitmap_text();
            if bitmap.len() < plain.len() {
                return f.write_str(&bitmap);
            }
        }
        f.write_str(&plain)
    }
}

/// When a fault happens: virtual milliseconds, or the start of a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    Ms(u64),
    Round(u32),
}

impl At {
    /// The time in virtual microseconds, given the scenario's interval.
    pub fn to_us(self, interval_ms: u32) -> u64 {
        match self {
            At::Ms(ms) => ms.saturating_mul(1000),
            At::Round(r) => u64::from(r) * u64::from(interval_ms) * 1000,
        }
    }
}

impl FromStr for At {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = || format!("'{s}' is not a time (write 1500ms, 10s or 5r)");
        if let Some(r) = s.strip_suffix('r') {
            return r.parse().map(At::Round).map_err(|_| bad());
        }
        if let Some(ms) = s.strip_suffix("ms") {
            return ms.parse().map(At::Ms).map_err(|_| bad());
        }
        if let Some(sec) = s.strip_suffix('s') {
            let v: f64 = sec.parse().map_err(|_| bad())?;
            if !(0.0..=1e12).contains(&v) {
                return Err(bad());
            }
            return Ok(At::Ms((v * 1000.0).round() as u64));
        }
        // A bare number is refused: 1 could be a round, a second or a millisecond.
        Err(if s.parse::<f64>().is_ok() { format!("'{s}' has no unit (write {s}ms, {s}s or {s}r)") } else { bad() })
    }
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            At::Round(r) => write!(f, "{r}r"),
            At::Ms(ms) if ms % 1000 == 0 => write!(f, "{}s", ms / 1000),
            At::Ms(ms) => write!(f, "{ms}ms"),
        }
    }
}

/// One fault. The verbs are the ones a user would say.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// The nodes stop: they send and receive nothing and lose volatile state.
    Crash(NodeSet),
    /// Crashed nodes come back with a new generation and empty volatile state.
    Restart(NodeSet),
    /// The nodes leave for good.
    Leave(NodeSet),
    /// This many new nodes join (ids after the existing ones).
    Join(u32),
    /// Groups that cannot reach each other; unlisted nodes form one more group.
    Partition(Vec<NodeSet>),
    /// Links between every node of the first set and every node of the second are cut.
    Cut(NodeSet, NodeSet),
    /// Every partition and cut is removed.
    Heal,
    /// The loss rate changes.
    Loss(f64),
    /// From now on, each interval every live node crashes with this probability
    /// per second, and every crashed node restarts with the same probability.
    Churn(f64),
    /// Each listed node that is up writes a new update (a new rumor, or a new
    /// version of a key: membership writes the given key, or its next one); one
    /// at a node that is down is not written.
    Update(NodeSet, Option<u16>),
    /// Each listed node that is up deletes one of its keys (the given one, or its
    /// next), leaving a tombstone.
    Delete(NodeSet, Option<u16>),
    /// A live setting takes a new value (`fanout:3`, `stop:feedback-coin`): the
    /// running cluster goes on under it.
    Set(Change),
}

/// A new value of a live setting (see `scenario::Live`), checked against the
/// setting's range when parsed and kept in its canonical text form.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub spec: &'static ParamSpec,
    pub value: String,
}

impl Change {
    /// `key` must name a live setting and `value` be in its range.
    pub fn new(key: &str, value: &str) -> Result<Change, String> {
        let spec = crate::scenario::spec(key).ok_or_else(|| format!("'{key}' is not a setting"))?;
        if spec.live != Live::Live {
            return Err(format!(
                "{key} defines the cluster and cannot change during a run (live settings: {})",
                live_keys().join(", ")
            ));
        }
        let mut probe = crate::scenario::Scenario::default();
        probe.set(key, value).map_err(|e| e.to_string())?;
        Ok(Change { spec, value: probe.get(key).expect("a spec's field") })
    }

    /// The change as the page's chart labels it, in the field's words: `Fanout 3`, `Interval 500 ms`.
    pub fn label(&self) -> String {
        let unit = if self.spec.unit == "ms" { " ms" } else { "" };
        format!("{} {}{unit}", self.spec.label, self.value)
    }
}

/// The keys of the settings a running cluster can change.
pub fn live_keys() -> Vec<&'static str> {
    crate::scenario::PARAMS.iter().filter(|p| p.live == Live::Live).map(|p| p.key).collect()
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (verb, arg) = s.split_once(':').unwrap_or((s, ""));
        let set = |a: &str| a.parse::<NodeSet>();
        let prob = |a: &str| match a.parse::<f64>() {
            Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
            _ => Err(format!("'{a}' is not a probability from 0 to 1")),
        };
        let need = |ok: bool, shape: &str| {
            if ok {
                Ok(())
            } else {
                Err(format!("'{s}': write {shape}"))
            }
        };
        match verb.trim() {
            "crash" => need(!arg.is_empty(), "crash:NODES").and_then(|_| set(arg).map(Fault::Crash)),
            "restart" => need(!arg.is_empty(), "restart:NODES").and_then(|_| set(arg).map(Fault::Restart)),
            "leave" => need(!arg.is_empty(), "leave:NODES").and_then(|_| set(arg).map(Fault::Leave)),
            "join" => arg.parse::<u32>().map(Fault::Join).map_err(|_| format!("'{s}': write join:COUNT")),
            "partition" => {
                need(arg.contains('/') || !arg.is_empty(), "partition:A/B")?;
                arg.split('/').map(set).collect::<Result<Vec<_>, _>>().map(Fault::Partition)
            }
            "cut" => {
                let (a, b) = arg.split_once('/').ok_or_else(|| format!("'{s}': write cut:A/B"))?;
                Ok(Fault::Cut(set(a)?, set(b)?))
            }
            "heal" => need(arg.is_empty(), "heal").map(|_| Fault::Heal),
            "loss" => prob(arg).map(Fault::Loss),
            "churn" => prob(arg).map(Fault::Churn),
            "update" | "delete" => {
                need(!arg.is_empty(), &format!("{verb}:NODES or {verb}:NODES/KEY"))?;
                let (nodes, key) = match arg.split_once('/') {
                    Some((n, k)) => {
                        (n, Some(k.trim().parse::<u16>().map_err(|_| format!("'{k}' is not a key number (0 to 63)"))?))
                    }
                    None => (arg, None),
                };
                let nodes = set(nodes)?;
                Ok(if verb.trim() == "update" { Fault::Update(nodes, key) } else { Fault::Delete(nodes, key) })
            }
            other if crate::scenario::spec(other).is_some() => {
                need(!arg.is_empty(), &format!("{other}:VALUE"))?;
                Change::new(other, arg).map(Fault::Set)
            }
            other => Err(format!(
                "unknown fault '{other}' (known: crash, restart, leave, join, partition, cut, heal, loss, churn, update, delete, or a live setting: {})",
                live_keys().join(", ")
            )),
        }
    }
}

/// `{:#}` passes the alternate (compact) form on to the node sets.
impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alt = f.alternate();
        let set = |s: &NodeSet| if alt { format!("{s:#}") } else { format!("{s}") };
        match self {
            Fault::Crash(s) => write!(f, "crash:{}", set(s)),
            Fault::Restart(s) => write!(f, "restart:{}", set(s)),
            Fault::Leave(s) => write!(f, "leave:{}", set(s)),
            Fault::Join(k) => write!(f, "join:{k}"),
            Fault::Partition(groups) => {
                f.write_str("partition:")?;
                for (i, g) in groups.iter().enumerate() {
                    if i > 0 {
                        f.write_str("/")?;
                    }
                    f.write_str(&set(g))?;
                }
                Ok(())
            }
            Fault::Cut(a, b) => write!(f, "cut:{}/{}", set(a), set(b)),
            Fault::Heal => f.write_str("heal"),
            Fault::Loss(p) => write!(f, "loss:{p}"),
            Fault::Churn(p) => write!(f, "churn:{p}"),
            Fault::Update(s, None) => write!(f, "update:{}", set(s)),
            Fault::Update(s, Some(k)) => write!(f, "update:{}/{k}", set(s)),
            Fault::Delete(s, None) => write!(f, "delete:{}", set(s)),
            Fault::Delete(s, Some(k)) => write!(f, "delete:{}/{k}", set(s)),
            Fault::Set(c) => write!(f, "{}:{}", c.spec.key, c.value),
        }
    }
}

/// One scheduled fault.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultEntry {
    pub at: At,
    pub fault: Fault,
}

impl FromStr for FaultEntry {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (fault, at) = s.rsplit_once('@').ok_or_else(|| format!("'{s}' has no time (add @10s, @5r or @1500ms)"))?;
        Ok(FaultEntry { at: at.parse()?, fault: fault.parse()? })
    }
}

impl fmt::Display for FaultEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            write!(f, "{:#}@{}", self.fault, self.at)
        } else {
            write!(f, "{}@{}", self.fault, self.at)
        }
    }
}

/// The whole schedule, in the order written (the engine sorts by time, stably).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FaultSchedule(pub Vec<FaultEntry>);

/// At most this many entries: a bound on what a link or a file can make the engine do.
pub const MAX_FAULTS: usize = 10_000;

impl FaultSchedule {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Nodes added by joins.
    pub fn joined(&self) -> u32 {
        self.0.iter().map(|e| if let Fault::Join(k) = e.fault { k } else { 0 }).fold(0u32, u32::saturating_add)
    }
    /// Updates the schedule writes (at most; one at a node that is down is not written).
    pub fn updates(&self) -> u64 {
        self.0
            .iter()
            .map(|e| match &e.fault {
                Fault::Update(s, _) => s.0.iter().map(|&(a, b)| u64::from(b - a) + 1).sum(),
                _ => 0,
            })
            .sum()
    }
    /// Whether any entry deletes a key.
    pub fn deletes(&self) -> bool {
        self.0.iter().any(|e| matches!(e.fault, Fault::Delete(..)))
    }
    /// The largest node id any entry names.
    pub fn max_node(&self) -> Option<NodeId> {
        self.0
            .iter()
            .filter_map(|e| match &e.fault {
                Fault::Crash(s) | Fault::Restart(s) | Fault::Leave(s) | Fault::Update(s, _) | Fault::Delete(s, _) => {
                    s.max()
                }
                Fault::Partition(g) => g.iter().filter_map(NodeSet::max).max(),
                Fault::Cut(a, b) => a.max().max(b.max()),
                _ => None,
            })
            .max()
    }
    pub fn push(&mut self, at: At, fault: Fault) {
        self.0.push(FaultEntry { at, fault });
    }
}

impl FaultSchedule {
    /// The text form for a link: `{:#}`, where a node set that is shorter as a
    /// bitmap (a partition cut out of a scattered selection) is written as one
    /// (`~` and base64url). Both forms parse back to the same schedule.
    pub fn link_text(&self) -> String {
        format!("{self:#}")
    }
}

impl FromStr for FaultSchedule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let entries: Vec<FaultEntry> =
            s.split(',').map(str::trim).filter(|e| !e.is_empty()).map(str::parse).collect::<Result<_, _>>()?;
        if entries.len() > MAX_FAULTS {
            return Err(format!("{} entries; at most {MAX_FAULTS}", entries.len()));
        }
        Ok(FaultSchedule(entries))
    }
}

/// `{:#}` passes the compact form on to every entry (see `link_text`).
impl fmt::Display for FaultSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if f.alternate() {
                write!(f, "{e:#}")?;
            } else {
                write!(f, "{e}")?;
            }
        }
        Ok(())
    }
}

impl Serialize for FaultSchedule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(ToString::to_string))
    }
}

impl<'de> Deserialize<'de> for FaultSchedule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Text(String),
            List(Vec<String>),
        }
        let text = match Form::deserialize(d)? {
            Form::Text(t) => t,
            Form::List(l) => l.join(","),
        };
        text.parse().map_err(|e| serde::de::Error::custom(format!("faults: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example schedule from the docs parses and prints back to the same text.
    #[test]
    fn text_round_trip() {
        let text = "crash:3@10s,restart:3@20s,partition:0-49/50-99@5s,heal@15s,loss:0.3@30s,cut:1+4/7@250ms,join:5@3r,churn:0.01@1s,update:7+9-10@2r,delete:3/2@4s";
        let s: FaultSchedule = text.parse().unwrap();
        assert_eq!(s.0.len(), 10);
        assert_eq!(s.updates(), 3);
        assert_eq!(s.to_string(), text);
        assert_eq!(s.joined(), 5);
        assert_eq!(s.max_node(), Some(99));
        assert_eq!(s.0[0].at.to_us(1000), 10_000_000);
        assert_eq!(s.0[6].at.to_us(200), 600_000);
    }

    /// Malformed entries say what is wrong and how to write it.
    #[test]
    fn errors_explain() {
        assert!("crash:3".parse::<FaultSchedule>().unwrap_err().contains("no time"));
        assert!("explode:3@1s".parse::<FaultSchedule>().unwrap_err().contains("unknown fault"));
        assert!("loss:2@1s".parse::<FaultSchedule>().unwrap_err().contains("probability"));
        assert!("crash:9-3@1s".parse::<FaultSchedule>().unwrap_err().contains("backwards"));
        assert!("crash:x@1s".parse::<FaultSchedule>().unwrap_err().contains("node id"));
        // A time without a unit is refused, with the forms it could take.
        let e = "crash:7@1".parse::<FaultSchedule>().unwrap_err();
        assert!(e.contains("'1' has no unit") && e.contains("1ms, 1s or 1r"), "{e}");
    }

    /// Scenario files may hold the schedule as a list or as one string.
    #[test]
    fn json_forms() {
        let a: FaultSchedule = serde_json::from_str(r#"["crash:1@1s", "heal@2s"]"#).unwrap();
        let b: FaultSchedule = serde_json::from_str(r#""crash:1@1s,heal@2s""#).unwrap();
        assert_eq!(a, b);
        assert_eq!(serde_json::to_string(&a).unwrap(), r#"["crash:1@1s","heal@2s"]"#);
    }

    /// A scattered partition travels as a bitmap, parses back to the same
    /// schedule, and a damaged bitmap is named, not a panic.
    #[test]
    fn scattered_sets_travel_as_bitmaps() {
        let scattered: Vec<String> = (0..400).filter(|i| i % 3 != 1).map(|i| i.to_string()).collect();
        let text = format!("partition:{}@1s,heal@5s", scattered.join("+"));
        let s: FaultSchedule = text.parse().unwrap();
        let link = s.link_text();
        assert!(
            link.starts_with("partition:~") && link.len() * 5 < text.len(),
            "{} -> {}: {link}",
            text.len(),
            link.len()
        );
        assert_eq!(link.parse::<FaultSchedule>().unwrap(), s);
        // Short and contiguous sets stay readable.
        let short: FaultSchedule = "crash:3@10s,partition:0-49/50-99@2s".parse().unwrap();
        assert_eq!(short.link_text(), "crash:3@10s,partition:0-49/50-99@2s");
        assert!("crash:~!!@1s".parse::<FaultSchedule>().unwrap_err().contains("node bitmap"));
        assert!("crash:~AAA@1s".parse::<FaultSchedule>().unwrap_err().contains("names no node"));
    }
}
