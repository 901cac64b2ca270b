import CrashDump
import Foundation

/// Files and peer tools for the dump-format tests: the synthetic cores written
/// once per test run, makedumpfile runs, and libkdumpfile through python3.
enum FormatFixtures {
    struct ToolFailure: Error, CustomStringConvertible {
        var command: String
        var status: Int32
        var errors: String
        var description: String { "\(command) exited with \(status): \(errors)" }
    }

    static let makedumpfilePath = "/usr/bin/makedumpfile"
    static let pythonPath = "/usr/bin/python3"

    static var hasMakedumpfile: Bool { FileManager.default.isExecutableFile(atPath: makedumpfilePath) }

    static let crashPath = "/usr/bin/crash"
    static var hasCrash: Bool { FileManager.default.isExecutableFile(atPath: crashPath) }

    /// `crash --osrelease DUMP`: the release crash finds in the dump's VMCOREINFO
    /// (no vmlinux needed).
    static func crashOSRelease(_ path: String) throws -> String {
        let result = try run(crashPath, ["--osrelease", path])
        guard result.status == 0 else {
            throw ToolFailure(command: "crash --osrelease", status: result.status, errors: result.errors)
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether python3 can import libkdumpfile's module.
    static let hasKdumpfile: Bool = {
        guard FileManager.default.isExecutableFile(atPath: pythonPath) else { return false }
        return (try? run(pythonPath, ["-c", "import kdumpfile"]).status) == 0
    }()

    /// A directory for this test process. Directories left by earlier test
    /// processes that have exited are removed when it is made.
    static let directory: URL = {
        let temporary = FileManager.default.temporaryDirectory
        let prefix = "crashdump-formats-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? [] where name.hasPrefix(prefix) {
            let pid = name.dropFirst(prefix.count)
            if !FileManager.default.fileExists(atPath: "/proc/\(pid)") {
                try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
            }
        }
        let url = temporary.appendingPathComponent("\(prefix)\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// A fresh path in ``directory``.
    static func path(_ name: String) -> String {
        directory.appendingPathComponent("\(UUID().uuidString.prefix(8))-\(name)").path
    }

    /// Writes `bytes` to a fresh file and returns its path.
    static func write(_ bytes: [UInt8], name: String) throws -> String {
        let file = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The synthetic core with VMCOREINFO and kernel structures (any dump level).
    static let kernelCore: Result<String, any Error> = Result {
        try write(SyntheticKernelCore.core(kernelInfo: true), name: "kernel.elf")
    }

    /// The synthetic core without VMCOREINFO (makedumpfile -d 0 or 1 only).
    static let plainCore: Result<String, any Error> = Result {
        try write(SyntheticKernelCore.core(kernelInfo: false), name: "plain.elf")
    }

    /// Runs `executable` with `arguments`; standard output goes to `stdout` when given.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], stdout: String? = nil,
                    stdin: String? = nil) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let errorFile = path("stderr")
        _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errorFile) }
        let outputFile = stdout ?? path("stdout")
        _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
        defer { if stdout == nil { try? FileManager.default.removeItem(atPath: outputFile) } }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorFile))
        if let stdin { process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdin)) }
        try process.run()
        process.waitUntilExit()
        let errors = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
        let output = stdout == nil ? ((try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "") : ""
        return (process.terminationStatus, output, errors)
    }

    /// `makedumpfile ARGUMENTS input output` (with -F: standard output to the
    /// output file); returns the output path.
    static func makedumpfile(_ arguments: [String], input: String, name: String, mayFail: Bool = false) throws -> String {
        let output = path(name)
        let flatten = arguments.contains("-F")
        let result = try run(makedumpfilePath, arguments + (flatten ? [input] : [input, output]),
                             stdout: flatten ? output : nil)
        guard result.status == 0 || mayFail else {
            throw ToolFailure(command: "makedumpfile \(arguments.joined(separator: " "))", status: result.status,
                              errors: String(result.errors.suffix(600)))
        }
        return output
    }

    /// `makedumpfile -R output < input`.
    static func makedumpfileReassemble(_ input: String, name: String) throws -> String {
        let output = path(name)
        let result = try run(makedumpfilePath, ["-R", output], stdin: input)
        guard result.status == 0 else {
            throw ToolFailure(command: "makedumpfile -R", status: result.status, errors: String(result.errors.suffix(600)))
        }
        return output
    }

    /// Runs a python3 script with libkdumpfile available; returns standard output.
    static func python(_ script: String, _ arguments: [String]) throws -> String {
        let file = path("script.py")
        try Data(script.utf8).write(to: URL(fileURLWithPath: file))
        let result = try run(pythonPath, [file] + arguments)
        guard result.status == 0 else {
            throw ToolFailure(command: "python3 \(script.prefix(60))", status: result.status, errors: String(result.errors.suffix(800)))
        }
        return result.output
    }

    /// libkdumpfile's view of a dump: each frame below `maxPFN` as libkdumpfile
    /// reads it, or `nil` where it reports no data (excluded or not in the dump).
    static func kdumpfilePages(_ path: String, maxPFN: UInt64, pageSize: Int = 4096) throws -> [[UInt8]?] {
        let script = """
        import sys, kdumpfile
        k = kdumpfile.kdumpfile(sys.argv[1])
        size = k.attr['arch.page_size']
        with open(sys.argv[3], 'wb') as out:
            for pfn in range(int(sys.argv[2])):
                try:
                    data = k.read(kdumpfile.KDUMP_MACHPHYSADDR, pfn * size, size)
                    out.write(b'+'); out.write(data)
                except kdumpfile.exceptions.NoDataException:
                    out.write(b'-')
        """
        let output = Self.path("pages.bin")
        defer { try? FileManager.default.removeItem(atPath: output) }
        _ = try python(script, [path, String(maxPFN), output])
        let bytes = try read(output)
        var pages: [[UInt8]?] = []
        var position = 0
        while position < bytes.count {
            if bytes[position] == UInt8(ascii: "+") {
                pages.append(Array(bytes[(position + 1)..<min(bytes.count, position + 1 + pageSize)]))
                position += 1 + pageSize
            } else {
                pages.append(nil)
                position += 1
            }
        }
        return pages
    }
}

/// The outcome of a call that throws ``CrashDumpError``, for matching error cases
/// with `if case` (typed `catch` patterns crash this compiler in some functions).
func capture<T>(_ body: () throws(CrashDumpError) -> T) -> Result<T, CrashDumpError> {
    Result(catching: body)
}

/// As ``capture(_:)`` for ``PageCodecError``.
func captureCodec<T>(_ body: () throws(PageCodecError) -> T) -> Result<T, PageCodecError> {
    Result(catching: body)
}
