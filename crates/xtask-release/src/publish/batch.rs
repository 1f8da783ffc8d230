//! Which crates go together in one `cargo publish -p a -p b ...`: a pure function of the
//! crates still waiting, those already done, and the workers.
//!
//! A cargo process costs about as much as packaging and uploading a few tiny crates, so
//! fewer of them is most of what makes a run fast on a quick registry. Cargo (1.90 and
//! later) publishes the packages of one run in dependency order and waits for each to
//! reach the index before uploading its dependents, so a batch may hold a crate together
//! with crates it depends on; it may not hold crates that other workers could upload at
//! the same time.

use std::collections::{BTreeMap, BTreeSet};

use super::order::Crate;

/// The batches to start now, each in dependency order, from `waiting` (in plan order)
/// and the crates that are `done` (visible in the index).
///
/// The ready crates (every dependency done) are split evenly among the `idle` workers.
/// Then each batch takes the crates that could only follow it anyway: a crate whose
/// dependencies are done or in the batch, when every other waiting crate that depends on
/// the batch also depends on that crate (a chain becomes one batch, a fan-out stays
/// spread over the workers). With a single worker (`jobs == 1`) nothing can go in
/// parallel, so the batch takes everything that can follow it.
pub fn batches<'a>(waiting: &[&'a Crate], done: &BTreeSet<&str>, idle: usize, jobs: usize) -> Vec<Vec<&'a Crate>> {
    let ready: Vec<&Crate> =
        waiting.iter().copied().filter(|c| c.after.iter().all(|d| done.contains(d.as_str()))).collect();
    if ready.is_empty() {
        return Vec::new();
    }
    let share = ready.len().div_ceil(idle.max(1));
    let mut batches: Vec<Vec<&Crate>> = ready.chunks(share).map(<[_]>::to_vec).collect();
    let graph: BTreeMap<&str, &Crate> = waiting.iter().map(|c| (c.name.as_str(), *c)).collect();
    let mut taken: BTreeSet<&str> = ready.iter().map(|c| c.name.as_str()).collect();
    for batch in &mut batches {
        while let Some(next) = waiting.iter().find(|c| {
            !taken.contains(c.name.as_str())
                && can_follow(c, batch, done)
                && (jobs == 1 || holds_back_nothing(c, batch, waiting, &taken, &graph))
        }) {
            taken.insert(next.name.as_str());
            batch.push(next);
        }
    }
    batches
}

/// Every dependency of `krate` is done or in `batch`.
fn can_follow(krate: &Crate, batch: &[&Crate], done: &BTreeSet<&str>) -> bool {
    krate.after.iter().all(|d| done.contains(d.as_str()) || batch.iter().any(|b| b.name == *d))
}

/// No other waiting crate that depends on `batch` could go before `krate` does: each one
/// depends on `krate` too, so adding `krate` to the batch delays none of them.
fn holds_back_nothing(
    krate: &Crate,
    batch: &[&Crate],
    waiting: &[&Crate],
    taken: &BTreeSet<&str>,
    graph: &BTreeMap<&str, &Crate>,
) -> bool {
    waiting
        .iter()
        .filter(|c| c.name != krate.name && !taken.contains(c.name.as_str()))
        .filter(|c| c.after.iter().any(|d| batch.iter().any(|b| b.name == *d)))
        .all(|c| depends_on(c, &krate.name, graph))
}

/// Whether `from` depends on `to`, directly or through other waiting crates.
fn depends_on(from: &Crate, to: &str, graph: &BTreeMap<&str, &Crate>) -> bool {
    let mut stack = vec![from];
    let mut seen = BTreeSet::new();
    while let Some(krate) = stack.pop() {
        for dep in &krate.after {
            if dep == to {
                return true;
            }
            if seen.insert(dep.as_str()) {
                stack.extend(graph.get(dep.as_str()));
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::order::State;

    /// Crates from `(name, dependencies)`, in that (plan) order.
    fn crates(spec: &[(&str, &[&str])]) -> Vec<Crate> {
        spec.iter()
            .map(|(name, after)| Crate {
                name: name.to_string(),
                version: semver::Version::new(1, 0, 0),
                level: 0,
                after: after.iter().map(|d| d.to_string()).collect(),
                state: State::NewCrate,
                content: String::new(),
            })
            .collect()
    }

    /// The batches as names, with `done` already visible.
    fn plan(spec: &[(&str, &[&str])], done: &[&str], idle: usize, jobs: usize) -> Vec<Vec<String>> {
        let crates = crates(spec);
        let done: BTreeSet<&str> = done.iter().copied().collect();
        let waiting: Vec<&Crate> = crates.iter().filter(|c| !done.contains(c.name.as_str())).collect();
        batches(&waiting, &done, idle, jobs).iter().map(|b| b.iter().map(|c| c.name.clone()).collect()).collect()
    }

    const CHAIN: [(&str, &[&str]); 4] = [("a", &[]), ("b", &["a"]), ("c", &["b"]), ("d", &["c"])];
    const WIDE: [(&str, &[&str]); 5] =
        [("root", &[]), ("w1", &["root"]), ("w2", &["root"]), ("w3", &["root"]), ("w4", &["root"])];
    /// core -> storage, security -> sdk -> proxy, as in the lockstep fixture.
    const DIAMOND: [(&str, &[&str]); 5] = [
        ("core", &[]),
        ("storage", &["core"]),
        ("security", &["core"]),
        ("sdk", &["storage", "security"]),
        ("proxy", &["sdk"]),
    ];

    #[test]
    fn a_chain_is_one_batch() {
        assert_eq!(plan(&CHAIN, &[], 8, 8), [["a", "b", "c", "d"]]);
        assert_eq!(plan(&CHAIN, &["a", "b"], 8, 8), [["c", "d"]]);
    }

    #[test]
    fn a_fan_out_is_spread_over_the_workers() {
        assert_eq!(plan(&WIDE, &[], 8, 8), [["root"]]);
        assert_eq!(plan(&WIDE, &["root"], 2, 8), [["w1", "w2"], ["w3", "w4"]]);
        assert_eq!(plan(&WIDE, &["root"], 3, 8), [["w1", "w2"], ["w3", "w4"]]);
        assert_eq!(plan(&WIDE, &["root"], 8, 8), [["w1"], ["w2"], ["w3"], ["w4"]]);
    }

    #[test]
    fn a_crate_joins_only_when_it_holds_back_nothing() {
        assert_eq!(plan(&DIAMOND, &[], 8, 8), [["core"]]);
        // sdk waits for two batches, so it joins neither; proxy then follows sdk alone.
        assert_eq!(plan(&DIAMOND, &["core"], 8, 8), [["storage"], ["security"]]);
        assert_eq!(plan(&DIAMOND, &["core", "storage", "security"], 8, 8), [["sdk", "proxy"]]);
        // b's other dependent, c, also waits for b2, so b2 may join b.
        let through = [("b", &[][..]), ("b2", &["b"][..]), ("c", &["b", "b2"][..])];
        assert_eq!(plan(&through, &[], 8, 8), [["b", "b2", "c"]]);
    }

    #[test]
    fn crates_still_running_elsewhere_keep_their_dependents_waiting() {
        // `a` is neither done nor waiting: another worker has it.
        let crates = crates(&CHAIN);
        let waiting: Vec<&Crate> = crates.iter().skip(1).collect();
        assert!(batches(&waiting, &BTreeSet::new(), 8, 8).is_empty());
    }

    #[test]
    fn one_worker_takes_everything_in_one_batch() {
        assert_eq!(plan(&DIAMOND, &[], 1, 1), [["core", "storage", "security", "sdk", "proxy"]]);
        assert_eq!(plan(&WIDE, &[], 1, 1), [["root", "w1", "w2", "w3", "w4"]]);
    }
}
