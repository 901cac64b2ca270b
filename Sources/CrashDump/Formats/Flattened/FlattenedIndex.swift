/// Turns the records of a flattened stream into the pieces a reader sees:
/// sorted, disjoint, and where records overlap, the later one wins.
enum FlattenedIndex {
    struct Record {
        var logicalOffset: UInt64
        var size: UInt64
        var fileOffset: UInt64
        /// The record's position in the stream (later wins).
        var sequence: Int

        var end: UInt64 { logicalOffset + size }
    }

    static func visibleExtents(_ records: [Record]) -> [FlattenedFile.Extent] {
        let sorted = records.sorted { ($0.logicalOffset, $0.sequence) < ($1.logicalOffset, $1.sequence) }
        let overlapping = zip(sorted, sorted.dropFirst()).contains { $0.end > $1.logicalOffset }
        guard overlapping else {
            return merge(sorted.map { FlattenedFile.Extent(logicalOffset: $0.logicalOffset, size: $0.size, fileOffset: $0.fileOffset) })
        }
        // Sweep the boundaries; between two of them the visible record is the
        // active one with the highest sequence (a max-heap with lazy removal).
        var points = Set<UInt64>()
        for record in sorted {
            points.insert(record.logicalOffset)
            points.insert(record.end)
        }
        let boundaries = points.sorted()
        var heap = MaxHeap()
        var next = 0
        var pieces: [FlattenedFile.Extent] = []
        for (index, point) in boundaries.enumerated() where index + 1 < boundaries.count {
            while next < sorted.count, sorted[next].logicalOffset == point {
                heap.push(sorted[next].sequence, next)
                next += 1
            }
            while let top = heap.top, sorted[top.payload].end <= point { heap.pop() }
            guard let top = heap.top else { continue }
            let record = sorted[top.payload]
            let end = boundaries[index + 1]
            pieces.append(FlattenedFile.Extent(logicalOffset: point, size: end - point,
                                               fileOffset: record.fileOffset + (point - record.logicalOffset)))
        }
        return merge(pieces)
    }

    /// Joins neighbours that continue each other in both files.
    static func merge(_ extents: [FlattenedFile.Extent]) -> [FlattenedFile.Extent] {
        var result: [FlattenedFile.Extent] = []
        result.reserveCapacity(extents.count)
        for extent in extents {
            if let last = result.last, last.logicalEnd == extent.logicalOffset,
               last.fileOffset + last.size == extent.fileOffset {
                result[result.count - 1].size += extent.size
            } else {
                result.append(extent)
            }
        }
        return result
    }

    /// A binary max-heap of (key, payload).
    struct MaxHeap {
        private var items: [(key: Int, payload: Int)] = []

        var top: (key: Int, payload: Int)? { items.first }

        mutating func push(_ key: Int, _ payload: Int) {
            items.append((key, payload))
            var child = items.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard items[parent].key < items[child].key else { break }
                items.swapAt(parent, child)
                child = parent
            }
        }

        mutating func pop() {
            guard !items.isEmpty else { return }
            items.swapAt(0, items.count - 1)
            items.removeLast()
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var largest = parent
                if left < items.count, items[left].key > items[largest].key { largest = left }
                if right < items.count, items[right].key > items[largest].key { largest = right }
                guard largest != parent else { break }
                items.swapAt(parent, largest)
                parent = largest
            }
        }
    }
}
