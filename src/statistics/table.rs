//! The published table of a snapshot as cells and the additive relations between them:
//! every region's value of an indicator is the sum of its children's (virtual living
//! areas included, as they are children of their township in the tree), and within a
//! region a total is the sum of its categories (a year of its months, a denominator of
//! its covered and not covered).

use super::suppress::Relation;

/// A region of the tree, by index of its parent (`None` for the root of the table).
#[derive(Debug, Clone)]
pub struct Node {
    pub code: String,
    pub parent: Option<usize>,
}

/// A total of one region and the categories it is the sum of, by indicator index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub total: usize,
    pub parts: Vec<usize>,
}

/// Cells are `region × indicator`, in region-major order.
#[derive(Debug, Clone)]
pub struct Table {
    pub nodes: Vec<Node>,
    pub indicators: usize,
    pub values: Vec<i64>,
}

impl Table {
    /// A table of zeros over `nodes` (parents before children) and `indicators`.
    pub fn new(nodes: Vec<Node>, indicators: usize) -> Self {
        let values = vec![0; nodes.len() * indicators];
        Self {
            nodes,
            indicators,
            values,
        }
    }

    pub fn cell(&self, node: usize, indicator: usize) -> usize {
        node * self.indicators + indicator
    }

    /// Adds each leaf's values up into its ancestors (leaves are the nodes without
    /// children; only their values are read).
    pub fn sum_up(&mut self) {
        let children = self.children();
        for node in (0..self.nodes.len()).rev() {
            if children[node].is_empty() {
                continue;
            }
            for k in 0..self.indicators {
                let total: i64 = children[node]
                    .iter()
                    .map(|&c| self.values[self.cell(c, k)])
                    .sum();
                let at = self.cell(node, k);
                self.values[at] = total;
            }
        }
    }

    pub fn children(&self) -> Vec<Vec<usize>> {
        let mut children = vec![Vec::new(); self.nodes.len()];
        for (i, node) in self.nodes.iter().enumerate() {
            if let Some(p) = node.parent {
                children[p].push(i);
            }
        }
        children
    }

    /// Every additive relation a reader can write down between the table's cells.
    pub fn relations(&self, groups: &[Group]) -> Vec<Relation> {
        let mut relations = Vec::new();
        for (node, kids) in self.children().iter().enumerate() {
            if kids.is_empty() {
                continue;
            }
            for k in 0..self.indicators {
                relations.push(Relation {
                    total: self.cell(node, k),
                    parts: kids.iter().map(|&c| self.cell(c, k)).collect(),
                });
            }
        }
        for node in 0..self.nodes.len() {
            for group in groups {
                relations.push(Relation {
                    total: self.cell(node, group.total),
                    parts: group.parts.iter().map(|&p| self.cell(node, p)).collect(),
                });
            }
        }
        relations
    }
}
