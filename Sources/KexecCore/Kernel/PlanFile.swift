/// The plan file of docs/plan-file.md: a ``KexecLoadRequest`` on disk, for
/// `kexec-apply` on machines without Swift.
public enum PlanFile {
    /// "KXPLAN01".
    public static let magic: [UInt8] = Array("KXPLAN01".utf8)
    public static let version: UInt32 = 1
    public static let headerSize = 64
    public static let descriptorSize = 32
    public static let byteOrderMark: UInt32 = 0x0102_0304

    /// Encodes `request` in the byte order of `architecture`.
    public static func encode(_ request: KexecLoadRequest, architecture: KexecArchitecture) -> [UInt8] {
        let order = architecture.byteOrder
        let count = request.segments.count
        var offsets: [Int] = []
        var cursor = headerSize + count * descriptorSize
        for segment in request.segments {
            cursor = (cursor + 7) & ~7
            offsets.append(cursor)
            cursor += segment.buffer.count
        }
        let total = cursor
        var writer = ByteWriter(byteOrder: order, reservingCapacity: total)
        writer.write(bytes: magic)
        writer.write(version)
        writer.write(UInt32(headerSize))
        writer.write(UInt32(architecture.elfMachine))
        writer.write(UInt32(0))
        writer.write(request.flags)
        writer.write(UInt32(count))
        writer.write(byteOrderMark)
        writer.write(request.entry.rawValue)
        writer.write(UInt64(total))
        writer.write(UInt64(0))
        for (segment, offset) in zip(request.segments, offsets) {
            writer.write(segment.destination.lowerBound.rawValue)
            writer.write(segment.memorySize)
            writer.write(UInt64(offset))
            writer.write(segment.bufferSize)
        }
        for (segment, offset) in zip(request.segments, offsets) {
            writer.writeZeros(offset - writer.bytes.count)
            writer.write(bytes: segment.buffer)
        }
        return writer.bytes
    }

    /// A decoded plan file.
    public struct Contents: Hashable, Sendable {
        public var machine: UInt16
        public var flags: UInt64
        public var entry: PhysicalAddress
        public var segments: [KexecSegment]
    }

    /// Decodes and checks a plan file.
    /// - Throws: ``PlanFileError`` naming the field.
    public static func decode(_ bytes: [UInt8]) throws(PlanFileError) -> Contents {
        guard bytes.count >= headerSize else { throw .truncated(needed: headerSize, available: bytes.count) }
        guard Array(bytes[0..<8]) == magic else { throw .badField("magic") }
        let little = ByteReader(bytes, byteOrder: .little)
        let order: ByteOrder
        do {
            let mark = try little.peek(UInt32.self, at: 36, field: "byte-order mark")
            if mark == byteOrderMark { order = .little } else if mark == byteOrderMark.byteSwapped { order = .big } else {
                throw PlanFileError.badField("byte-order mark")
            }
        } catch let error as PlanFileError { throw error } catch { throw .truncated(needed: headerSize, available: bytes.count) }
        var reader = ByteReader(bytes, byteOrder: order, offset: 8)
        do {
            guard try reader.read(UInt32.self, field: "version") == version else { throw PlanFileError.badField("version") }
            guard try reader.read(UInt32.self, field: "header size") == UInt32(headerSize) else { throw PlanFileError.badField("header size") }
            let machine = UInt16(truncatingIfNeeded: try reader.read(UInt32.self, field: "machine"))
            _ = try reader.read(UInt32.self, field: "reserved")
            let flags = try reader.read(UInt64.self, field: "flags")
            let count = Int(try reader.read(UInt32.self, field: "count"))
            guard (1...16).contains(count) else { throw PlanFileError.badField("segment count") }
            _ = try reader.read(UInt32.self, field: "byte-order mark")
            let entry = try reader.read(UInt64.self, field: "entry")
            guard try reader.read(UInt64.self, field: "file size") == UInt64(bytes.count) else { throw PlanFileError.badField("file size") }
            reader.offset = headerSize
            var segments: [KexecSegment] = []
            for index in 0..<count {
                let mem = try reader.read(UInt64.self, field: "segment \(index) mem")
                let memsz = try reader.read(UInt64.self, field: "segment \(index) memsz")
                let offset = try reader.read(UInt64.self, field: "segment \(index) offset")
                let bufsz = try reader.read(UInt64.self, field: "segment \(index) bufsz")
                guard offset <= UInt64(bytes.count), bufsz <= UInt64(bytes.count) - offset else {
                    throw PlanFileError.badField("segment \(index) offset/bufsz")
                }
                guard let destination = try? PhysicalRange(start: PhysicalAddress(mem), size: memsz),
                      let segment = try? KexecSegment(buffer: Array(bytes[Int(offset)..<Int(offset + bufsz)]), destination: destination)
                else { throw PlanFileError.badField("segment \(index) mem/memsz/bufsz") }
                segments.append(segment)
            }
            return Contents(machine: machine, flags: flags, entry: PhysicalAddress(entry), segments: segments)
        } catch let error as PlanFileError {
            throw error
        } catch {
            throw .truncated(needed: headerSize + descriptorSize, available: bytes.count)
        }
    }
}

/// A plan file that cannot be read.
public enum PlanFileError: Error, Hashable, Sendable, CustomStringConvertible {
    case truncated(needed: Int, available: Int)
    case badField(String)

    public var description: String {
        switch self {
        case .truncated(let needed, let available): "truncated plan file: needs at least \(needed) bytes, has \(available)"
        case .badField(let field): "invalid plan file: bad \(field)"
        }
    }
}
