public import SystemPackage
import Synchronization

/// One system call as ``RecordingKexecSystemCalls`` saw it.
public enum KexecSystemCall: Hashable, Sendable, CustomStringConvertible {
    /// A segment of a recorded `kexec_load`: the bytes read through `buf`, and the
    /// destination fields.
    public struct Segment: Hashable, Sendable {
        public var bytes: [UInt8]
        public var memory: UInt64
        public var memorySize: UInt64
        public init(bytes: [UInt8], memory: UInt64, memorySize: UInt64) {
            self.bytes = bytes
            self.memory = memory
            self.memorySize = memorySize
        }
    }

    case kexecLoad(entry: UInt64, flags: UInt64, segments: [Segment])
    /// `kernelPath`/`initrdPath` are what the descriptors pointed at (from
    /// /proc/self/fd), `nil` for -1 or when unknown.
    case kexecFileLoad(kernelFD: Int32, initrdFD: Int32, kernelPath: String?, initrdPath: String?, commandLine: [UInt8], flags: UInt64)
    case reboot(magic1: UInt32, magic2: UInt32, command: UInt32)
    case sync

    /// One line per call, stable for golden traces.
    public var description: String {
        func hex(_ value: some BinaryInteger) -> String { "0x" + String(value, radix: 16) }
        switch self {
        case .kexecLoad(let entry, let flags, let segments):
            let parts = segments.enumerated().map { index, segment in
                "[\(index) mem=\(hex(segment.memory)) memsz=\(hex(segment.memorySize)) bufsz=\(hex(segment.bytes.count)) fnv1a=\(hex(Self.fnv1a(segment.bytes)))]"
            }
            return "kexec_load entry=\(hex(entry)) nr=\(segments.count) flags=\(hex(flags)) " + parts.joined(separator: " ")
        case .kexecFileLoad(let kernelFD, let initrdFD, let kernelPath, let initrdPath, let commandLine, let flags):
            let text = commandLine.last == 0 ? String(decoding: commandLine.dropLast(), as: UTF8.self) : String(decoding: commandLine, as: UTF8.self)
            return "kexec_file_load kernel_fd=\(kernelFD) (\(kernelPath ?? "-")) initrd_fd=\(initrdFD) (\(initrdPath ?? "-")) cmdline_len=\(commandLine.count) cmdline=\"\(text)\" flags=\(hex(flags))"
        case .reboot(let magic1, let magic2, let command):
            return "reboot magic1=\(hex(magic1)) magic2=\(hex(magic2)) cmd=\(hex(command))"
        case .sync:
            return "sync"
        }
    }

    /// FNV-1a 64-bit, to name segment contents compactly in traces.
    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}

/// Records every kexec system call instead of making it: the test seam.
///
/// `respond` decides each call's result (default: success), so tests can play the
/// kernel refusing with any errno.
public final class RecordingKexecSystemCalls: KexecSystemCalls {
    private let state = Mutex<[KexecSystemCall]>([])
    private let respond: @Sendable (KexecSystemCall) -> Errno?

    public init(respond: @escaping @Sendable (KexecSystemCall) -> Errno? = { _ in nil }) {
        self.respond = respond
    }

    /// The calls recorded so far, oldest first.
    public var calls: [KexecSystemCall] { state.withLock { $0 } }

    private func record(_ call: KexecSystemCall) -> Errno? {
        state.withLock { $0.append(call) }
        return respond(call)
    }

    public func kexecLoad(entry: UInt64, segmentCount: Int, segmentTable: UnsafeRawBufferPointer, flags: UInt64) -> Errno? {
        let table = Array(segmentTable)
        guard let entries = try? KexecSegmentLayout.host.decode(table, count: segmentCount) else {
            return .badAddress
        }
        let segments = entries.map { entry in
            KexecSystemCall.Segment(
                bytes: UnsafeAccess.copyUserBuffer(address: entry.buffer, count: entry.bufferSize),
                memory: entry.memory, memorySize: entry.memorySize)
        }
        return record(.kexecLoad(entry: entry, flags: flags, segments: segments))
    }

    public func kexecFileLoad(kernelFD: Int32, initrdFD: Int32, commandLine: [UInt8], flags: UInt64) -> Errno? {
        record(.kexecFileLoad(
            kernelFD: kernelFD, initrdFD: initrdFD,
            kernelPath: UnsafeAccess.pathOfDescriptor(kernelFD), initrdPath: UnsafeAccess.pathOfDescriptor(initrdFD),
            commandLine: commandLine, flags: flags))
    }

    public func reboot(magic1: UInt32, magic2: UInt32, command: UInt32) -> Errno? {
        record(.reboot(magic1: magic1, magic2: magic2, command: command))
    }

    public func sync() {
        _ = record(.sync)
    }
}
