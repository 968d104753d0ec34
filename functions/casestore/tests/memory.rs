//! The in-memory store keeps the store contract.

use casestore::MemoryStore;

casestore::store_contract!(|| async { MemoryStore::new() });
