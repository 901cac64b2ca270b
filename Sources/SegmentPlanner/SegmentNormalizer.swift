public import KexecCore

/// A loose piece of an image, e.g. one ELF `PT_LOAD`: bytes at an address that
/// need not be page-aligned, occupying `memorySize` bytes.
public struct LoosePiece: Hashable, Sendable {
    public var bytes: [UInt8]
    public var address: PhysicalAddress
    public var memorySize: UInt64

    public init(bytes: [UInt8], address: PhysicalAddress, memorySize: UInt64? = nil) {
        self.bytes = bytes
        self.address = address
        self.memorySize = max(memorySize ?? UInt64(bytes.count), UInt64(bytes.count))
    }
}

/// Pieces that cannot become segments.
public enum NormalizationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Two pieces claim the same bytes (not merely the same page).
    case piecesOverlap(first: Int, second: Int)
    /// A piece runs past the end of the address space once rounded to pages.
    case pieceOverflows(piece: Int)

    public var description: String {
        switch self {
        case .piecesOverlap(let first, let second): "pieces \(first) and \(second) claim the same bytes"
        case .pieceOverflows(let piece): "piece \(piece) runs past the end of the address space"
        }
    }
}

/// Turns loose pieces into page-aligned segments the kernel accepts, without
/// ever letting two segments share a destination page (the bug of u-root#1845:
/// two source pages copied to one destination page, the later one zeroing the
/// earlier bytes).
///
/// Pieces are sorted by address; each start is rounded down to a page; a piece
/// whose rounded start falls inside the previous segment's last page is merged
/// into it, the gap zero-filled; ends are rounded up to a page; bytes are
/// truncated to `memsz`.
public enum SegmentNormalizer {
    /// - Parameters:
    ///   - pieces: in any order.
    ///   - pageSize: the running kernel's page size.
    /// - Returns: segments sorted by destination, disjoint and page-aligned, and for
    ///   each input piece the index of the segment that holds it.
    /// - Throws: ``NormalizationError``.
    public static func normalize(_ pieces: [LoosePiece], pageSize: PageSize) throws(NormalizationError)
        -> (segments: [KexecSegment], pieceToSegment: [Int])
    {
        let page = pageSize.alignment
        let order = pieces.indices.sorted { pieces[$0].address < pieces[$1].address }
        var starts: [PhysicalAddress] = []
        var ends: [PhysicalAddress] = []
        var buffers: [[UInt8]] = []
        var pieceToSegment = [Int](repeating: 0, count: pieces.count)
        var previousPiece: (index: Int, end: PhysicalAddress)?
        for index in order {
            let piece = pieces[index]
            guard let end = try? piece.address.adding(piece.memorySize),
                  let roundedEnd = try? end.alignedUp(to: page) else { throw .pieceOverflows(piece: index) }
            if let previous = previousPiece, piece.address < previous.end, piece.memorySize > 0 {
                throw .piecesOverlap(first: previous.index, second: index)
            }
            let roundedStart = piece.address.alignedDown(to: page)
            if let lastEnd = ends.last, roundedStart < lastEnd {
                // Shares a page with the previous segment: merge, zero-filling the gap.
                let segment = buffers.count - 1
                let offset = Int(piece.address.rawValue - starts[segment].rawValue)
                if buffers[segment].count < offset {
                    buffers[segment].append(contentsOf: repeatElement(0, count: offset - buffers[segment].count))
                }
                if !piece.bytes.isEmpty {
                    buffers[segment].removeSubrange(min(offset, buffers[segment].count)...)
                    buffers[segment].append(contentsOf: piece.bytes)
                }
                ends[segment] = max(lastEnd, roundedEnd)
                pieceToSegment[index] = segment
            } else {
                let offset = Int(piece.address.rawValue - roundedStart.rawValue)
                buffers.append(piece.bytes.isEmpty ? [] : [UInt8](repeating: 0, count: offset) + piece.bytes)
                starts.append(roundedStart)
                ends.append(roundedEnd)
                pieceToSegment[index] = buffers.count - 1
            }
            previousPiece = (index, max(end, previousPiece?.end ?? end))
        }
        var segments: [KexecSegment] = []
        segments.reserveCapacity(buffers.count)
        for (index, buffer) in buffers.enumerated() {
            let destination = PhysicalRange(unchecked: starts[index], ends[index])
            // Truncate to memsz.
            let bytes = Array(buffer.prefix(Int(destination.size)))
            guard let segment = try? KexecSegment(buffer: bytes, destination: destination) else {
                throw .pieceOverflows(piece: index)
            }
            segments.append(segment)
        }
        return (segments, pieceToSegment)
    }
}
