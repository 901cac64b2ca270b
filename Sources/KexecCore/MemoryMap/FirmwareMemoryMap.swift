public import SystemPackage

/// The firmware memory map of `/sys/firmware/memmap` (on x86 the e820 table the
/// kernel was booted with, before it reserved anything for itself).
public struct FirmwareMemoryMap: Hashable, Sendable {
    /// One `/sys/firmware/memmap/N` directory.
    public struct Entry: Hashable, Sendable {
        /// N, the directory's name.
        public var index: Int
        /// `[start, end + 1)`.
        public var range: PhysicalRange
        /// The `type` file's text, trimmed ("System RAM", "Reserved", ...).
        public var typeName: String
        /// What `typeName` means.
        public var type: MemoryType { MemoryType(name: typeName) }

        public init(index: Int, range: PhysicalRange, typeName: String) {
            self.index = index
            self.range = range
            self.typeName = typeName
        }
    }

    /// The entries sorted by start address (then index), as given: firmware maps
    /// may overlap; ``resolved()`` settles overlaps.
    public var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries.sorted { ($0.range.lowerBound, $0.index) < ($1.range.lowerBound, $1.index) }
    }

    /// The raw texts of one entry directory, as a parser input.
    public struct RawEntry: Hashable, Sendable {
        public var index: Int
        public var start: String
        public var end: String
        public var type: String
        public init(index: Int, start: String, end: String, type: String) {
            self.index = index
            self.start = start
            self.end = end
            self.type = type
        }
    }

    /// Parses entries whose `start`/`end` files hold `0x`-prefixed hex with an
    /// inclusive end, as sysfs prints them.
    /// - Throws: ``FirmwareMemoryMapError`` naming the entry and file.
    public init(parsing raw: [RawEntry]) throws(FirmwareMemoryMapError) {
        var parsed: [Entry] = []
        parsed.reserveCapacity(raw.count)
        for item in raw {
            let start = try Self.parseHex(item.start, entry: item.index, file: "start")
            let end = try Self.parseHex(item.end, entry: item.index, file: "end")
            let range: PhysicalRange
            do {
                range = try PhysicalRange(start: PhysicalAddress(start), inclusiveEnd: PhysicalAddress(end))
            } catch {
                throw FirmwareMemoryMapError(entry: item.index, file: "end", reason: .invalidRange(error))
            }
            let type = item.type.trimmingTrailingNewlines()
            guard !type.isEmpty, type.utf8.count <= 64, type.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7f }) else {
                throw FirmwareMemoryMapError(entry: item.index, file: "type", reason: .invalidType)
            }
            parsed.append(Entry(index: item.index, range: range, typeName: type))
        }
        self.init(entries: parsed)
    }

    private static func parseHex(_ text: String, entry: Int, file: String) throws(FirmwareMemoryMapError) -> UInt64 {
        let trimmed = text.trimmingTrailingNewlines()
        var digits = Substring(trimmed)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.utf8.count <= 16, let value = UInt64(digits, radix: 16) else {
            throw FirmwareMemoryMapError(entry: entry, file: file, reason: .invalidNumber(String(trimmed.prefix(40))))
        }
        return value
    }

    /// Reads a `/sys/firmware/memmap`-style directory: numbered subdirectories,
    /// each with `start`, `end` and `type` files.
    /// - Throws: ``FirmwareMemoryMapError`` or ``FileReadError``.
    public static func read(directory: FilePath = "/sys/firmware/memmap") throws -> FirmwareMemoryMap {
        let names = try UnsafeAccess.directoryEntries(directory)
        var raw: [RawEntry] = []
        for name in names {
            guard let index = Int(name), index >= 0 else { continue }
            let dir = directory.appending(name)
            raw.append(RawEntry(
                index: index,
                start: try FileReader.readText(dir.appending("start"), limit: 256),
                end: try FileReader.readText(dir.appending("end"), limit: 256),
                type: try FileReader.readText(dir.appending("type"), limit: 256)))
        }
        return try FirmwareMemoryMap(parsing: raw)
    }

    /// The map with overlaps settled (see ``MemoryRegion/resolve(_:)``).
    public func resolved() -> [MemoryRegion] {
        MemoryRegion.resolve(entries.map { MemoryRegion(range: $0.range, type: $0.type) })
    }

    /// The firmware map as a ``MemoryMap`` (overlaps resolved).
    public var memoryMap: MemoryMap { MemoryMap(regions: resolved()) }
}

/// Why a firmware memory map entry was refused.
public struct FirmwareMemoryMapError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        case invalidNumber(String)
        case invalidRange(AddressError)
        case invalidType
    }
    /// The entry directory's number.
    public let entry: Int
    /// The file in it: "start", "end" or "type".
    public let file: String
    public let reason: Reason

    public var description: String {
        let what: String
        switch reason {
        case .invalidNumber(let text): what = "\"\(text)\" is not a 0x-prefixed 64-bit hex number"
        case .invalidRange(let error): what = error.description
        case .invalidType: what = "type is empty, too long or holds control characters"
        }
        return "firmware memmap entry \(entry), file \(file): \(what)"
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = Substring(self)
        while let last = text.last, last == "\n" || last == "\r" || last == " " { text = text.dropLast() }
        return String(text)
    }
}
