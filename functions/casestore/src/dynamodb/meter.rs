//! What a store's requests cost: the read requests, the items they
//! returned and the read capacity units, both as DynamoDB reported them and
//! as priced from the items' sizes by DynamoDB's rules (a local endpoint
//! may report none, or a fixed figure), and the write requests.
//!
//! Only counting: nothing here talks to DynamoDB or decides anything.

use super::items::Item;
use aws_sdk_dynamodb::types::{AttributeValue, ConsumedCapacity};
use std::sync::atomic::{AtomicU64, Ordering};

/// What a store's requests cost, added up since it was made or the count
/// was last taken ([`DynamoStore::take_usage`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// Read requests: GetItem calls and Query pages.
    pub read_requests: u64,
    /// Items those requests returned.
    pub items_read: u64,
    /// Read capacity units as DynamoDB reported them
    /// (`ReturnConsumedCapacity::Total`).
    pub reported_rcu: f64,
    /// Read requests whose answer reported no consumed capacity.
    pub unreported: u64,
    /// The same reads priced by DynamoDB's rules from the sizes of the
    /// items returned: a GetItem rounds its item up to 4 KB units, a Query
    /// page sums its items first; one unit at least per request; the
    /// indexes are read eventually consistent, at half a unit per 4 KB.
    pub computed_rcu: f64,
    /// Write requests (transactions, single-item writes, batches), each
    /// attempt counted.
    pub write_requests: u64,
}

#[derive(Debug, Default)]
pub(super) struct Meter {
    requests: AtomicU64,
    items: AtomicU64,
    /// Thousandths of a unit.
    reported_milli: AtomicU64,
    unreported: AtomicU64,
    /// Halves of a unit.
    computed_halves: AtomicU64,
    writes: AtomicU64,
}

/// Eventually consistent reads cost half a strongly consistent one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Consistency {
    Strong,
    Eventual,
}

impl Meter {
    pub(super) fn add(
        &self,
        items: &[&Item],
        consistency: Consistency,
        reported: Option<&ConsumedCapacity>,
    ) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.items.fetch_add(items.len() as u64, Ordering::Relaxed);
        match reported.and_then(|c| c.capacity_units()) {
            Some(units) => {
                self.reported_milli
                    .fetch_add((units * 1000.0).round() as u64, Ordering::Relaxed);
            }
            None => {
                self.unreported.fetch_add(1, Ordering::Relaxed);
            }
        }
        let bytes: usize = items.iter().map(|i| item_size(i)).sum();
        let units = bytes.div_ceil(READ_UNIT_BYTES).max(1) as u64;
        let halves = match consistency {
            Consistency::Strong => 2 * units,
            Consistency::Eventual => units,
        };
        self.computed_halves.fetch_add(halves, Ordering::Relaxed);
    }

    pub(super) fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn read(&self, reset: bool) -> Usage {
        let get = |a: &AtomicU64| {
            if reset {
                a.swap(0, Ordering::Relaxed)
            } else {
                a.load(Ordering::Relaxed)
            }
        };
        Usage {
            read_requests: get(&self.requests),
            items_read: get(&self.items),
            reported_rcu: get(&self.reported_milli) as f64 / 1000.0,
            unreported: get(&self.unreported),
            computed_rcu: get(&self.computed_halves) as f64 / 2.0,
            write_requests: get(&self.writes),
        }
    }
}

/// One read capacity unit reads this much, strongly consistent.
const READ_UNIT_BYTES: usize = 4096;

/// An item's size as DynamoDB counts it: each attribute's name and value
/// (strings and binaries by their bytes, numbers at one byte per two
/// significant digits plus one, booleans and nulls one byte, lists and
/// maps three bytes plus one per element and the elements).
fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, v)| name.len() + value_size(v))
        .sum()
}

fn value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(v) => 3 + v.iter().map(|e| 1 + value_size(e)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, e)| 1 + k.len() + value_size(e))
                .sum::<usize>()
        }
        _ => 0,
    }
}

fn number_size(n: &str) -> usize {
    let mantissa = n.split(['e', 'E']).next().unwrap_or(n);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    significant.div_ceil(2) + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::items::{n, s};
    use std::collections::HashMap;

    #[test]
    fn item_sizes_follow_dynamodb_s_rules() {
        let item = HashMap::from([
            ("pk".to_string(), s("CASE#AB")),                 // 2 + 7
            ("version".to_string(), n(12345)),                // 7 + 3 + 1
            ("done".to_string(), AttributeValue::Bool(true)), // 4 + 1
            (
                "l".to_string(),
                AttributeValue::L(vec![s("ab"), AttributeValue::Null(true)]),
            ), // 1 + 3 + (1 + 2) + (1 + 1)
        ]);
        assert_eq!(item_size(&item), 9 + 11 + 5 + 9);
        assert_eq!(number_size("0"), 1);
        assert_eq!(number_size("1000"), 2);
        assert_eq!(number_size("-12.5"), 3);
        assert_eq!(number_size("1700000000"), 2);
    }

    #[test]
    fn reads_are_priced_in_4_kb_units_at_half_for_the_indexes() {
        let meter = Meter::default();
        let big = HashMap::from([("x".to_string(), s("y".repeat(5000)))]);
        let small = HashMap::from([("x".to_string(), s("y"))]);
        // A strongly consistent GetItem of 5 KB: two units.
        meter.add(&[&big], Consistency::Strong, None);
        // A missing item still costs one.
        meter.add(&[], Consistency::Strong, None);
        // A query page sums first: 5 KB + 2 bytes is two 4 KB units, at half.
        let reported = ConsumedCapacity::builder().capacity_units(1.5).build();
        meter.add(&[&big, &small], Consistency::Eventual, Some(&reported));
        let cost = meter.read(true);
        meter.wrote();
        assert_eq!(
            cost,
            Usage {
                read_requests: 3,
                items_read: 3,
                reported_rcu: 1.5,
                unreported: 2,
                computed_rcu: 2.0 + 1.0 + 1.0,
                write_requests: 0,
            }
        );
        assert_eq!(meter.read(false).write_requests, 1);
    }
}
