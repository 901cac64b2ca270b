import KexecTestSupport
import Testing
@testable import ArchPPC
import KexecCore

/// Hand-assembled blobs: header, reservation map, structure tokens and strings,
/// laid out as dtc does (header 40 bytes, map at 40, structure after the map).
struct RawBlob {
    var version: UInt32 = 17
    var lastCompatible: UInt32 = 16
    var reservations: [(UInt64, UInt64)] = []
    var structure: [UInt8] = []
    var strings: [UInt8] = []

    static func word(_ value: UInt32) -> [UInt8] { DeviceTreeProperty.encode(UInt64(value), bytes: 4) }
    static func padded(_ bytes: [UInt8]) -> [UInt8] { bytes + Array(repeating: 0, count: (4 - bytes.count % 4) % 4) }

    mutating func begin(_ name: String) { structure += Self.word(1) + Self.padded(Array(name.utf8) + [0]) }
    mutating func endNode() { structure += Self.word(2) }
    mutating func property(length: UInt32, nameOffset: UInt32, value: [UInt8] = []) {
        structure += Self.word(3) + Self.word(length) + Self.word(nameOffset) + Self.padded(value)
    }
    mutating func nop() { structure += Self.word(4) }
    mutating func end() { structure += Self.word(9) }
    mutating func token(_ value: UInt32) { structure += Self.word(value) }

    var reservationSize: Int { (reservations.count + 1) * 16 }
    var structureOffset: Int { 40 + reservationSize }
    var stringsOffset: Int { structureOffset + structure.count }

    var bytes: [UInt8] {
        let total = stringsOffset + strings.count
        var out: [UInt8] = []
        for field in [0xd00d_feed, UInt32(total), UInt32(structureOffset), UInt32(stringsOffset), 40, version, lastCompatible, 0,
                      UInt32(strings.count), UInt32(structure.count)] {
            out += Self.word(field)
        }
        for (address, size) in reservations {
            out += DeviceTreeProperty.encode(address, bytes: 8) + DeviceTreeProperty.encode(size, bytes: 8)
        }
        out += Array(repeating: 0, count: 16)
        return out + structure + strings
    }

    /// A root with one property "a" = <1>, closed and ended.
    static var minimal: RawBlob {
        var blob = RawBlob()
        blob.strings = Array("a\0".utf8)
        blob.begin("")
        blob.property(length: 4, nameOffset: 0, value: word(1))
        blob.endNode()
        blob.end()
        return blob
    }
}

func patched(_ bytes: [UInt8], _ value: UInt32, at offset: Int) -> [UInt8] {
    var copy = bytes
    copy.replaceSubrange(offset..<offset + 4, with: RawBlob.word(value))
    return copy
}

func parseError(_ bytes: [UInt8], limits: DeviceTreeParseLimits = .default) -> DeviceTreeParseError? {
    do {
        _ = try DeviceTreeBlob(parsing: bytes, limits: limits)
        return nil
    } catch {
        return error
    }
}

/// Damaged and hostile blobs: typed errors naming the field and the offset.
@Suite("Device tree blobs: hostile input")
struct DeviceTreeHostileTests {
    @Test func minimalBlobParses() throws {
        let tree = try DeviceTree(parsingBlob: RawBlob.minimal.bytes)
        #expect(tree.root.properties == [DeviceTreeProperty(name: "a", u32: 1)])
        #expect(try tree.flattened() == RawBlob.minimal.bytes)
    }

    @Test func headerErrors() throws {
        let good = RawBlob.minimal.bytes
        #expect(parseError([]) == DeviceTreeParseError(field: "magic", offset: 0, reason: .truncated(needed: 4, available: 0)))
        #expect(parseError(patched(good, 0x1234_5678, at: 0)) == DeviceTreeParseError(field: "magic", offset: 0, reason: .badMagic(0x1234_5678)))
        #expect(parseError(Array(good.prefix(30))) == DeviceTreeParseError(field: "header", offset: 0, reason: .truncated(needed: 36, available: 30)))
        #expect(parseError(Array(good.prefix(38))) == DeviceTreeParseError(field: "header", offset: 0, reason: .truncated(needed: 40, available: 38)))
        #expect(parseError(patched(good, 15, at: 20)) == DeviceTreeParseError(field: "version", offset: 20, reason: .unsupportedVersion(version: 15, lastCompatible: 16)))
        #expect(parseError(patched(good, 18, at: 24)) == DeviceTreeParseError(field: "version", offset: 20, reason: .unsupportedVersion(version: 17, lastCompatible: 18)))
        let count = good.count
        #expect(parseError(patched(good, UInt32(count + 1), at: 4))
                == DeviceTreeParseError(field: "totalsize", offset: 4, reason: .totalSizeExceedsData(totalSize: UInt32(count + 1), available: count)))
        #expect(parseError(patched(good, 0xffff_ffff, at: 4))
                == DeviceTreeParseError(field: "totalsize", offset: 4, reason: .totalSizeTooLarge(totalSize: 0xffff_ffff, limit: 64 << 20)))
        #expect(parseError(patched(good, 20, at: 4))
                == DeviceTreeParseError(field: "totalsize", offset: 4, reason: .totalSizeTooSmall(totalSize: 20, headerSize: 40)))
        // A later version that stays compatible with 17 is read.
        #expect(parseError(patched(good, 18, at: 20)) == nil)
    }

    @Test func blocksPastTheEndOverlappingOrMisaligned() throws {
        let good = RawBlob.minimal.bytes
        let total = UInt32(good.count)
        #expect(parseError(patched(good, 0x10000, at: 8))
                == DeviceTreeParseError(field: "off_dt_struct", offset: 8, reason: .blockOutOfBounds(start: 0x10000, size: 0, totalSize: total)))
        #expect(parseError(patched(good, 0xffff_fff0, at: 36))
                == DeviceTreeParseError(field: "size_dt_struct", offset: 36, reason: .blockOutOfBounds(start: 56, size: 0xffff_fff0, totalSize: total)))
        #expect(parseError(patched(good, 0xffff_ffff, at: 32))
                == DeviceTreeParseError(field: "size_dt_strings", offset: 32,
                                        reason: .blockOutOfBounds(start: UInt64(RawBlob.minimal.stringsOffset), size: 0xffff_ffff, totalSize: total)))
        #expect(parseError(patched(good, 0xffff_ff00, at: 12))
                == DeviceTreeParseError(field: "off_dt_strings", offset: 12, reason: .blockOutOfBounds(start: 0xffff_ff00, size: 0, totalSize: total)))
        #expect(parseError(patched(good, 8, at: 8))
                == DeviceTreeParseError(field: "off_dt_struct", offset: 8, reason: .blockOutOfBounds(start: 8, size: 0, totalSize: total)))
        #expect(parseError(patched(good, 60, at: 12))
                == DeviceTreeParseError(field: "off_dt_strings", offset: 12, reason: .blocksOverlap(other: "structure block")))
        #expect(parseError(patched(good, 44, at: 16))
                == DeviceTreeParseError(field: "off_mem_rsvmap", offset: 16, reason: .misaligned(value: 44, alignment: 8)))
        #expect(parseError(patched(good, 58, at: 8))
                == DeviceTreeParseError(field: "off_dt_struct", offset: 8, reason: .misaligned(value: 58, alignment: 4)))
        // The map runs into the structure block before its terminator.
        #expect(parseError(patched(good, 48, at: 16))
                == DeviceTreeParseError(field: "memory reservation map", offset: 48, reason: .reservationMapUnterminated))
        // The map moved inside the structure block, where a 12-byte zero value makes
        // a terminator at 72: the two blocks overlap.
        var inside = RawBlob.minimal
        inside.structure = []
        inside.begin("")
        inside.property(length: 12, nameOffset: 0, value: Array(repeating: 0, count: 12))
        inside.endNode()
        inside.end()
        #expect(parseError(patched(inside.bytes, 72, at: 16))
                == DeviceTreeParseError(field: "off_dt_struct", offset: 8, reason: .blocksOverlap(other: "memory reservation map")))
    }

    @Test func reservationMapErrors() throws {
        var blob = RawBlob.minimal
        blob.reservations = [(0x1000, 0x2000), (0xffff_ffff_ffff_f000, 0x2000)]
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "memory reservation entry 1", offset: 56,
                                                               reason: .reservationOverflow(address: 0xffff_ffff_ffff_f000, size: 0x2000)))
        blob.reservations = (0..<5).map { (UInt64($0) << 20, 0x1000) }
        #expect(parseError(blob.bytes, limits: DeviceTreeParseLimits(maximumReservations: 4))
                == DeviceTreeParseError(field: "memory reservation map", offset: 40 + 4 * 16, reason: .tooManyReservations(limit: 4)))
        let tree = try DeviceTree(parsingBlob: blob.bytes)
        #expect(try tree.reservations.count == 5 && tree.reservations[1] == PhysicalRange(start: 0x10_0000, size: 0x1000))
    }

    @Test func propertyErrors() throws {
        // Structure: 56 BEGIN_NODE, 60 "" padded, 64 FDT_PROP, 68 length, 72 nameoff, 76 value.
        var blob = RawBlob.minimal
        blob.structure = []
        blob.begin("")
        blob.property(length: 0xffff_fffc, nameOffset: 0)
        blob.endNode()
        blob.end()
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "FDT_PROP length", offset: 68,
                                                               reason: .propertyLengthOutOfBounds(length: 0xffff_fffc, available: 8)))
        blob.structure = []
        blob.begin("")
        blob.property(length: 4, nameOffset: 1000, value: RawBlob.word(7))
        blob.endNode()
        blob.end()
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "FDT_PROP nameoff", offset: 72,
                                                               reason: .nameOffsetOutOfBounds(nameOffset: 1000, stringsSize: 2)))
        var unterminated = RawBlob.minimal
        unterminated.strings = Array("abc".utf8)
        #expect(parseError(unterminated.bytes) == DeviceTreeParseError(field: "property name", offset: unterminated.stringsOffset, reason: .unterminatedName))
        var spaced = RawBlob.minimal
        spaced.strings = Array("a b\0".utf8)
        #expect(parseError(spaced.bytes) == DeviceTreeParseError(field: "property name", offset: spaced.stringsOffset, reason: .invalidName("a b")))
        var empty = RawBlob.minimal
        empty.strings = [0]
        #expect(parseError(empty.bytes) == DeviceTreeParseError(field: "property name", offset: empty.stringsOffset, reason: .invalidName("")))
    }

    @Test func nodeNameErrors() throws {
        var blob = RawBlob()
        blob.begin("")
        blob.token(1)
        blob.structure += Array("abcd".utf8)
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "FDT_BEGIN_NODE name", offset: 68, reason: .unterminatedName))
        blob = RawBlob()
        blob.begin("x")
        blob.endNode()
        blob.end()
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "root node name", offset: 60, reason: .invalidName("x")))
        blob = RawBlob()
        blob.begin("")
        blob.begin("")
        blob.endNode()
        blob.endNode()
        blob.end()
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "FDT_BEGIN_NODE name", offset: 68, reason: .invalidName("")))
        blob = RawBlob()
        blob.begin("")
        blob.begin("a/b")
        blob.endNode()
        blob.endNode()
        blob.end()
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "FDT_BEGIN_NODE name", offset: 68, reason: .invalidName("a/b")))
    }

    @Test func unbalancedAndStrayTokens() throws {
        var blob = RawBlob()
        blob.begin("")
        blob.endNode()
        blob.endNode()
        blob.end()
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "FDT_END_NODE", offset: 68, reason: .unexpectedToken(.endNode, expected: "FDT_END")))
        blob = RawBlob()
        blob.begin("")
        blob.end()
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "FDT_END", offset: 64, reason: .unclosedNodes(open: 1)))
        blob = RawBlob()
        blob.begin("")
        blob.endNode()
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "structure block", offset: 68, reason: .missingEnd))
        blob = RawBlob()
        blob.begin("")
        blob.begin("a")
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "structure block", offset: 72, reason: .unclosedNodes(open: 2)))
        blob = RawBlob()
        blob.begin("")
        blob.token(7)
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "structure block token", offset: 64, reason: .invalidToken(7)))
        blob = RawBlob.minimal
        blob.structure = []
        blob.property(length: 0, nameOffset: 0)
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "FDT_PROP", offset: 56, reason: .unexpectedToken(.property, expected: "FDT_BEGIN_NODE")))
        blob = RawBlob()
        blob.end()
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "FDT_END", offset: 56, reason: .unexpectedToken(.end, expected: "FDT_BEGIN_NODE")))
        blob = RawBlob()
        blob.endNode()
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "FDT_END_NODE", offset: 56, reason: .unexpectedToken(.endNode, expected: "FDT_BEGIN_NODE")))
        blob = RawBlob()
        blob.begin("")
        blob.endNode()
        blob.begin("")
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "FDT_BEGIN_NODE", offset: 68, reason: .unexpectedToken(.beginNode, expected: "FDT_END")))
        blob = RawBlob()
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "structure block", offset: 56, reason: .missingEnd))
    }

    @Test func orderAndDuplicates() throws {
        var blob = RawBlob.minimal
        blob.structure = []
        blob.begin("")
        blob.begin("c")
        blob.endNode()
        blob.property(length: 0, nameOffset: 0)
        blob.endNode()
        blob.end()
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "FDT_PROP", offset: 76, reason: .propertyAfterSubnode(node: "/")))
        blob.structure = []
        blob.begin("")
        blob.begin("c")
        blob.property(length: 0, nameOffset: 0)
        blob.property(length: 0, nameOffset: 0)
        blob.endNode()
        blob.endNode()
        blob.end()
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "FDT_PROP nameoff", offset: 92, reason: .duplicateName(node: "/c", name: "a")))
        blob.structure = []
        blob.begin("")
        blob.begin("c")
        blob.endNode()
        blob.begin("c")
        blob.endNode()
        blob.endNode()
        blob.end()
        #expect(parseError(blob.bytes) == DeviceTreeParseError(field: "FDT_BEGIN_NODE name", offset: 80, reason: .duplicateName(node: "/", name: "c")))
    }

    @Test func nestingIsBounded() throws {
        var node = DeviceTreeNode(name: "n")
        for _ in 0..<69 { node = DeviceTreeNode(name: "n", children: [node]) }
        let tree = DeviceTree(root: DeviceTreeNode(name: "", children: [node]))
        let bytes = try tree.flattened()
        // The root at 56, then one 8-byte BEGIN_NODE "n" per level: the 65th open node is the 64th child.
        #expect(parseError(bytes) == DeviceTreeParseError(field: "FDT_BEGIN_NODE", offset: 56 + 64 * 8, reason: .nestingTooDeep(limit: 64)))
        #expect(try DeviceTree(parsingBlob: bytes, limits: DeviceTreeParseLimits(maximumDepth: 71)) == tree)
    }

    /// A token stream only moves forward, so it cannot loop; what a hostile blob can
    /// do is hold very many tokens. A million NOPs parse in bounded time, and the
    /// token limit stops the walk with a typed error.
    @Test func hugeTokenCountsAreBounded() throws {
        var blob = RawBlob()
        blob.begin("")
        blob.structure += Array(repeating: RawBlob.word(4), count: 1 << 20).flatMap { $0 }
        blob.endNode()
        blob.end()
        let bytes = blob.bytes
        let clock = ContinuousClock()
        let elapsed = try clock.measure { _ = try DeviceTree(parsingBlob: bytes) }
        #expect(elapsed < .seconds(30))
        #expect(parseError(bytes, limits: DeviceTreeParseLimits(maximumTokens: 1000))
                == DeviceTreeParseError(field: "structure block", offset: 56 + 8 + 4 * 999, reason: .tooManyTokens(limit: 1000)))
    }

    /// Random damage to a real blob: every result is a tree or a typed error, never
    /// a crash or a hang; truncation anywhere is an error.
    @Test func randomDamageNeverCrashes() throws {
        let original = try PPCFixtures.blob("pseries-1g")
        var generator = SeededGenerator(seed: 0x0fd7)
        var accepted = 0
        for _ in 0..<1000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
            }
            if let tree = try? DeviceTree(parsingBlob: bytes) {
                accepted += 1
                #expect(tree.checkInvariants() == nil)
                // Whatever parsed can be written and parses to the same tree.
                #expect(try DeviceTree(parsingBlob: tree.flattened()) == tree)
            }
        }
        #expect(accepted > 0)
        for length in stride(from: 0, to: original.count, by: 97) {
            #expect(parseError(Array(original.prefix(length))) != nil)
        }
    }
}

extension DeviceTreeHostileTests {
    @Test func longNamesAreBounded() throws {
        var blob = RawBlob.minimal
        blob.strings = Array(String(repeating: "p", count: 40).utf8) + [0]
        #expect(parseError(blob.bytes, limits: DeviceTreeParseLimits(maximumNameLength: 31))
                == DeviceTreeParseError(field: "property name", offset: blob.stringsOffset, reason: .nameTooLong(limit: 31)))
        #expect(parseError(blob.bytes, limits: DeviceTreeParseLimits(maximumNameLength: 40)) == nil)
        var node = RawBlob()
        node.begin("")
        node.begin(String(repeating: "n", count: 40))
        node.endNode()
        node.endNode()
        node.end()
        #expect(parseError(node.bytes, limits: DeviceTreeParseLimits(maximumNameLength: 39))
                == DeviceTreeParseError(field: "FDT_BEGIN_NODE name", offset: 68, reason: .nameTooLong(limit: 39)))
    }
}
