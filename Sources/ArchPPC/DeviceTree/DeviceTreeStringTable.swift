/// The strings block being built: each name stored once, found by its first
/// occurrence followed by NUL anywhere in the table (so a name may share the tail
/// of a longer one), new names appended. dtc's `stringtable_insert` and libfdt's
/// `fdt_find_add_string` do the same.
struct DeviceTreeStringTable {
    private(set) var bytes: [UInt8]
    /// Offsets already resolved.
    private var offsets: [String: UInt32] = [:]
    /// The offset of every NUL in ``bytes``, ascending: a name can only match
    /// right before one, so a lookup visits strings, not bytes.
    private var terminators: [Int]

    /// A table starting with `seed`, with known offsets for some names; offsets
    /// that do not point at the name followed by NUL inside the seed are dropped.
    init(seed: [UInt8] = [], knownOffsets: [String: UInt32] = [:]) {
        bytes = seed
        terminators = seed.indices.filter { seed[$0] == 0 }
        for (name, offset) in knownOffsets where Self.matches(Array(name.utf8), at: Int(offset), in: seed) {
            offsets[name] = offset
        }
    }

    /// Whether `table` holds `name` followed by NUL at `offset`.
    static func matches(_ name: [UInt8], at offset: Int, in table: [UInt8]) -> Bool {
        guard offset >= 0, offset <= table.count, table.count - offset > name.count else { return false }
        return table[offset + name.count] == 0 && table[offset..<offset + name.count].elementsEqual(name)
    }

    /// The offset of `name`, appending it when the table does not hold it yet.
    mutating func offset(of name: String) -> Int {
        if let known = offsets[name] { return Int(known) }
        let raw = Array(name.utf8)
        var found: Int?
        var segmentStart = 0
        for terminator in terminators {
            let candidate = terminator - raw.count
            if candidate >= segmentStart && bytes[candidate..<terminator].elementsEqual(raw) {
                found = candidate
                break
            }
            segmentStart = terminator + 1
        }
        let offset: Int
        if let found {
            offset = found
        } else {
            offset = bytes.count
            bytes.append(contentsOf: raw)
            terminators.append(bytes.count)
            bytes.append(0)
        }
        offsets[name] = UInt32(truncatingIfNeeded: offset)
        return offset
    }
}
