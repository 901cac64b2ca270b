public import ArgumentParser
import CrashDump
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension SaveOptions.Format: ExpressibleByArgument {}
extension PageCodec: ExpressibleByArgument {}

/// `vmcore-dump save [-d LEVEL] [--format elf|kdump|flat] [--compress none|zlib|lzo|zstd] [--threads N] INPUT OUTPUT`.
struct Save: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Filter, compress and write the dump (as makedumpfile [options] VMCORE DUMPFILE).",
        discussion: """
            OUTPUT '-' writes a flattened stream to standard output (for `| ssh host vmcore-dump reassemble - FILE` \
            or `makedumpfile -R FILE`). Dump level bits, as makedumpfile: 1 zero pages, 2 cache pages, \
            4 private cache pages, 8 user pages, 16 free pages. Progress goes to standard error: redrawn \
            on a terminal, whole lines every 10% elsewhere. On a write error (a full disk) the output is marked \
            incomplete and holds every page written before it.
            """)

    @Option(name: .customShort("d"), help: "The dump level, 0...31.")
    var dumpLevel = 31

    @Option(help: "The output format: kdump, elf or flat.")
    var format: SaveOptions.Format = .kdump

    @Option(help: "The page codec for kdump and flat output: zstd, lzo, zlib or none.")
    var compress: PageCodec = .zstd

    @Option(help: "Worker threads (default: every online CPU).")
    var threads: Int?

    @Flag(help: "No progress display.")
    var quiet = false

    @Argument(help: "The vmcore: /proc/vmcore, an ELF dump, a kdump-compressed file or a flattened stream.")
    var input: String

    @Argument(help: "The dump file, a block device, or '-' for a flattened stream on standard output.")
    var output: String

    func validate() throws {
        guard DumpLevel(level: dumpLevel) != nil else {
            throw ValidationError("the dump level must be 0...31, not \(dumpLevel)")
        }
        if let threads, threads < 1 || threads > 1024 { throw ValidationError("--threads must be 1...1024") }
        if output == "-" && format == .elf {
            throw ValidationError("an ELF dump cannot go to standard output; use --format flat (or kdump)")
        }
    }

    func run() throws {
        // A reader that goes away must give EPIPE, not kill us silently.
        signal(SIGPIPE, SIG_IGN)
        let cpus = max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1)
        let options = SaveOptions(format: output == "-" ? .flat : format, codec: format == .elf ? .none : compress,
                                  dumpLevel: DumpLevel(level: dumpLevel) ?? .all, threads: threads ?? cpus)
        let vmcore: Vmcore
        do {
            vmcore = try Vmcore.open(path: FilePath(input))
        } catch {
            writeStandardError("vmcore-dump save: \(input): \(error)\n")
            throw ExitCode.failure
        }
        for warning in vmcore.warnings { writeStandardError("vmcore-dump save: warning: \(input): \(warning)\n") }
        let sink: any DumpSink
        do {
            if output == "-" {
                sink = try FlattenedDumpSink(descriptor: .standardOutput, name: "<standard output>")
            } else if options.format == .flat {
                sink = try FlattenedDumpSink(descriptor: try FileDescriptor.open(
                    FilePath(output), .writeOnly, options: [.create, .truncate, .closeOnExec],
                    permissions: [.ownerReadWrite]), name: output)
            } else {
                sink = try FileDumpSink(creating: FilePath(output))
            }
        } catch {
            writeStandardError("vmcore-dump save: \(output): \(error)\n")
            throw ExitCode.failure
        }
        var printer = SaveProgressPrinter(isTerminal: isatty(2) == 1, prefix: "vmcore-dump save: ")
        let quiet = quiet
        let summary: SaveSummary
        do {
            summary = try DumpSaver.save(vmcore, to: sink, options: options) { progress in
                guard !quiet, let text = printer.text(for: progress) else { return }
                writeStandardError(text)
            }
        } catch {
            writeStandardError("\nvmcore-dump save: \(error)\n")
            writeStandardError("vmcore-dump save: \(output) is incomplete (marked so in its header)\n")
            throw ExitCode.failure
        }
        writeStandardError(summaryText(summary, options: options))
    }

    func summaryText(_ summary: SaveSummary, options: SaveOptions) -> String {
        var lines = [
            "vmcore-dump save: \(summary.pagesPresent) pages in the dump, \(summary.pagesFiltered) filtered, "
                + "\(summary.pagesZero) zero, \(summary.pagesWritten) written (\(summary.pagesCompressed) compressed "
                + "with \(options.codec)); \(summary.bytesWritten) bytes (dump level \(options.dumpLevel.level))",
            "vmcore-dump save: read \(summary.bytesRead) bytes of input, \(summary.bytesMapped) of them mapped in place",
        ]
        if summary.pagesUnreadable > 0 {
            lines.append("vmcore-dump save: warning: \(summary.pagesUnreadable) pages could not be read and were written as zeros:")
            lines.append(contentsOf: summary.unreadableSamples.map { "vmcore-dump save:   \($0)" })
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `vmcore-dump reassemble FLAT OUTPUT`: a flattened stream into a regular file.
struct Reassemble: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn a flattened stream (vmcore-dump save ... -, makedumpfile -F) into a dump file (as makedumpfile -R).")

    @Argument(help: "The flattened stream, or '-' for standard input.")
    var flat: String

    @Argument(help: "The dump file to write.")
    var output: String

    func run() throws {
        do {
            let result: FlattenedReassembly
            if flat == "-" {
                let out = try FileDescriptor.open(FilePath(output), .readWrite, options: [.create, .truncate, .closeOnExec],
                                                  permissions: [.ownerReadWrite])
                defer { try? out.close() }
                result = try FlattenedFormat.reassemble(flat: .standardInput, to: out, outputName: output)
            } else {
                result = try FlattenedFormat.reassemble(flat: FilePath(flat), to: FilePath(output))
            }
            if let truncation = result.truncation {
                writeStandardError("vmcore-dump reassemble: \(flat): \(truncation); \(output) holds what arrived\n")
                throw ExitCode.failure
            }
            writeStandardError("vmcore-dump reassemble: \(result.recordCount) records, \(result.outputSize) bytes\n")
        } catch let error as CrashDumpError {
            writeStandardError("vmcore-dump reassemble: \(error)\n")
            throw ExitCode.failure
        }
    }
}
