import KexecCore

/// A parsed flattened device tree blob: its header, the tree it holds, and the
/// layout that writes the tree back into the same bytes.
///
/// ```swift
/// let blob = try DeviceTreeBlob(parsing: bytes)
/// let again = try blob.tree.flattened(layout: blob.layout)   // == bytes for dtc and qemu blobs
/// ```
public struct DeviceTreeBlob: Hashable, Sendable {
    /// The header as read.
    public var header: FlattenedDeviceTreeHeader
    /// The tree: nodes, reservation map and boot CPU.
    public var tree: DeviceTree
    /// The blob's strings block and free space, for a faithful rewrite.
    public var layout: DeviceTreeBlobLayout

    /// A blob value from its parts (the parser's result).
    init(header: FlattenedDeviceTreeHeader, tree: DeviceTree, layout: DeviceTreeBlobLayout) {
        self.header = header
        self.tree = tree
        self.layout = layout
    }

    /// Parses a version 16 or 17 blob (later versions that stay compatible with
    /// 17 too). Bytes past `totalsize` are ignored; NOP tokens are dropped.
    ///
    /// - Parameters:
    ///   - bytes: the blob, at least `totalsize` bytes.
    ///   - limits: bounds on size, nesting, tokens and reservations.
    /// - Throws: ``DeviceTreeParseError`` naming the header field or token and its
    ///   byte offset: bad magic, unsupported version, `totalsize` larger than the
    ///   data or the limit, blocks past the end, overlapping or misaligned, an
    ///   unterminated reservation map, a property length past the block, a name
    ///   offset outside the strings block, unterminated or invalid names, stray or
    ///   unknown tokens, nesting too deep, too many tokens, unclosed nodes.
    public init(parsing bytes: [UInt8], limits: DeviceTreeParseLimits = .default) throws(DeviceTreeParseError) {
        let parser = DeviceTreeBlobParser(bytes: bytes, limits: limits)
        self = try parser.parse()
    }

    /// The blob written again with its own layout.
    /// - Throws: ``DeviceTreeWriteError`` when the tree was edited into something
    ///   that cannot be written.
    public func serialized() throws(DeviceTreeWriteError) -> [UInt8] {
        try tree.flattened(layout: layout)
    }
}

extension DeviceTree {
    /// Parses a flattened device tree blob, keeping only the tree.
    /// - Throws: ``DeviceTreeParseError`` (see ``DeviceTreeBlob/init(parsing:limits:)``).
    public init(parsingBlob bytes: [UInt8], limits: DeviceTreeParseLimits = .default) throws(DeviceTreeParseError) {
        self = try DeviceTreeBlob(parsing: bytes, limits: limits).tree
    }
}

/// The blob parser's state: a forward walk over a bounded buffer.
struct DeviceTreeBlobParser {
    let bytes: [UInt8]
    let limits: DeviceTreeParseLimits

    init(bytes: [UInt8], limits: DeviceTreeParseLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    /// A big-endian 32-bit word at `offset`, which the caller has bounds-checked.
    func word(at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    /// A big-endian 64-bit number at `offset`, which the caller has bounds-checked.
    func doubleWord(at offset: Int) -> UInt64 {
        UInt64(word(at: offset)) << 32 | UInt64(word(at: offset + 4))
    }

    func parse() throws(DeviceTreeParseError) -> DeviceTreeBlob {
        let header = try parseHeader()
        let total = Int(header.totalSize)
        let headerSize = header.size

        // Block extents, in 64-bit arithmetic so no sum can wrap.
        let structStart = UInt64(header.structureOffset)
        let stringsStart = UInt64(header.stringsOffset)
        let stringsEnd = stringsStart + UInt64(header.stringsSize)
        let reservationStart = UInt64(header.reservationMapOffset)
        try checkBlock("off_mem_rsvmap", fieldOffset: 16, start: reservationStart, size: 16, header: header)
        guard reservationStart % 8 == 0 else {
            throw DeviceTreeParseError(field: "off_mem_rsvmap", offset: 16, reason: .misaligned(value: reservationStart, alignment: 8))
        }
        guard structStart % 4 == 0 else {
            throw DeviceTreeParseError(field: "off_dt_struct", offset: 8, reason: .misaligned(value: structStart, alignment: 4))
        }
        try checkBlock("off_dt_struct", fieldOffset: 8, start: structStart, size: 0, header: header)
        try checkBlock("off_dt_strings", fieldOffset: 12, start: stringsStart, size: 0, header: header)
        let structEnd: UInt64
        if let size = header.structureSize {
            try checkBlock("size_dt_struct", fieldOffset: 36, start: structStart, size: UInt64(size), header: header)
            structEnd = structStart + UInt64(size)
        } else {
            try checkBlock("off_dt_struct", fieldOffset: 8, start: structStart, size: 4, header: header)
            // Version 16 has no structure size: the block runs to the next block or the end.
            structEnd = [stringsStart, reservationStart].filter { $0 > structStart }.min() ?? UInt64(total)
        }
        try checkBlock("size_dt_strings", fieldOffset: 32, start: stringsStart, size: UInt64(header.stringsSize), header: header)
        if Self.overlap(structStart, structEnd, stringsStart, stringsEnd) {
            throw DeviceTreeParseError(field: "off_dt_strings", offset: 12, reason: .blocksOverlap(other: "structure block"))
        }

        // Reservation map: 16-byte entries up to the next block (or the end).
        let reservationBound = [structStart, stringsStart].filter { $0 > reservationStart }.min() ?? UInt64(total)
        let (reservations, reservationEnd) = try parseReservations(start: Int(reservationStart), bound: Int(min(reservationBound, UInt64(total))))
        if Self.overlap(reservationStart, UInt64(reservationEnd), structStart, structEnd) {
            throw DeviceTreeParseError(field: "off_dt_struct", offset: 8, reason: .blocksOverlap(other: "memory reservation map"))
        }
        if Self.overlap(reservationStart, UInt64(reservationEnd), stringsStart, stringsEnd) {
            throw DeviceTreeParseError(field: "off_dt_strings", offset: 12, reason: .blocksOverlap(other: "memory reservation map"))
        }

        var strings = StringsBlock(start: Int(stringsStart), size: header.stringsSize)
        var padding: [DeviceTreePaddingKey: [UInt8]] = [:]
        let root = try parseStructure(start: Int(structStart), end: Int(structEnd), strings: &strings, padding: &padding)

        let usedEnd = max(Int(structEnd), Int(stringsEnd), reservationEnd, headerSize)
        let layout = DeviceTreeBlobLayout(stringsSeed: Array(bytes[Int(stringsStart)..<Int(stringsEnd)]),
                                          nameOffsets: strings.offsetsByName, paddingBytes: padding,
                                          freeSpace: max(0, total - usedEnd))
        let tree = DeviceTree(root: root, reservations: reservations, bootCPUPhysicalID: header.bootCPUPhysicalID)
        return DeviceTreeBlob(header: header, tree: tree, layout: layout)
    }

    /// Whether `[a0, a1)` and `[b0, b1)` share a byte.
    static func overlap(_ a0: UInt64, _ a1: UInt64, _ b0: UInt64, _ b1: UInt64) -> Bool {
        a0 < a1 && b0 < b1 && a0 < b1 && b0 < a1
    }

    func parseHeader() throws(DeviceTreeParseError) -> FlattenedDeviceTreeHeader {
        guard bytes.count >= 4 else {
            throw DeviceTreeParseError(field: "magic", offset: 0, reason: .truncated(needed: 4, available: bytes.count))
        }
        let magic = word(at: 0)
        guard magic == FlattenedDeviceTreeHeader.magic else {
            throw DeviceTreeParseError(field: "magic", offset: 0, reason: .badMagic(magic))
        }
        guard bytes.count >= FlattenedDeviceTreeHeader.version16Size else {
            throw DeviceTreeParseError(field: "header", offset: 0,
                                       reason: .truncated(needed: FlattenedDeviceTreeHeader.version16Size, available: bytes.count))
        }
        let version = word(at: 20)
        let lastCompatible = word(at: 24)
        guard version >= 16, lastCompatible <= 17, lastCompatible <= version else {
            throw DeviceTreeParseError(field: "version", offset: 20, reason: .unsupportedVersion(version: version, lastCompatible: lastCompatible))
        }
        let headerSize = version >= 17 ? FlattenedDeviceTreeHeader.version17Size : FlattenedDeviceTreeHeader.version16Size
        guard bytes.count >= headerSize else {
            throw DeviceTreeParseError(field: "header", offset: 0, reason: .truncated(needed: headerSize, available: bytes.count))
        }
        let total = word(at: 4)
        guard UInt64(total) <= UInt64(limits.maximumTotalSize) else {
            throw DeviceTreeParseError(field: "totalsize", offset: 4, reason: .totalSizeTooLarge(totalSize: total, limit: limits.maximumTotalSize))
        }
        guard UInt64(total) <= UInt64(bytes.count) else {
            throw DeviceTreeParseError(field: "totalsize", offset: 4, reason: .totalSizeExceedsData(totalSize: total, available: bytes.count))
        }
        guard Int(total) >= headerSize else {
            throw DeviceTreeParseError(field: "totalsize", offset: 4, reason: .totalSizeTooSmall(totalSize: total, headerSize: headerSize))
        }
        return FlattenedDeviceTreeHeader(
            totalSize: total, structureOffset: word(at: 8), stringsOffset: word(at: 12), reservationMapOffset: word(at: 16),
            version: version, lastCompatibleVersion: lastCompatible, bootCPUPhysicalID: word(at: 28),
            stringsSize: word(at: 32), structureSize: version >= 17 ? word(at: 36) : nil)
    }

    /// Checks that `[start, start + size)` lies after the header and inside `totalsize`.
    func checkBlock(_ field: String, fieldOffset: Int, start: UInt64, size: UInt64,
                    header: FlattenedDeviceTreeHeader) throws(DeviceTreeParseError) {
        guard start >= UInt64(header.size), start + size <= UInt64(header.totalSize) else {
            throw DeviceTreeParseError(field: field, offset: fieldOffset,
                                       reason: .blockOutOfBounds(start: start, size: size, totalSize: header.totalSize))
        }
    }

    /// Reads reservation entries from `start` until one of size 0 (the
    /// terminator, as libfdt and the kernel read it), never past `bound`.
    /// - Returns: the reservations and the offset just past the terminator.
    func parseReservations(start: Int, bound: Int) throws(DeviceTreeParseError) -> ([PhysicalRange], Int) {
        var ranges: [PhysicalRange] = []
        var offset = start
        while true {
            guard bound - offset >= 16 else {
                throw DeviceTreeParseError(field: "memory reservation map", offset: offset, reason: .reservationMapUnterminated)
            }
            let address = doubleWord(at: offset)
            let size = doubleWord(at: offset + 8)
            if size == 0 { return (ranges, offset + 16) }
            guard ranges.count < limits.maximumReservations else {
                throw DeviceTreeParseError(field: "memory reservation map", offset: offset,
                                           reason: .tooManyReservations(limit: limits.maximumReservations))
            }
            guard let range = try? PhysicalRange(start: PhysicalAddress(address), size: size) else {
                throw DeviceTreeParseError(field: "memory reservation entry \(ranges.count)", offset: offset,
                                           reason: .reservationOverflow(address: address, size: size))
            }
            ranges.append(range)
            offset += 16
        }
    }

    /// The NUL-terminated name starting at `start`, which must end before `end`
    /// and be at most the name length limit long.
    func name(at start: Int, end: Int, field: String) throws(DeviceTreeParseError) -> ArraySlice<UInt8> {
        let searchEnd = min(end, start + limits.maximumNameLength + 1)
        guard start < searchEnd, let nul = bytes[start..<searchEnd].firstIndex(of: 0) else {
            if searchEnd < end {
                throw DeviceTreeParseError(field: field, offset: start, reason: .nameTooLong(limit: limits.maximumNameLength))
            }
            throw DeviceTreeParseError(field: field, offset: start, reason: .unterminatedName)
        }
        return bytes[start..<nul]
    }

    /// An open node while its tokens are read.
    struct OpenNode {
        var node: DeviceTreeNode
        var propertyNames: Set<String> = []
        var childNames: Set<String> = []
        var hasChildren = false
    }

    /// Walks the structure block token by token. Every token moves forward by at
    /// least 4 bytes, so the walk ends; the token limit bounds its cost anyway.
    func parseStructure(start: Int, end: Int, strings: inout StringsBlock,
                        padding: inout [DeviceTreePaddingKey: [UInt8]]) throws(DeviceTreeParseError) -> DeviceTreeNode {
        var offset = start
        var open: [OpenNode] = []
        var root: DeviceTreeNode?
        var tokens = 0
        func path() -> String {
            open.count <= 1 ? "/" : "/" + open.dropFirst().map(\.node.name).joined(separator: "/")
        }
        /// Records the padding between `from` and the next aligned offset when it is not all zero.
        func notePadding(from: Int, key: @autoclosure () -> DeviceTreePaddingKey) {
            let stop = min(Self.aligned(from), end)
            if from < stop, bytes[from..<stop].contains(where: { $0 != 0 }) { padding[key()] = Array(bytes[from..<stop]) }
        }
        func expected() -> String { root == nil ? (open.isEmpty ? "FDT_BEGIN_NODE" : "a token") : "FDT_END" }

        while true {
            guard end - offset >= 4 else {
                if open.isEmpty {
                    throw DeviceTreeParseError(field: "structure block", offset: offset, reason: .missingEnd)
                }
                throw DeviceTreeParseError(field: "structure block", offset: offset, reason: .unclosedNodes(open: open.count))
            }
            tokens += 1
            guard tokens <= limits.maximumTokens else {
                throw DeviceTreeParseError(field: "structure block", offset: offset, reason: .tooManyTokens(limit: limits.maximumTokens))
            }
            let tokenOffset = offset
            let value = word(at: offset)
            offset += 4
            guard let token = DeviceTreeToken(rawValue: value) else {
                throw DeviceTreeParseError(field: "structure block token", offset: tokenOffset, reason: .invalidToken(value))
            }
            switch token {
            case .nop:
                continue
            case .beginNode:
                guard root == nil else {
                    throw DeviceTreeParseError(field: "FDT_BEGIN_NODE", offset: tokenOffset, reason: .unexpectedToken(.beginNode, expected: "FDT_END"))
                }
                guard open.count < limits.maximumDepth else {
                    throw DeviceTreeParseError(field: "FDT_BEGIN_NODE", offset: tokenOffset, reason: .nestingTooDeep(limit: limits.maximumDepth))
                }
                let raw = try name(at: offset, end: end, field: "FDT_BEGIN_NODE name")
                let text = String(decoding: raw, as: UTF8.self)
                if open.isEmpty {
                    guard raw.isEmpty else {
                        throw DeviceTreeParseError(field: "root node name", offset: offset, reason: .invalidName(text))
                    }
                } else {
                    guard DeviceTree.isValidNodeName(raw) else {
                        throw DeviceTreeParseError(field: "FDT_BEGIN_NODE name", offset: offset, reason: .invalidName(text))
                    }
                    guard open[open.count - 1].childNames.insert(text).inserted else {
                        throw DeviceTreeParseError(field: "FDT_BEGIN_NODE name", offset: offset,
                                                   reason: .duplicateName(node: path(), name: text))
                    }
                    open[open.count - 1].hasChildren = true
                }
                open.append(OpenNode(node: DeviceTreeNode(name: text)))
                notePadding(from: offset + raw.count + 1, key: DeviceTreePaddingKey(path: path()))
                offset = Self.aligned(offset + raw.count + 1)
            case .endNode:
                guard let closed = open.popLast() else {
                    throw DeviceTreeParseError(field: "FDT_END_NODE", offset: tokenOffset, reason: .unexpectedToken(.endNode, expected: expected()))
                }
                if open.isEmpty {
                    root = closed.node
                } else {
                    open[open.count - 1].node.children.append(closed.node)
                }
            case .property:
                guard !open.isEmpty else {
                    throw DeviceTreeParseError(field: "FDT_PROP", offset: tokenOffset, reason: .unexpectedToken(.property, expected: expected()))
                }
                guard !open[open.count - 1].hasChildren else {
                    throw DeviceTreeParseError(field: "FDT_PROP", offset: tokenOffset, reason: .propertyAfterSubnode(node: path()))
                }
                guard end - offset >= 8 else {
                    throw DeviceTreeParseError(field: "FDT_PROP header", offset: offset, reason: .truncated(needed: 8, available: end - offset))
                }
                let length = word(at: offset)
                let nameOffset = word(at: offset + 4)
                let valueStart = offset + 8
                guard UInt64(length) <= UInt64(end - valueStart) else {
                    throw DeviceTreeParseError(field: "FDT_PROP length", offset: offset,
                                               reason: .propertyLengthOutOfBounds(length: length, available: end - valueStart))
                }
                let propertyName = try strings.name(at: nameOffset, in: self, field: "FDT_PROP nameoff", fieldOffset: offset + 4)
                guard open[open.count - 1].propertyNames.insert(propertyName).inserted else {
                    throw DeviceTreeParseError(field: "FDT_PROP nameoff", offset: offset + 4,
                                               reason: .duplicateName(node: path(), name: propertyName))
                }
                let valueEnd = valueStart + Int(length)
                open[open.count - 1].node.properties.append(DeviceTreeProperty(name: propertyName, value: Array(bytes[valueStart..<valueEnd])))
                notePadding(from: valueEnd, key: DeviceTreePaddingKey(path: path(), property: propertyName))
                offset = Self.aligned(valueEnd)
            case .end:
                guard open.isEmpty else {
                    throw DeviceTreeParseError(field: "FDT_END", offset: tokenOffset, reason: .unclosedNodes(open: open.count))
                }
                guard let root else {
                    throw DeviceTreeParseError(field: "FDT_END", offset: tokenOffset, reason: .unexpectedToken(.end, expected: "FDT_BEGIN_NODE"))
                }
                return root
            }
        }
    }

    /// `offset` rounded up to the next multiple of 4 (structure tokens are aligned).
    static func aligned(_ offset: Int) -> Int { (offset + 3) & ~3 }
}

/// The strings block: resolves name offsets once each and remembers which offset
/// each name was found at, for ``DeviceTreeBlobLayout/nameOffsets``.
struct StringsBlock {
    let start: Int
    let size: UInt32
    var namesByOffset: [UInt32: String] = [:]
    var offsetsByName: [String: UInt32] = [:]

    init(start: Int, size: UInt32) {
        self.start = start
        self.size = size
    }

    mutating func name(at nameOffset: UInt32, in parser: DeviceTreeBlobParser, field: String,
                       fieldOffset: Int) throws(DeviceTreeParseError) -> String {
        if let known = namesByOffset[nameOffset] { return known }
        guard nameOffset < size else {
            throw DeviceTreeParseError(field: field, offset: fieldOffset, reason: .nameOffsetOutOfBounds(nameOffset: nameOffset, stringsSize: size))
        }
        let raw = try parser.name(at: start + Int(nameOffset), end: start + Int(size), field: "property name")
        let text = String(decoding: raw, as: UTF8.self)
        guard DeviceTree.isValidPropertyName(raw) else {
            throw DeviceTreeParseError(field: "property name", offset: start + Int(nameOffset), reason: .invalidName(text))
        }
        namesByOffset[nameOffset] = text
        if offsetsByName[text] == nil { offsetsByName[text] = nameOffset }
        return text
    }
}
