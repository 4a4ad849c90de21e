//! A table of what every node believes of every node (observer o, subject p),
//! stored as what most observers agree on plus where each observer differs.
//!
//! In a membership protocol whose entries settle (SWIM: alive at incarnation
//! 0), nearly every observer holds the same entry for a subject almost all
//! the time: news spreads in a few rounds, and then everyone agrees again. So
//! each subject keeps one shared entry (`base`), and each observer the few
//! entries where it differs, sorted by subject; a subject whose news has
//! reached more than half of the observers takes the news as its shared entry
//! (`rebase`). The table holds about one entry per node plus what is in flight,
//! instead of n²; an observer that differs in many places (one that just
//! restarted and knows nobody) keeps a full row until it agrees again.
//! Reading is the same value a dense table would give, so a protocol behaves
//! exactly as with one. Subjects may outnumber observers: heartbeat membership
//! keeps one subject per (node, application key).

#[derive(Clone, Debug)]
enum Row<V> {
    /// Where the observer differs from the shared entries, by subject.
    Sparse(Vec<(u32, V)>),
    /// Every subject's entry (an observer that differs in many places).
    Dense(Vec<V>),
}

#[derive(Clone, Debug)]
pub struct SharedTable<V> {
    base: Vec<V>,
    rows: Vec<Row<V>>,
    /// Per subject: observers whose entry differs from the shared one.
    differ: Vec<u32>,
    /// Per observer: subjects where it differs (kept for dense rows too).
    row_differs: Vec<u32>,
    /// Per subject: writes since a look for a new shared entry found no
    /// majority (0: none failed), so that the next look waits for a quarter of
    /// the observers' writes (entries that never agree, a suspicion's local
    /// time, cost no more than a constant per write).
    tries: Vec<u32>,
}

impl<V: Copy + PartialEq> SharedTable<V> {
    /// `n` observers and subjects, every entry `fill`.
    pub fn new(n: usize, fill: V) -> Self {
        Self::with_shape(n, n, fill)
    }

    /// `observers` rows of `subjects` entries, every entry `fill`.
    pub fn with_shape(observers: usize, subjects: usize, fill: V) -> Self {
        Self::around(vec![fill; subjects], observers)
    }

    /// `base[p]` for subject p, held by every observer.
    pub fn from_base(base: Vec<V>) -> Self {
        let n = base.len();
        Self::around(base, n)
    }

    /// `observers` rows that all hold `base`.
    fn around(base: Vec<V>, observers: usize) -> Self {
        let subjects = base.len();
        SharedTable {
            base,
            rows: vec![Row::Sparse(Vec::new()); observers],
            differ: vec![0; subjects],
            row_differs: vec![0; observers],
            tries: vec![0; subjects],
        }
    }

    fn observers(&self) -> usize {
        self.rows.len()
    }

    fn subjects(&self) -> usize {
        self.base.len()
    }

    /// A row goes dense past this many differences, and back below a quarter of it.
    fn dense_at(&self) -> usize {
        (self.subjects() / 16).max(8)
    }

    /// What `o` holds for `p`.
    #[inline]
    pub fn get(&self, o: usize, p: usize) -> V {
        match &self.rows[o] {
            Row::Sparse(d) if d.is_empty() => self.base[p],
            Row::Sparse(d) => match d.binary_search_by_key(&(p as u32), |e| e.0) {
                Ok(i) => d[i].1,
                Err(_) => self.base[p],
            },
            Row::Dense(all) => all[p],
        }
    }

    /// `o` now holds `v` for `p`.
    pub fn set(&mut self, o: usize, p: usize, v: V) {
        let old = self.get(o, p);
        if old == v {
            return;
        }
        let (was, is) = (old != self.base[p], v != self.base[p]);
        match &mut self.rows[o] {
            Row::Dense(all) => all[p] = v,
            Row::Sparse(d) => match (d.binary_search_by_key(&(p as u32), |e| e.0), is) {
                (Ok(i), true) => d[i].1 = v,
                (Ok(i), false) => {
                    d.remove(i);
                }
                (Err(i), true) => d.insert(i, (p as u32, v)),
                (Err(_), false) => {}
            },
        }
        match (was, is) {
            (false, true) => {
                self.differ[p] += 1;
                self.row_differs[o] += 1;
            }
            (true, false) => {
                self.differ[p] -= 1;
                self.row_differs[o] -= 1;
            }
            _ => {}
        }
        self.tidy_row(o);
        if is && self.differ[p] as usize * 2 > self.observers() {
            let tries = self.tries[p];
            self.tries[p] = if tries == 0 || tries as usize * 4 >= self.observers() {
                u32::from(!self.rebase(p))
            } else {
                tries + 1
            };
        }
    }

    /// Set `o`'s whole row: `fill` everywhere but the `except` entries (the
    /// last one for a subject counts). Only the differences from the shared
    /// entries are kept, unless there are many.
    pub fn reset_row(&mut self, o: usize, fill: V, except: &[(usize, V)]) {
        let mut except: Vec<(usize, V)> = except.to_vec();
        except.reverse();
        except.sort_by_key(|e| e.0); // stable: the last entry for a subject first
        except.dedup_by_key(|e| e.0);
        let mut except = except.into_iter().peekable();
        let mut diffs: Vec<(u32, V)> = Vec::new();
        for p in 0..self.subjects() {
            let v = except.next_if(|e| e.0 == p).map_or(fill, |e| e.1);
            let was = self.get(o, p) != self.base[p];
            let is = v != self.base[p];
            if was != is {
                if is {
                    self.differ[p] += 1;
                } else {
                    self.differ[p] -= 1;
                }
            }
            if is {
                diffs.push((p as u32, v));
            }
        }
        self.row_differs[o] = diffs.len() as u32;
        self.rows[o] = Row::Sparse(diffs);
        self.tidy_row(o);
    }

    /// A dense row that differs in few places goes sparse; a sparse one that
    /// differs in many goes dense.
    fn tidy_row(&mut self, o: usize) {
        let (count, at) = (self.row_differs[o] as usize, self.dense_at());
        let row = match &self.rows[o] {
            Row::Sparse(d) if d.len() > at => {
                let mut all = self.base.clone();
                for &(p, v) in d {
                    all[p as usize] = v;
                }
                Row::Dense(all)
            }
            Row::Dense(all) if count < at / 4 => Row::Sparse(
                all.iter()
                    .zip(&self.base)
                    .enumerate()
                    .filter(|(_, (v, b))| v != b)
                    .map(|(p, (v, _))| (p as u32, *v))
                    .collect(),
            ),
            _ => return,
        };
        self.rows[o] = row;
    }

    /// The entry most observers hold for `p`, if more than half hold one (Boyer
    /// and Moore's majority vote), becomes its shared entry: the observers that
    /// hold it no longer differ, those that held the old one now do. False when
    /// no entry has a majority.
    fn rebase(&mut self, p: usize) -> bool {
        let old = self.base[p];
        let held: Vec<V> = (0..self.observers()).map(|o| self.get(o, p)).collect();
        let (mut v, mut count) = (held[0], 0usize);
        for &h in &held {
            if count == 0 {
                v = h;
            }
            count = if h == v { count + 1 } else { count - 1 };
        }
        if v == old || held.iter().filter(|&&h| h == v).count() * 2 <= held.len() {
            return false;
        }
        self.base[p] = v;
        let mut differ = 0;
        for (o, &h) in held.iter().enumerate() {
            let (was, is) = (h != old, h != v);
            match &mut self.rows[o] {
                Row::Dense(_) => {}
                Row::Sparse(d) => match (d.binary_search_by_key(&(p as u32), |e| e.0), is) {
                    (Ok(i), false) => {
                        d.remove(i);
                    }
                    (Err(i), true) => d.insert(i, (p as u32, h)),
                    _ => {}
                },
            }
            match (was, is) {
                (false, true) => self.row_differs[o] += 1,
                (true, false) => self.row_differs[o] -= 1,
                _ => {}
            }
            differ += u32::from(is);
        }
        self.differ[p] = differ;
        for o in 0..self.observers() {
            self.tidy_row(o);
        }
        true
    }

    /// Bytes held (for the memory figures).
    pub fn bytes(&self) -> usize {
        let entry = std::mem::size_of::<V>();
        let rows: usize = self
            .rows
            .iter()
            .map(|r| match r {
                Row::Sparse(d) => d.capacity() * std::mem::size_of::<(u32, V)>(),
                Row::Dense(all) => all.capacity() * entry,
            })
            .sum();
        self.base.len() * (entry + 8) + self.rows.len() * std::mem::size_of::<Row<V>>() + rows
    }
}

#[cfg(test)]
mod tests {
    use super::SharedTable;
    use crate::sim::rng::{self, Stream};

    /// Against a dense table of `n` observers and `m` subjects, under random
    /// writes that spread news as gossip does (a value reaching more and more
    /// observers) and rows reset as a restart does: every read agrees, and the
    /// counts of differences hold.
    fn reads_as_a_dense_table(n: usize, m: usize) {
        let mut dense = vec![0u8; n * m];
        let mut shared = SharedTable::with_shape(n, m, 0u8);
        let mut r = rng::stream(7, Stream::Protocol);
        for step in 0..40_000 {
            let (o, p) = (rng::index(&mut r, n as u32) as usize, rng::index(&mut r, m as u32) as usize);
            if step % 2000 == 1999 {
                let except = [(p, 9u8), (0, 1u8)];
                shared.reset_row(o, 5, &except);
                dense[o * m..(o + 1) * m].fill(5);
                for &(q, v) in &except {
                    dense[o * m + q] = v;
                }
            } else {
                // News about p: mostly the latest value, now and then an older one.
                let v = ((step / 500) as u8).wrapping_sub(u8::from(rng::index(&mut r, 10) == 0)) % 7;
                shared.set(o, p, v);
                dense[o * m + p] = v;
            }
            if step % 997 == 0 {
                for o in 0..n {
                    for p in 0..m {
                        assert_eq!(shared.get(o, p), dense[o * m + p], "step {step}: ({o}, {p})");
                    }
                }
                for p in 0..m {
                    let d = (0..n).filter(|&o| dense[o * m + p] != shared.base[p]).count() as u32;
                    assert_eq!(shared.differ[p], d, "step {step}: subject {p}");
                }
                for o in 0..n {
                    let d = (0..m).filter(|&p| dense[o * m + p] != shared.base[p]).count() as u32;
                    assert_eq!(shared.row_differs[o], d, "step {step}: observer {o}");
                }
            }
        }
    }

    #[test]
    fn square_reads_as_a_dense_table() {
        reads_as_a_dense_table(60, 60);
    }

    /// Membership's keys: each observer holds `keys` entries per node.
    #[test]
    fn wide_reads_as_a_dense_table() {
        reads_as_a_dense_table(30, 30 * 4);
    }

    /// News that reaches everyone ends as the shared entry, with no row holding it.
    #[test]
    fn agreed_news_costs_nothing() {
        let n = 1000;
        let mut t = SharedTable::new(n, 0u32);
        for o in 0..n {
            t.set(o, 17, 3);
        }
        assert_eq!(t.base[17], 3);
        assert!(t.differ.iter().all(|&d| d == 0));
        assert!(t.bytes() < n * 100, "{} bytes, against {} for a dense table", t.bytes(), n * n * 4);
    }
}
