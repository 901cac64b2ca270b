import Crypto
public import KexecCore

extension ValidatedPlan: KexecPlan {
    public func json() -> String { draft.json() }
    public func listing() -> String { draft.listing() }
}

extension PlanDraft {
    /// The regions purgatory verifies and their SHA-256: every segment except those
    /// at `excluded` (purgatory itself), each as `[mem, mem + memsz)`, hashed in
    /// order over its bytes and the zero fill, as kexec-tools does.
    public func purgatoryDigest(excluding excluded: Set<Int>) -> (regions: [PhysicalRange], digest: [UInt8]) {
        var hasher = SHA256()
        var regions: [PhysicalRange] = []
        let zeros = [UInt8](repeating: 0, count: 1 << 16)
        for (index, planned) in segments.enumerated() where !excluded.contains(index) {
            regions.append(planned.destination)
            hasher.update(data: planned.segment.buffer)
            var remaining = planned.segment.memorySize - planned.segment.bufferSize
            while remaining > 0 {
                let chunk = Int(min(remaining, UInt64(zeros.count)))
                hasher.update(data: zeros[0..<chunk])
                remaining -= UInt64(chunk)
            }
        }
        return (regions, Array(hasher.finalize()))
    }
}

extension SegmentPlanner {
    /// Replaces the bytes of segment `index` (e.g. boot params or purgatory once the
    /// addresses they describe are known). The destination does not move.
    /// - Throws: ``KexecSegmentError`` when the bytes exceed the segment's memory.
    public mutating func replaceBytes(ofSegment index: Int, with bytes: [UInt8]) throws(KexecSegmentError) {
        let destination = segments[index].destination
        segments[index].segment = try KexecSegment(buffer: bytes, destination: destination)
    }
}
