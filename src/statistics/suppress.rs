//! Small-cell suppression of one snapshot: primary (every count from 1 to `threshold − 1`)
//! and complementary (more cells withheld until no withheld primary cell can be pinned
//! down from what is published).
//!
//! The attacker this protects against knows every published count, every additive
//! relation between counts (`total = Σ parts`: a region and its children, a total and its
//! categories, a year and its months), that counts are whole and non-negative, that zeros
//! are always published, that a primary cell lies in `1..threshold` and a complementary
//! one at or above `threshold`. For each withheld primary cell of value `v`, every
//! relation it is in must be able to absorb moving it to 1 and to `threshold − 1` through
//! the other withheld cells of that relation, each within what the attacker knows of it;
//! a complementary cell must be movable too, so that the absorbing move is not itself
//! pinned by another relation. Cells are added until every relation passes; the
//! integer-programming test (`tests/api/suppression.rs`) checks the result against an
//! exact attacker.

use serde::{Deserialize, Serialize};

/// What a reader may see of one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mark {
    /// The value is published.
    #[serde(rename = "p")]
    Published,
    /// Withheld: the count lies between 1 and the threshold (primary suppression).
    #[serde(rename = "s")]
    Small,
    /// Withheld so that a small cell cannot be worked out from the others.
    #[serde(rename = "c")]
    Complementary,
}

/// `total = Σ parts`, by index into the cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub total: usize,
    pub parts: Vec<usize>,
}

/// The marks of `values` under `relations` with small cells below `threshold` (≥ 2).
pub fn suppress(values: &[i64], relations: &[Relation], threshold: i64) -> Vec<Mark> {
    let mut marks: Vec<Mark> = values
        .iter()
        .map(|&v| {
            if v > 0 && v < threshold {
                Mark::Small
            } else {
                Mark::Published
            }
        })
        .collect();
    // Which relations each cell is in, to revisit them when a cell is withheld.
    let mut member_of: Vec<Vec<usize>> = vec![Vec::new(); values.len()];
    for (r, rel) in relations.iter().enumerate() {
        member_of[rel.total].push(r);
        for &p in &rel.parts {
            member_of[p].push(r);
        }
    }
    // Rounds: derive what the attacker can bound each withheld cell to from all relations
    // at once, then protect each relation with those bounds; until nothing is added.
    loop {
        let bounds = propagate(values, relations, &marks, threshold);
        let mut any = false;
        let mut queue: std::collections::VecDeque<usize> = (0..relations.len())
            .filter(|&r| cells_of(&relations[r]).any(|c| marks[c] != Mark::Published))
            .collect();
        let mut queued = vec![false; relations.len()];
        for &r in &queue {
            queued[r] = true;
        }
        while let Some(r) = queue.pop_front() {
            queued[r] = false;
            for added in protect(values, &relations[r], &mut marks, &bounds, threshold) {
                any = true;
                for &other in &member_of[added] {
                    if !queued[other] {
                        queued[other] = true;
                        queue.push_back(other);
                    }
                }
            }
        }
        if !any {
            break;
        }
    }
    marks
}

fn cells_of(rel: &Relation) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(rel.total).chain(rel.parts.iter().copied())
}

/// Unbounded above; a quarter of `i64::MAX` keeps sums from overflowing.
const UNBOUNDED: i64 = i64::MAX / 4;

/// What the attacker knows of a cell before any relation: its mark's range.
fn nominal(value: i64, mark: Mark, threshold: i64) -> (i64, i64) {
    match mark {
        Mark::Small => (1, threshold - 1),
        Mark::Complementary => (threshold, UNBOUNDED),
        Mark::Published => (value, value),
    }
}

/// The bounds the attacker derives for every cell by propagating the relations' sums
/// (interval reasoning, repeated until nothing narrows or for a bounded number of rounds).
fn propagate(
    values: &[i64],
    relations: &[Relation],
    marks: &[Mark],
    threshold: i64,
) -> Vec<(i64, i64)> {
    let mut bounds: Vec<(i64, i64)> = values
        .iter()
        .zip(marks)
        .map(|(&v, &m)| nominal(v, m, threshold))
        .collect();
    for _ in 0..32 {
        let mut narrowed = false;
        for rel in relations {
            let signed: Vec<(usize, i64)> = std::iter::once((rel.total, -1))
                .chain(rel.parts.iter().map(|&p| (p, 1)))
                .collect();
            if signed.iter().all(|&(c, _)| marks[c] == Mark::Published) {
                continue;
            }
            // Σ sign·x = 0: bounds of the signed sum.
            let (mut lo, mut hi) = (0i64, 0i64);
            for &(c, s) in &signed {
                let (l, h) = bounds[c];
                if s > 0 {
                    lo = lo.saturating_add(l);
                    hi = hi.saturating_add(h);
                } else {
                    lo = lo.saturating_sub(h);
                    hi = hi.saturating_sub(l);
                }
            }
            for &(c, s) in &signed {
                if marks[c] == Mark::Published {
                    continue;
                }
                let (l, h) = bounds[c];
                // The rest's signed sum lies in [lo − s·x's lo, hi − …]; x = −rest / s.
                let (rest_lo, rest_hi) = if s > 0 {
                    (lo.saturating_sub(l), hi.saturating_sub(h))
                } else {
                    (lo.saturating_add(h), hi.saturating_add(l))
                };
                let (new_l, new_h) = if s > 0 {
                    (-rest_hi, -rest_lo)
                } else {
                    (rest_lo, rest_hi)
                };
                let tightened = (l.max(new_l), h.min(new_h.max(l)));
                if tightened != (l, h) && tightened.0 <= tightened.1 {
                    bounds[c] = tightened;
                    narrowed = true;
                }
            }
        }
        if !narrowed {
            break;
        }
    }
    bounds
}

/// The moves a withheld cell must be able to make (down, up) for the attacker to learn
/// nothing: a small cell its whole range, a complementary cell at least the span of a
/// small cell upwards (downwards as far as it can go, up to that span).
fn needed(value: i64, mark: Mark, threshold: i64) -> (i64, i64) {
    match mark {
        Mark::Small => (value - 1, threshold - 1 - value),
        Mark::Complementary => ((value - threshold).min(threshold - 1), threshold - 1),
        Mark::Published => (0, 0),
    }
}

/// Withholds cells of `rel` until each withheld cell's needed moves can be absorbed by
/// the others; returns the cells it withheld.
fn protect(
    values: &[i64],
    rel: &Relation,
    marks: &mut [Mark],
    bounds: &[(i64, i64)],
    threshold: i64,
) -> Vec<usize> {
    let mut added = Vec::new();
    // Signed cells: a part moves with +1, the total with −1 (Σ sign·x = 0).
    let signed: Vec<(usize, i64)> = std::iter::once((rel.total, -1))
        .chain(rel.parts.iter().map(|&p| (p, 1)))
        .collect();
    loop {
        let Some(shortfall) = worst_shortfall(values, &signed, marks, bounds, threshold) else {
            return added;
        };
        match pick(values, &signed, marks, shortfall, threshold) {
            Some(cell) => {
                marks[cell] = Mark::Complementary;
                added.push(cell);
            }
            // Nothing left to withhold in this relation (the rest are zeros): the move is
            // absorbed elsewhere or not at all; other relations of the cell still count.
            None => return added,
        }
    }
}

/// A move the relation cannot absorb: (the cell's sign × direction, amount).
#[derive(Debug, Clone, Copy)]
struct Shortfall {
    /// +1: the others must be able to raise Σ sign·x by `amount`; −1: lower it.
    direction: i64,
    amount: i64,
}

fn worst_shortfall(
    values: &[i64],
    signed: &[(usize, i64)],
    marks: &[Mark],
    bounds: &[(i64, i64)],
    threshold: i64,
) -> Option<Shortfall> {
    let withheld: Vec<(usize, i64)> = signed
        .iter()
        .copied()
        .filter(|&(c, _)| marks[c] != Mark::Published)
        .collect();
    if withheld.is_empty() {
        return None;
    }
    let mut worst: Option<Shortfall> = None;
    for (i, &(cell, sign)) in withheld.iter().enumerate() {
        let (down, up) = needed(values[cell], marks[cell], threshold);
        // Capacity of the others to change Σ sign·x upwards and downwards.
        let (mut raise, mut lower) = (0i64, 0i64);
        for (j, &(other, s)) in withheld.iter().enumerate() {
            if i == j {
                continue;
            }
            // A cell just withheld in this round has its nominal range until the next.
            let (lo, hi) = if marks[other] == Mark::Published {
                (values[other], values[other])
            } else if bounds[other].0 == bounds[other].1 && bounds[other].0 == values[other] {
                nominal(values[other], marks[other], threshold)
            } else {
                bounds[other]
            };
            let (d, u) = (values[other] - lo, hi - values[other]);
            if s > 0 {
                raise = raise.saturating_add(u);
                lower = lower.saturating_add(d);
            } else {
                raise = raise.saturating_add(d);
                lower = lower.saturating_add(u);
            }
        }
        // The cell moving up by `up` changes Σ sign·x by sign·up; the others undo it.
        for (amount, dir) in [(up, sign), (down, -sign)] {
            if amount <= 0 {
                continue;
            }
            let capacity = if dir > 0 { lower } else { raise };
            if capacity < amount {
                let missing = Shortfall {
                    direction: -dir,
                    amount: amount - capacity,
                };
                if worst.is_none_or(|w| missing.amount > w.amount) {
                    worst = Some(missing);
                }
            }
        }
    }
    worst
}

/// The published cell that best covers `short`: one that can, with the least value;
/// otherwise the one with the most room. Zeros are never withheld.
fn pick(
    values: &[i64],
    signed: &[(usize, i64)],
    marks: &[Mark],
    short: Shortfall,
    threshold: i64,
) -> Option<usize> {
    let candidates = signed
        .iter()
        .copied()
        .filter(|&(c, _)| marks[c] == Mark::Published && values[c] > 0);
    let mut best_fit: Option<(i64, usize)> = None;
    let mut most: Option<(i64, usize)> = None;
    for (cell, sign) in candidates {
        // As a complementary cell it can go up without bound and down to the threshold.
        let v = values[cell];
        let covers = sign * short.direction > 0 || v - threshold >= short.amount;
        if covers && best_fit.is_none_or(|(bv, _)| v < bv) {
            best_fit = Some((v, cell));
        }
        if most.is_none_or(|(mv, _)| v > mv) {
            most = Some((v, cell));
        }
    }
    best_fit.or(most).map(|(_, c)| c)
}
