//! An exact attacker against the snapshot's suppression: for every withheld small cell it
//! minimises and maximises the cell by integer programming subject to every published
//! count and every additive relation of the table, knowing that small cells lie in
//! `1..threshold`, complementary cells at or above the threshold, and that zeros are
//! published. No small cell may be narrowed below its whole range.

use cunhub::statistics::{
    suppress::{Mark, Relation, suppress},
    table::{Group, Node, Table},
};
use microlp::{ComparisonOp, LinearExpr, OptimizationDirection, Problem};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const THRESHOLD: i64 = 5;
/// Far above any generated count: the attacker's only upper bound on a complementary cell.
const BIG: i32 = 1_000_000;

/// A county of `townships` townships of a few villages each (one of them a virtual
/// living area), indicators `[total, a, b, c, covered, not covered, denominator]`.
fn generated(seed: u64, townships: usize) -> (Table, Vec<Group>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut nodes = vec![Node {
        code: "220122".into(),
        parent: None,
    }];
    let mut leaves = Vec::new();
    for t in 0..townships {
        let township = nodes.len();
        nodes.push(Node {
            code: format!("220122{:03}", 100 + t),
            parent: Some(0),
        });
        for v in 0..rng.random_range(2..6) {
            leaves.push(nodes.len());
            nodes.push(Node {
                code: format!("220122{:03}{:03}", 100 + t, 200 + v),
                parent: Some(township),
            });
        }
    }
    let groups = vec![
        Group {
            total: 0,
            parts: vec![1, 2, 3],
        },
        Group {
            total: 6,
            parts: vec![4, 5],
        },
    ];
    let mut table = Table::new(nodes, 7);
    for &leaf in &leaves {
        // Mostly small counts and zeros, now and then a large one.
        let small = |rng: &mut ChaCha8Rng| match rng.random_range(0..10) {
            0..=2 => 0,
            3..=7 => rng.random_range(1..5),
            _ => rng.random_range(5..30),
        };
        let (a, b, c) = (small(&mut rng), small(&mut rng), small(&mut rng));
        let (covered, not) = (small(&mut rng), small(&mut rng));
        for (k, v) in [a + b + c, a, b, c, covered, not, covered + not]
            .into_iter()
            .enumerate()
        {
            let at = table.cell(leaf, k);
            table.values[at] = v;
        }
    }
    table.sum_up();
    (table, groups)
}

/// The feasible range of `cell` given everything published.
fn range(values: &[i64], marks: &[Mark], relations: &[Relation], cell: usize) -> (i64, i64) {
    let mut bounds = [0i64; 2];
    for (i, direction) in [
        OptimizationDirection::Minimize,
        OptimizationDirection::Maximize,
    ]
    .into_iter()
    .enumerate()
    {
        let mut problem = Problem::new(direction);
        let vars: Vec<Option<microlp::Variable>> = marks
            .iter()
            .enumerate()
            .map(|(c, mark)| {
                let objective = if c == cell { 1.0 } else { 0.0 };
                match mark {
                    Mark::Published => None,
                    Mark::Small => {
                        Some(problem.add_integer_var(objective, (1, THRESHOLD as i32 - 1)))
                    }
                    Mark::Complementary => {
                        Some(problem.add_integer_var(objective, (THRESHOLD as i32, BIG)))
                    }
                }
            })
            .collect();
        for rel in relations {
            let mut expr = LinearExpr::empty();
            let mut constant = 0.0;
            let mut any = false;
            for (c, sign) in
                std::iter::once((rel.total, -1.0)).chain(rel.parts.iter().map(|&p| (p, 1.0)))
            {
                match vars[c] {
                    Some(v) => {
                        expr.add(v, sign);
                        any = true;
                    }
                    None => constant += sign * values[c] as f64,
                }
            }
            if any {
                problem.add_constraint(expr, ComparisonOp::Eq, -constant);
            }
        }
        let solved = problem
            .solve()
            .expect("the true values are a solution")
            .into_solution()
            .expect("solved to the end");
        bounds[i] = solved.var_value(vars[cell].unwrap()).round() as i64;
    }
    (bounds[0], bounds[1])
}

fn attack(seed: u64, townships: usize) -> (usize, usize) {
    let (table, groups) = generated(seed, townships);
    let relations = table.relations(&groups);
    let marks = suppress(&table.values, &relations, THRESHOLD);
    let small: Vec<usize> = (0..marks.len())
        .filter(|&c| marks[c] == Mark::Small)
        .collect();
    let complementary = marks.iter().filter(|m| **m == Mark::Complementary).count();
    for (c, mark) in marks.iter().enumerate() {
        let v = table.values[c];
        match mark {
            Mark::Small => assert!((1..THRESHOLD).contains(&v)),
            Mark::Complementary => assert!(v >= THRESHOLD, "cell {c} = {v}"),
            Mark::Published => assert!(v == 0 || v >= THRESHOLD, "cell {c} = {v} published"),
        }
    }
    // What the marks of the small cells and the zeros alone imply, with every other
    // count withheld: where a small total is made of small parts (2 = 1 + 1 + 0), no
    // publication can widen a part beyond `total − 1`, so that is the bar.
    let ideal: Vec<Mark> = table
        .values
        .iter()
        .map(|&v| match v {
            0 => Mark::Published,
            v if v < THRESHOLD => Mark::Small,
            _ => Mark::Complementary,
        })
        .collect();
    let mut narrow = Vec::new();
    let mut inherent = 0;
    for &cell in &small {
        let (low, high) = range(&table.values, &marks, &relations, cell);
        let (ideal_low, ideal_high) = range(&table.values, &ideal, &relations, cell);
        if low > ideal_low || high < ideal_high {
            narrow.push(format!(
                "seed {seed}: cell {cell} (node {}, indicator {}) = {} narrowed to {low}..={high} (at best {ideal_low}..={ideal_high})",
                cell / table.indicators,
                cell % table.indicators,
                table.values[cell]
            ));
        }
        if ideal_low > 1 || ideal_high < THRESHOLD - 1 {
            inherent += 1;
        }
    }
    assert!(narrow.is_empty(), "{}", narrow.join("\n"));
    assert!(
        inherent < small.len(),
        "some small cells reach the full range"
    );
    (small.len(), complementary)
}

#[test]
fn no_small_cell_is_narrowed_by_an_integer_programming_attacker() {
    let mut small = 0;
    for seed in 0..12 {
        let (s, _) = attack(seed, 4);
        small += s;
    }
    assert!(
        small > 100,
        "the generated tables have many small cells ({small})"
    );
}

#[test]
fn a_lone_small_child_takes_a_complementary_sibling() {
    // A township of 12 whose villages have 2, 10 and 0: publishing 10 would give away 2.
    let nodes = vec![
        Node {
            code: "t".into(),
            parent: None,
        },
        Node {
            code: "a".into(),
            parent: Some(0),
        },
        Node {
            code: "b".into(),
            parent: Some(0),
        },
        Node {
            code: "c".into(),
            parent: Some(0),
        },
    ];
    let mut table = Table::new(nodes, 1);
    table.values = vec![12, 2, 10, 0];
    let relations = table.relations(&[]);
    let marks = suppress(&table.values, &relations, THRESHOLD);
    assert_eq!(marks[1], Mark::Small);
    assert_eq!(marks[2], Mark::Complementary);
    assert_eq!(marks[3], Mark::Published, "zeros are published");
    assert_eq!(range(&table.values, &marks, &relations, 1), (1, 4));
}
