//! The virtual network: who can reach whom, what is lost, how long a message takes.
//!
//! It owns partitions (a group per node), cut links, the loss rate (which faults
//! may change), the latency distribution and the transport model. It draws from
//! its own random stream, so network settings never shift the protocol's choices.

use std::collections::BTreeSet;
use std::fmt;

use crate::protocol::NodeId;
use crate::scenario::{LatencyDist, Oversize, Scenario, Transport};
use crate::sim::rng::{self, Rng};

/// Why a message did not arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum DropReason {
    Loss = 1,
    Partition = 2,
    /// The receiver was crashed (or had left) when the message arrived.
    Down = 3,
    /// Larger than the MTU, with `oversize=drop`.
    Oversize = 4,
    /// The sender's send queue was full (`queue_bytes_max`).
    Queue = 5,
}

impl DropReason {
    pub fn word(self) -> &'static str {
        match self {
            DropReason::Loss => "loss",
            DropReason::Partition => "partition",
            DropReason::Down => "down",
            DropReason::Oversize => "oversize",
            DropReason::Queue => "queue",
        }
    }
}

/// The fate of one message handed to the network.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fate {
    Lost(DropReason),
    /// Delivered after `delay_us`, `copies` times (2 when duplicated).
    Arrives {
        delay_us: u64,
        copies: u8,
    },
}

/// Cloud regions, in the order `regions=k` takes the first k of them.
pub const REGIONS: [&str; 10] = [
    "N. Virginia",
    "Ireland",
    "Tokyo",
    "Oregon",
    "Frankfurt",
    "Singapore",
    "Sydney",
    "São Paulo",
    "Seoul",
    "N. California",
];

/// Average round-trip times in ms between the AWS regions of [`REGIONS`], as
/// measured and published in "Latency Between AWS Global Regions" (2017; the
/// table as reproduced in "A Computer Scientist Learns AWS: AWS Regions"), each
/// pair the mean of its two directions. Rows and columns in [`REGIONS`] order.
pub const REGION_RTT_MS: [[f64; 10]; 10] = [
    [0.0, 80.5, 145.3, 87.8, 88.6, 216.7, 229.9, 119.5, 177.5, 72.2],
    [80.5, 0.0, 212.4, 137.0, 19.6, 238.6, 309.6, 191.3, 242.4, 153.2],
    [145.3, 212.4, 0.0, 89.1, 236.6, 73.8, 103.9, 256.8, 31.4, 102.5],
    [87.8, 137.0, 89.1, 0.0, 159.5, 161.4, 162.1, 182.7, 118.3, 19.3],
    [88.6, 19.6, 236.6, 159.5, 0.0, 325.9, 323.4, 194.9, 265.8, 166.6],
    [216.7, 238.6, 73.8, 161.4, 325.9, 0.0, 175.4, 328.1, 71.6, 174.0],
    [229.9, 309.6, 103.9, 162.1, 323.4, 175.4, 0.0, 322.5, 134.0, 157.7],
    [119.5, 191.3, 256.8, 182.7, 194.9, 328.1, 322.5, 0.0, 286.3, 192.7],
    [177.5, 242.4, 31.4, 118.3, 265.8, 71.6, 134.0, 286.3, 0.0, 132.1],
    [72.2, 153.2, 102.5, 19.3, 166.6, 174.0, 157.7, 192.7, 132.1, 0.0],
];

/// Most regions a custom matrix may have.
pub const MATRIX_REGIONS_MAX: usize = 16;
/// Longest round trip a custom matrix may give (ms).
pub const MATRIX_RTT_MS_MAX: f64 = 60_000.0;

/// A user's round-trip times between regions (`region_rtt`), in place of the
/// built-in table: k rows of k milliseconds (row a, column b: the round trip
/// from a to b; it may differ from b to a), each row optionally named.
///
/// Read from text as a file or a paste holds it: a row per line, the values
/// apart by spaces, tabs or commas, `#` comments and blank lines skipped; a
/// header line of names, a name before each row's values, or both; or in the
/// link's form, rows apart by `;` with `name:` before the values
/// (`east:0,70;west:70,0`), which is how it is written back. Zones are regions
/// a few milliseconds apart. A refusal names the line, the column and the problem.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RttMatrix {
    pub names: Vec<String>,
    /// Row-major, k × k.
    pub rtt_ms: Vec<f64>,
}

impl RttMatrix {
    /// Regions in the matrix (0: none given, the built-in table is used).
    pub fn k(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn rtt(&self, a: usize, b: usize) -> f64 {
        self.rtt_ms[a * self.k() + b]
    }
}

impl std::str::FromStr for RttMatrix {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let rows: Vec<(usize, &str)> = if text.contains('\n') {
            text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect()
        } else {
            text.split(';').map(|r| (1, r)).collect()
        };
        let number = |t: &str| t.parse::<f64>().ok().filter(|_| t.bytes().any(|b| b.is_ascii_digit()));
        let (mut header, mut names, mut values): (Vec<String>, Vec<String>, Vec<Vec<f64>>) = Default::default();
        for (line, raw) in rows {
            let body = raw.split('#').next().unwrap_or("").trim();
            if body.is_empty() {
                continue;
            }
            // The link's form: `name:values`; else a leading word names the row.
            let (name, rest) = match body.split_once(':') {
                Some((n, r)) => (Some(n.trim().to_string()), r),
                None => (None, body),
            };
            let toks: Vec<&str> = rest.split([' ', '\t', ',']).filter(|t| !t.is_empty()).collect();
            if name.is_none() && values.is_empty() && header.is_empty() && toks.iter().all(|t| number(t).is_none()) {
                header = toks.iter().map(|t| t.to_string()).collect();
                continue;
            }
            let (name, toks) = match (name, toks.first()) {
                (Some(n), _) => (n, &toks[..]),
                (None, Some(first)) if number(first).is_none() => (first.to_string(), &toks[1..]),
                (None, _) => (String::new(), &toks[..]),
            };
            let row = toks
                .iter()
                .enumerate()
                .map(|(c, t)| {
                    number(t).filter(|v| (0.0..=MATRIX_RTT_MS_MAX).contains(v)).ok_or_else(|| {
                        format!(
                            "line {line}, column {}: '{}' is not a round trip; allowed 0 to {MATRIX_RTT_MS_MAX} ms",
                            c + 1,
                            t.chars().take(20).collect::<String>()
                        )
                    })
                })
                .collect::<Result<Vec<f64>, String>>()?;
            if values.len() == MATRIX_REGIONS_MAX {
                return Err(format!(
                    "line {line}: more than {MATRIX_REGIONS_MAX} rows; at most {MATRIX_REGIONS_MAX} regions"
                ));
            }
            names.push(name);
            values.push(row);
        }
        let k = values.len();
        if k == 0 {
            return Ok(RttMatrix::default());
        }
        if let Some((r, row)) = values.iter().enumerate().find(|(_, row)| row.len() != k) {
            return Err(format!(
                "row {} ({}) has {} values; a square matrix of {k} rows needs {k} in every row",
                r + 1,
                if names[r].is_empty() { "unnamed".to_string() } else { names[r].clone() },
                row.len()
            ));
        }
        if !header.is_empty() && header.len() != k {
            return Err(format!("the header names {} regions; the matrix has {k} rows", header.len()));
        }
        let names =
            names
                .into_iter()
                .enumerate()
                .map(|(r, n)| {
                    if !n.is_empty() {
                        n
                    } else {
                        header.get(r).cloned().unwrap_or_else(|| format!("region {}", r + 1))
                    }
                })
                .collect();
        Ok(RttMatrix { names, rtt_ms: values.concat() })
    }
}

/// The link's form: `name:0,70;name:70,0`.
impl fmt::Display for RttMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.k();
        for (r, name) in self.names.iter().enumerate() {
            if r > 0 {
                f.write_str(";")?;
            }
            let row: Vec<String> =
                self.rtt_ms[r * k..(r + 1) * k].iter().map(|v| crate::scenario::short_f64(*v)).collect();
            write!(f, "{}:{}", name.replace([';', ':', ','], " "), row.join(","))?;
        }
        Ok(())
    }
}

impl serde::Serialize for RttMatrix {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for RttMatrix {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(|e| serde::de::Error::custom(format!("region_rtt: {e}")))
    }
}

/// The region of node `n` when `nodes` nodes start in `k` regions: blocks of
/// ids, so `partition:A-B` can cut a region off; joiners go round the regions.
pub fn region_of(n: NodeId, nodes: u32, k: u32) -> usize {
    if k == 0 {
        return 0;
    }
    if n < nodes {
        (u64::from(n) * u64::from(k) / u64::from(nodes)) as usize
    } else {
        (n % k) as usize
    }
}

/// Connections a TCP node keeps open; a message to any other peer pays a handshake.
const TCP_POOL: usize = 4;
/// Retransmissions before a TCP connection gives up on a message.
const TCP_MAX_RETRIES: u32 = 15;

#[derive(Clone)]
pub struct Network {
    pub loss_rate: f64,
    latency: LatencyDist,
    latency_us_min: f64,
    latency_us_max: f64,
    duplicate_rate: f64,
    reorder_rate: f64,
    transport: Transport,
    mtu_bytes: u32,
    oversize: Oversize,
    tcp_rto_us: u64,
    /// Partition group per node; all zero when there is no partition.
    group: Vec<u16>,
    partitioned: bool,
    cuts: BTreeSet<(NodeId, NodeId)>,
    /// Per node, the peers it has open TCP connections to (most recent first).
    tcp_pool: Vec<[NodeId; TCP_POOL]>,
    /// Regions in use (0: none) and the nodes that started, for `region_of`.
    regions: u32,
    nodes: u32,
    /// One-way time between regions a and b (µs): `one_way_us[a * regions + b]`.
    one_way_us: Vec<u64>,
    /// Microseconds a byte takes on a node's uplink (0: unlimited), and the send queue's size.
    uplink_us_per_byte: f64,
    queue_bytes_max: f64,
    /// Per node, when its uplink is free again (empty without an uplink).
    busy_until: Vec<u64>,
    /// Messages that went through an uplink, and the time they waited behind others.
    pub queued: u64,
    pub queue_wait_us: u64,
    rng: Rng,
}

impl Network {
    pub fn new(s: &Scenario, capacity: u32) -> Self {
        let tcp = s.transport == Transport::Tcp;
        let mut net = Network {
            loss_rate: 0.0,
            latency: s.latency,
            latency_us_min: 0.0,
            latency_us_max: 0.0,
            duplicate_rate: 0.0,
            reorder_rate: 0.0,
            transport: s.transport,
            mtu_bytes: s.mtu_bytes,
            oversize: s.oversize,
            tcp_rto_us: u64::from(s.tcp_rto_ms) * 1000,
            group: vec![0; capacity as usize],
            partitioned: false,
            cuts: BTreeSet::new(),
            tcp_pool: if tcp { vec![[NodeId::MAX; TCP_POOL]; capacity as usize] } else { Vec::new() },
            regions: s.regions,
            nodes: s.nodes,
            one_way_us: {
                let k = s.regions as usize;
                (0..k * k).map(|i| (s.region_rtt_ms(i / k, i % k) * 500.0) as u64).collect()
            },
            uplink_us_per_byte: 0.0,
            queue_bytes_max: 0.0,
            busy_until: Vec::new(),
            queued: 0,
            queue_wait_us: 0,
            rng: rng::stream(s.seed, rng::Stream::Network),
        };
        net.retune(s);
        if s.timing == crate::scenario::Timing::Timed {
            // Allocated whether or not an uplink is set now: a live change may set one.
            net.busy_until = vec![0; capacity as usize];
        }
        net
    }

    /// Take the scenario's live link settings: loss, latency, duplication, reordering.
    pub fn retune(&mut self, s: &Scenario) {
        self.loss_rate = s.loss_rate;
        self.latency = s.latency;
        self.latency_us_min = s.latency_ms_min * 1000.0;
        self.latency_us_max = s.latency_ms_max * 1000.0;
        self.duplicate_rate = s.duplicate_rate;
        self.reorder_rate = s.reorder_rate;
        self.uplink_us_per_byte = if s.uplink_bytes_per_s > 0.0 { 1e6 / s.uplink_bytes_per_s } else { 0.0 };
        self.queue_bytes_max = f64::from(s.queue_bytes_max);
    }

    /// The one-way time between the regions of `a` and `b`: half their round trip.
    #[inline]
    pub fn region_us(&self, a: NodeId, b: NodeId) -> u64 {
        if self.regions == 0 {
            return 0;
        }
        let (ra, rb) = (region_of(a, self.nodes, self.regions), region_of(b, self.nodes, self.regions));
        self.one_way_us[ra * self.regions as usize + rb]
    }

    /// Whether messages wait for their sender's uplink.
    pub fn has_uplink(&self) -> bool {
        self.uplink_us_per_byte > 0.0 && !self.busy_until.is_empty()
    }

    /// A message of `size` bytes leaves `from` at `now_us`: it waits for the
    /// messages ahead of it in the send queue, then takes size / uplink on the
    /// wire. The wait and the transmission time, or None when the queue is full.
    fn uplink(&mut self, from: NodeId, size: u32, now_us: u64) -> Option<u64> {
        let free = &mut self.busy_until[from as usize];
        let start = (*free).max(now_us);
        let waiting = start - now_us;
        if waiting as f64 / self.uplink_us_per_byte + f64::from(size) > self.queue_bytes_max {
            return None;
        }
        let wire = (f64::from(size) * self.uplink_us_per_byte).ceil() as u64;
        *free = start + wire;
        self.queued += 1;
        self.queue_wait_us += waiting;
        Some(waiting + wire)
    }

    /// Can a message get from `a` to `b` right now?
    #[inline]
    pub fn reachable(&self, a: NodeId, b: NodeId) -> bool {
        if self.partitioned && self.group[a as usize] != self.group[b as usize] {
            return false;
        }
        self.cuts.is_empty() || !self.cuts.contains(&(a.min(b), a.max(b)))
    }

    /// Split the cluster: each listed set becomes a group, unlisted nodes one more.
    pub fn partition(&mut self, groups: &[crate::sim::faults::NodeSet]) {
        self.group.iter_mut().for_each(|g| *g = 0);
        let capacity = self.group.len() as u32;
        for (i, set) in groups.iter().enumerate() {
            for n in set.ids(capacity) {
                self.group[n as usize] = (i + 1) as u16;
            }
        }
        self.partitioned = true;
    }

    pub fn cut(&mut self, a: &crate::sim::faults::NodeSet, b: &crate::sim::faults::NodeSet) {
        let capacity = self.group.len() as u32;
        for x in a.ids(capacity) {
            for y in b.ids(capacity) {
                if x != y {
                    self.cuts.insert((x.min(y), x.max(y)));
                }
            }
        }
    }

    pub fn heal(&mut self) {
        self.partitioned = false;
        self.group.iter_mut().for_each(|g| *g = 0);
        self.cuts.clear();
    }

    pub fn is_partitioned(&self) -> bool {
        self.partitioned || !self.cuts.is_empty()
    }

    /// Partition group of a node (0 when not partitioned), for drawing.
    pub fn group_of(&self, n: NodeId) -> u16 {
        if self.partitioned {
            self.group[n as usize]
        } else {
            0
        }
    }

    /// In rounds: the MTU, if this network is perfect now: datagrams, no loss, no
    /// duplicates, no partition and no cut link, so every message within the MTU
    /// arrives at once and nothing is drawn. Only faults change it (between rounds).
    pub fn perfect_mtu(&self) -> Option<u32> {
        let perfect = self.transport == Transport::Udp
            && self.loss_rate == 0.0
            && self.duplicate_rate == 0.0
            && !self.is_partitioned();
        perfect.then_some(self.mtu_bytes)
    }

    /// Decide the fate of a message of `size` bytes. `timed` selects whether latency matters.
    // Inlined where speed is all (native); one copy in the page, whose size is budgeted.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub fn transmit(&mut self, from: NodeId, to: NodeId, size: u32, timed: bool, now_us: u64) -> Fate {
        // The common case of a large run in rounds: a perfect datagram network draws nothing.
        if !timed && self.perfect_mtu().is_some_and(|mtu| size <= mtu) {
            return Fate::Arrives { delay_us: 0, copies: 1 };
        }
        self.transmit_any(from, to, size, timed, now_us)
    }

    fn transmit_any(&mut self, from: NodeId, to: NodeId, size: u32, timed: bool, now_us: u64) -> Fate {
        if !self.reachable(from, to) {
            return Fate::Lost(DropReason::Partition);
        }
        // The sender's uplink first: a message leaves (or is lost) only after those ahead of it.
        let sent_after = if timed && self.has_uplink() {
            match self.uplink(from, size, now_us) {
                Some(us) => us,
                None => return Fate::Lost(DropReason::Queue),
            }
        } else {
            0
        };
        let mut delay_us = sent_after + if timed { self.latency_us() + self.region_us(from, to) } else { 0 };
        match self.transport {
            Transport::Udp => {
                let fragments = if size > self.mtu_bytes {
                    if self.oversize == Oversize::Drop {
                        return Fate::Lost(DropReason::Oversize);
                    }
                    size.div_ceil(self.mtu_bytes)
                } else {
                    1
                };
                if self.loss_rate > 0.0 {
                    for _ in 0..fragments {
                        if rng::chance(&mut self.rng, self.loss_rate) {
                            return Fate::Lost(DropReason::Loss);
                        }
                    }
                }
            }
            Transport::Tcp => {
                let mut retries = 0;
                while self.loss_rate > 0.0 && rng::chance(&mut self.rng, self.loss_rate) {
                    retries += 1;
                    if retries > TCP_MAX_RETRIES {
                        return Fate::Lost(DropReason::Loss);
                    }
                    delay_us += self.tcp_rto_us << (retries - 1).min(6);
                }
                if timed && !self.tcp_connected(from, to) {
                    // SYN, SYN-ACK: one round trip before the first byte.
                    delay_us += self.latency_us() + self.latency_us();
                }
            }
        }
        let mut copies = 1;
        if self.duplicate_rate > 0.0
            && self.transport == Transport::Udp
            && rng::chance(&mut self.rng, self.duplicate_rate)
        {
            copies = 2;
        }
        if timed && self.reorder_rate > 0.0 && rng::chance(&mut self.rng, self.reorder_rate) {
            delay_us += self.latency_us_max as u64;
        }
        Fate::Arrives { delay_us, copies }
    }

    /// Is there an open connection from `from` to `to`? Opens one (evicting the oldest) if not.
    fn tcp_connected(&mut self, from: NodeId, to: NodeId) -> bool {
        let pool = &mut self.tcp_pool[from as usize];
        if let Some(i) = pool.iter().position(|&p| p == to) {
            pool[..=i].rotate_right(1);
            return true;
        }
        pool.rotate_right(1);
        pool[0] = to;
        false
    }

    /// A crashed node loses its connections.
    pub fn reset_node(&mut self, n: NodeId) {
        if let Some(pool) = self.tcp_pool.get_mut(n as usize) {
            *pool = [NodeId::MAX; TCP_POOL];
        }
    }

    /// One latency sample in microseconds.
    pub fn latency_us(&mut self) -> u64 {
        let (lo, hi) = (self.latency_us_min, self.latency_us_max);
        let mean = 0.5 * (lo + hi);
        let v = match self.latency {
            LatencyDist::Constant => lo,
            LatencyDist::Uniform => lo + (hi - lo) * rng::unit(&mut self.rng),
            LatencyDist::Exponential => lo - (mean - lo) * (1.0 - rng::unit(&mut self.rng)).ln(),
            LatencyDist::LogNormal => {
                // sigma 0.5 around the mean: exp(mu + sigma^2/2) = mean - lo, shifted by lo.
                const SIGMA: f64 = 0.5;
                let tail = (mean - lo).max(1.0);
                let mu = tail.ln() - 0.5 * SIGMA * SIGMA;
                lo + (mu + SIGMA * self.normal()).exp()
            }
        };
        v.max(0.0) as u64
    }

    /// A standard normal by Box-Muller (portable: only `ln`, `sqrt`, `cos`).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - rng::unit(&mut self.rng);
        let u2 = rng::unit(&mut self.rng);
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::faults::NodeSet;

    fn net(pairs: &[&str]) -> Network {
        let mut s = Scenario::default();
        s.apply_pairs(pairs.iter().copied()).unwrap();
        Network::new(&s, s.nodes)
    }

    /// The region table is a table of round trips: symmetric, zero on the
    /// diagonal, the neighbours close (Ireland-Frankfurt, Oregon-N. California
    /// about 20 ms) and the antipodes far (Frankfurt-Singapore, São Paulo-Singapore over 300 ms).
    #[test]
    fn region_table_is_a_round_trip_table() {
        for (a, row) in REGION_RTT_MS.iter().enumerate() {
            assert_eq!(row[a], 0.0);
            for (b, &rtt) in row.iter().enumerate() {
                assert_eq!(rtt, REGION_RTT_MS[b][a], "{} - {}", REGIONS[a], REGIONS[b]);
                assert!(a == b || (19.0..330.0).contains(&rtt));
            }
        }
        assert!(REGION_RTT_MS[1][4] < 20.0 && REGION_RTT_MS[3][9] < 20.0);
        assert!(REGION_RTT_MS[4][5] > 300.0 && REGION_RTT_MS[7][5] > 300.0);
    }

    /// A user's matrix reads as a file or a paste holds it (a header, names,
    /// comments, commas) and as the link writes it, and is refused by line and column.
    #[test]
    fn a_custom_matrix_reads_and_explains() {
        let file = "# RTT ms\n      east  west  asia\neast  0  70  140\nwest  70, 0, 90 # zone b\n\nasia 140 90 0\n";
        let m: RttMatrix = file.parse().unwrap();
        assert_eq!(m.names, ["east", "west", "asia"]);
        assert_eq!((m.rtt(0, 2), m.rtt(2, 1)), (140.0, 90.0));
        assert_eq!(m.to_string(), "east:0,70,140;west:70,0,90;asia:140,90,0");
        assert_eq!(m.to_string().parse::<RttMatrix>().unwrap(), m);
        let bare: RttMatrix = "0 5\n5 0".parse().unwrap();
        assert_eq!(bare.names, ["region 1", "region 2"]);
        for (text, says) in [
            ("a 0 1\nb 1 0 3\n", "row 2 (b) has 3 values; a square matrix of 2 rows needs 2"),
            ("0 1\n1 x\n", "line 2, column 2: 'x' is not a round trip; allowed 0 to 60000 ms"),
            ("0 -4\n-4 0", "line 1, column 2: '-4' is not a round trip"),
            ("a b c\n0 1\n1 0", "the header names 3 regions; the matrix has 2 rows"),
        ] {
            let e = text.parse::<RttMatrix>().unwrap_err();
            assert!(e.contains(says), "{text:?}: {e}");
        }
        let big = vec!["0"; 17].join(";");
        assert!(big.parse::<RttMatrix>().unwrap_err().contains("at most 16 regions"));
        let mut s = Scenario::default();
        s.apply_pairs(["timing=timed", "regions=5", "region_rtt=a:0,1;b:1,0"]).unwrap();
        assert_eq!(s.validate().unwrap_err().to_string(), "regions: 5 regions but region_rtt has 2; allowed 0 to 2");
    }

    /// The built-in table written out as a matrix runs exactly as the table;
    /// another matrix sets another delay.
    #[test]
    fn a_custom_matrix_sets_the_latency() {
        let rows: Vec<String> = (0..3)
            .map(|a| {
                format!(
                    "{}:{}",
                    REGIONS[a],
                    (0..3).map(|b| REGION_RTT_MS[a][b].to_string()).collect::<Vec<_>>().join(",")
                )
            })
            .collect();
        let custom = format!("region_rtt={}", rows.join(";"));
        let base = ["nodes=90", "timing=timed", "regions=3", "max_rounds=20", "latency=exponential"];
        let run = |extra: &[&str]| {
            let mut s = Scenario::default();
            s.apply_pairs(base.iter().chain(extra).copied()).unwrap();
            s.validate().unwrap();
            crate::run(&s).unwrap()
        };
        assert_eq!(run(&[custom.as_str()]).trace_hash, run(&[]).trace_hash);
        let mut n = net(&[
            "nodes=100",
            "timing=timed",
            "regions=2",
            "region_rtt=east:1,300;west:300,1",
            "latency=constant",
            "latency_ms_min=2",
            "latency_ms_max=2",
        ]);
        let delay = |n: &mut Network, a, b| match n.transmit(a, b, 100, true, 0) {
            Fate::Arrives { delay_us, .. } => delay_us,
            f => panic!("{f:?}"),
        };
        assert_eq!(delay(&mut n, 1, 2), 2_000 + 500);
        assert_eq!(delay(&mut n, 1, 70), 2_000 + 150_000);
    }

    /// A message between regions takes half their round trip plus the latency
    /// setting; within a region, the latency setting alone. Nodes are placed in
    /// blocks of ids; joiners go round the regions.
    #[test]
    fn regions_set_the_latency() {
        let mut n = net(&[
            "nodes=300",
            "timing=timed",
            "regions=3",
            "latency=constant",
            "latency_ms_min=2",
            "latency_ms_max=2",
        ]);
        assert_eq!(
            (region_of(0, 300, 3), region_of(99, 300, 3), region_of(100, 300, 3), region_of(299, 300, 3)),
            (0, 0, 1, 2)
        );
        assert_eq!(region_of(301, 300, 3), 1);
        let delay = |n: &mut Network, a, b| match n.transmit(a, b, 100, true, 0) {
            Fate::Arrives { delay_us, .. } => delay_us,
            f => panic!("{f:?}"),
        };
        assert_eq!(delay(&mut n, 5, 6), 2_000, "within N. Virginia");
        assert_eq!(delay(&mut n, 5, 150), 2_000 + 40_250, "N. Virginia - Ireland, 80.5 ms round trip");
        assert_eq!(delay(&mut n, 250, 150), 2_000 + 106_200, "Tokyo - Ireland, 212.4 ms round trip");
        let mut none = net(&["nodes=300", "timing=timed", "latency=constant", "latency_ms_min=2", "latency_ms_max=2"]);
        assert_eq!(delay(&mut none, 5, 250), 2_000);
    }

    /// The measured loss fraction matches loss_rate (within 4 standard errors over 100k messages).
    #[test]
    fn loss_rate_is_respected() {
        let mut n = net(&["loss_rate=0.3"]);
        let trials = 100_000;
        let lost = (0..trials).filter(|_| matches!(n.transmit(0, 1, 100, false, 0), Fate::Lost(_))).count();
        let p = lost as f64 / trials as f64;
        let se = (0.3f64 * 0.7 / trials as f64).sqrt();
        assert!((p - 0.3).abs() < 4.0 * se, "p = {p}");
    }

    /// Split datagrams are lost if any fragment is: 3 fragments at 10% loss arrive with (0.9)^3.
    #[test]
    fn fragments_multiply_loss() {
        let mut n = net(&["loss_rate=0.1", "mtu_bytes=100", "oversize=split"]);
        let trials = 100_000;
        let ok = (0..trials).filter(|_| matches!(n.transmit(0, 1, 250, false, 0), Fate::Arrives { .. })).count();
        let p = ok as f64 / trials as f64;
        let expect = 0.9f64.powi(3);
        assert!((p - expect).abs() < 4.0 * (expect * (1.0 - expect) / trials as f64).sqrt(), "p = {p}");
        let mut d = net(&["mtu_bytes=100", "oversize=drop"]);
        assert_eq!(d.transmit(0, 1, 101, false, 0), Fate::Lost(DropReason::Oversize));
    }

    /// Each latency shape stays within its bounds and has the documented mean.
    #[test]
    fn latency_shapes() {
        for (shape, mean_ms) in [("constant", 10.0), ("uniform", 30.0), ("exponential", 30.0), ("lognormal", 30.0)] {
            let mut n = net(&[&format!("latency={shape}"), "latency_ms_min=10", "latency_ms_max=50"]);
            let k = 50_000;
            let samples: Vec<u64> = (0..k).map(|_| n.latency_us()).collect();
            assert!(samples.iter().all(|&s| s >= 10_000), "{shape} below min");
            if shape == "uniform" {
                assert!(samples.iter().all(|&s| s <= 50_000));
            }
            let mean = samples.iter().sum::<u64>() as f64 / k as f64 / 1000.0;
            assert!((mean - mean_ms).abs() < mean_ms * 0.03, "{shape}: mean {mean} ms, want {mean_ms}");
        }
    }

    /// Partitions and cuts block exactly the links they name, and heal restores them.
    #[test]
    fn partition_cut_heal() {
        let mut n = net(&["nodes=10"]);
        n.partition(&[NodeSet::range(0, 4)]);
        assert!(n.reachable(0, 4) && n.reachable(5, 9));
        assert!(!n.reachable(0, 5));
        assert_eq!(n.transmit(4, 5, 10, false, 0), Fate::Lost(DropReason::Partition));
        n.heal();
        n.cut(&NodeSet::single(1), &NodeSet::single(2));
        assert!(!n.reachable(2, 1) && n.reachable(1, 3));
        n.heal();
        assert!(n.reachable(1, 2));
    }

    /// TCP never loses at moderate loss: it pays an RTO per retransmission, and a handshake on a new connection.
    #[test]
    fn tcp_pays_in_delay() {
        let mut n = net(&[
            "transport=tcp",
            "loss_rate=0.5",
            "latency=constant",
            "latency_ms_min=10",
            "latency_ms_max=10",
            "tcp_rto_ms=200",
        ]);
        let mut total = 0u64;
        for _ in 0..1000 {
            match n.transmit(0, 1, 100, true, 0) {
                Fate::Arrives { delay_us, .. } => total += delay_us,
                Fate::Lost(_) => panic!("tcp lost a message at 50% loss"),
            }
        }
        // Without loss each message would take 10 ms (after the first, which adds a 20 ms handshake).
        assert!(total > 1000 * 10_000 + 20_000 + 1000 * 100_000, "retransmissions must cost time: {total}");
    }
}
