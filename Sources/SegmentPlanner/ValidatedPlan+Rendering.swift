import Crypto
import KexecCore

extension PlanDraft {
    /// The SHA-256 of what segment `index` puts in memory: its bytes, then zeros to
    /// `memsz` (what purgatory verifies), as lowercase hex.
    public func sha256(ofSegment index: Int) -> String {
        var hasher = SHA256()
        let segment = segments[index].segment
        hasher.update(data: segment.buffer)
        var remaining = segment.memorySize - segment.bufferSize
        let zeros = [UInt8](repeating: 0, count: 1 << 16)
        while remaining > 0 {
            let chunk = Int(min(remaining, UInt64(zeros.count)))
            hasher.update(data: zeros[0..<chunk])
            remaining -= UInt64(chunk)
        }
        return hasher.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The plan as JSON: architecture, kind, page size, entry, flags and each
    /// segment (index, role, start, end, bufsz, memsz, SHA-256). Addresses are
    /// `0x` hex strings (JSON numbers lose precision above 2^53); keys are stable.
    public func json() -> String {
        let flags = KexecLoadFlags(kind: kind).rawValue(architecture: architecture)
        var lines = [
            "{",
            "  \"architecture\": \"\(architecture)\",",
            "  \"kind\": \"\(kind)\",",
            "  \"pageSize\": \(pageSize.bytes),",
            "  \"entry\": \"\(entry)\",",
            "  \"flags\": \"0x\(String(flags, radix: 16))\",",
            "  \"segments\": [",
        ]
        for (index, planned) in segments.enumerated() {
            let comma = index == segments.count - 1 ? "" : ","
            lines.append("    {\"index\": \(index), \"role\": \"\(planned.role)\", \"start\": \"\(planned.destination.lowerBound)\", "
                + "\"end\": \"\(planned.destination.upperBound)\", \"bufsz\": \(planned.segment.bufferSize), "
                + "\"memsz\": \(planned.segment.memorySize), \"sha256\": \"\(sha256(ofSegment: index))\"}\(comma)")
        }
        lines.append("  ]")
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A readable listing for `--dry-run`: the segments, then the memory map with
    /// each segment under the region that holds it.
    public func listing() -> String {
        func hex(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return "0x" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
        }
        func size(_ value: UInt64) -> String {
            if value >= 1 << 20 && value % (1 << 20) == 0 { return "\(value >> 20) MiB" }
            if value >= 1 << 10 && value % (1 << 10) == 0 { return "\(value >> 10) KiB" }
            return "\(value) B"
        }
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        var out = "kexec plan: \(architecture) \(kind) image, entry \(entry), \(segments.count) segments, \(pageSize) pages\n"
        out += "  #  " + pad("role", 12) + pad("destination", 34) + pad("bufsz", 12) + pad("memsz", 12) + "sha256\n"
        for (index, planned) in segments.enumerated() {
            let range = "\(hex(planned.destination.lowerBound.rawValue))-\(hex(planned.destination.upperBound.rawValue))"
            out += "  " + pad(String(index), 3) + pad(planned.role.description, 12) + pad(range, 34)
                + pad(size(planned.segment.bufferSize), 12) + pad(size(planned.segment.memorySize), 12)
                + String(sha256(ofSegment: index).prefix(16)) + "\n"
        }
        out += "memory map (\(kind == .crash ? "crash region" : "System RAM minus crash regions") marked *):\n"
        let usable = usableMemory
        var rows: [(PhysicalRange, String)] = memoryMap.regions.map { ($0.range, $0.type.description) }
        rows += memoryMap.crashRegions.map { ($0, "Crash kernel") }
        rows.sort { $0.0.lowerBound < $1.0.lowerBound }
        for (range, name) in rows {
            let mark = usable.overlaps(range) ? "*" : " "
            out += " \(mark) \(hex(range.lowerBound.rawValue))-\(hex(range.upperBound.rawValue)) \(name)\n"
            for (index, planned) in segments.enumerated() where range.contains(planned.destination) && (name == "Crash kernel") == (kind == .crash) {
                out += "      \(hex(planned.destination.lowerBound.rawValue))-\(hex(planned.destination.upperBound.rawValue)) segment \(index) \(planned.role)\n"
            }
        }
        return out
    }
}
