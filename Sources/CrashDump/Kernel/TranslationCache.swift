import Synchronization

/// A small, thread-safe cache of recent page-table translations: a handful of
/// ``KernelMapping``s, searched linearly and replaced round-robin. A walk costs
/// up to five dependent physical reads; a hit costs a lock and a short scan.
final class TranslationCache: Sendable {
    private struct State {
        var entries: [KernelMapping]
        var nextVictim = 0
    }

    /// How many mappings are kept.
    let capacity: Int
    private let state: Mutex<State>

    /// An empty cache of `capacity` mappings (at least 1).
    init(capacity: Int = 32) {
        self.capacity = max(1, capacity)
        state = Mutex(State(entries: []))
    }

    /// The cached mapping that holds `virtual`, if any.
    func lookup(_ virtual: UInt64) -> KernelMapping? {
        state.withLock { state in
            for entry in state.entries where entry.contains(virtual) { return entry }
            return nil
        }
    }

    /// Remembers `mapping`, evicting the oldest when full.
    func insert(_ mapping: KernelMapping) {
        state.withLock { state in
            if state.entries.count < capacity {
                state.entries.append(mapping)
            } else {
                state.entries[state.nextVictim] = mapping
                state.nextVictim = (state.nextVictim + 1) % capacity
            }
        }
    }

    /// Forgets everything.
    func removeAll() {
        state.withLock { state in
            state.entries.removeAll(keepingCapacity: true)
            state.nextVictim = 0
        }
    }
}
