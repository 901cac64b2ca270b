public import KexecCore

/// Sparse simulated physical memory, kept one page frame at a time.
///
/// Frames are keyed by their page-aligned base address. A frame never written reads
/// as a garbage pattern derived from its page frame number, so stale data (a parked
/// page, an uncleared indirection page, a destination nobody copied to) is visible
/// and never mistaken for zeros.
public struct SimulatedMemory: Sendable {
    /// The size of every frame.
    public let pageSize: PageSize
    /// The byte order in which list entries are stored (the kernel stores them native).
    public let byteOrder: ByteOrder
    private var frames: [UInt64: [UInt8]] = [:]
    private let zeroPage: [UInt8]

    /// Empty memory: every frame reads as its garbage pattern.
    /// - Parameters:
    ///   - pageSize: the frame size.
    ///   - byteOrder: the order of the bytes of an indirection list entry.
    public init(pageSize: PageSize, byteOrder: ByteOrder) {
        self.pageSize = pageSize
        self.byteOrder = byteOrder
        zeroPage = [UInt8](repeating: 0, count: Int(pageSize.bytes))
    }

    /// The number of frames that have been written at least once.
    public var writtenFrameCount: Int { frames.count }

    /// The base address of the frame holding `address`.
    public func frameBase(of address: PhysicalAddress) -> PhysicalAddress {
        address.alignedDown(to: pageSize.alignment)
    }

    /// Whether the frame holding `address` has been written.
    public func isWritten(_ address: PhysicalAddress) -> Bool {
        frames[frameBase(of: address).rawValue] != nil
    }

    /// The contents of the frame holding `address`.
    public func page(containing address: PhysicalAddress) -> [UInt8] {
        let base = frameBase(of: address)
        return frames[base.rawValue] ?? Self.garbagePage(base: base, pageSize: pageSize)
    }

    /// The byte at `address`.
    public func byte(at address: PhysicalAddress) -> UInt8 {
        let base = frameBase(of: address)
        let offset = Int(address.rawValue - base.rawValue)
        if let frame = frames[base.rawValue] { return frame[offset] }
        return Self.garbageByte(base: base, offset: offset, pageSize: pageSize)
    }

    /// The byte a never-written frame holds at `offset`. Every such frame repeats a
    /// 16-byte block: `SplitMix64.mix(pfn)` then `SplitMix64.mix(~pfn)`, each little
    /// endian. Deterministic, so tests can tell stale memory from anything the
    /// simulation wrote, and different for every frame.
    public static func garbageByte(base: PhysicalAddress, offset: Int, pageSize: PageSize) -> UInt8 {
        garbageBlock(base: base, pageSize: pageSize)[offset % 16]
    }

    private static func garbageBlock(base: PhysicalAddress, pageSize: PageSize) -> [UInt8] {
        let pfn = base.rawValue / pageSize.bytes
        return SimulationUnsafeAccess.bytes(of: SplitMix64.mix(pfn), littleEndian: true)
            + SimulationUnsafeAccess.bytes(of: SplitMix64.mix(~pfn), littleEndian: true)
    }

    /// The whole garbage pattern of the frame at `base`, built by doubling the block
    /// (page sizes are powers of two of at least 16 bytes).
    static func garbagePage(base: PhysicalAddress, pageSize: PageSize) -> [UInt8] {
        var bytes = garbageBlock(base: base, pageSize: pageSize)
        while bytes.count < Int(pageSize.bytes) {
            bytes += bytes
        }
        return bytes
    }

    // MARK: Writing (the simulator's own use)

    /// `clear_page`: the frame at `base` becomes all zeros.
    mutating func clear(frame base: PhysicalAddress) {
        frames[base.rawValue] = zeroPage
    }

    /// Writes `bytes` into the frame at `base` starting at `offset` (which, with the
    /// count, the caller keeps inside the page).
    mutating func write(_ bytes: ArraySlice<UInt8>, frame base: PhysicalAddress, offset: Int) {
        materialize(base)
        frames[base.rawValue, default: []].replaceSubrange(offset ..< offset + bytes.count, with: bytes)
    }

    /// `copy_highpage` / one `rep movsq` of a page: the frame at `destination`
    /// becomes a copy of the frame at `source`.
    mutating func copy(frame source: PhysicalAddress, to destination: PhysicalAddress) {
        frames[destination.rawValue] = page(containing: source)
    }

    /// Reads one list entry at `address`, which may lie anywhere (a corrupted list
    /// can point at any byte); the bytes may even span two frames.
    /// - Returns: `nil` when the entry would run past the top of the address space.
    func readWord(at address: PhysicalAddress) -> UInt64? {
        let base = frameBase(of: address)
        let offset = Int(address.rawValue - base.rawValue)
        let littleEndian = byteOrder == .little
        if let value = SimulationUnsafeAccess.loadWord(page(containing: base), offset: offset, littleEndian: littleEndian) {
            return value
        }
        var value: UInt64 = 0
        for index in 0 ..< IndirectionEntry.byteWidth {
            guard let byteAddress = try? address.adding(UInt64(index)) else { return nil }
            let shift = UInt64(littleEndian ? index : IndirectionEntry.byteWidth - 1 - index) * 8
            value |= UInt64(byte(at: byteAddress)) << shift
        }
        return value
    }

    /// Writes one list entry at `address`, which the caller keeps 8-byte aligned
    /// inside one frame.
    mutating func writeWord(_ value: UInt64, at address: PhysicalAddress) {
        let base = frameBase(of: address)
        let offset = Int(address.rawValue - base.rawValue)
        write(SimulationUnsafeAccess.bytes(of: value, littleEndian: byteOrder == .little)[...], frame: base, offset: offset)
    }

    /// Gives a never-written frame its garbage contents so it can be patched in place.
    private mutating func materialize(_ base: PhysicalAddress) {
        if frames[base.rawValue] == nil {
            frames[base.rawValue] = Self.garbagePage(base: base, pageSize: pageSize)
        }
    }
}
