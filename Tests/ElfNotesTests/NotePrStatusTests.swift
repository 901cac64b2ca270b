import Foundation
import Testing
@testable import ElfNotes
import KexecCore

@Suite("NT_PRSTATUS and NT_PRPSINFO")
struct NotePrStatusTests {
    /// sizeof(struct elf_prstatus), offsetof(pr_pid), offsetof(pr_reg) as the
    /// kernel's include/uapi/linux/elfcore.h lays them out for each architecture.
    @Test(arguments: [
        (KexecArchitecture.x86_64, 336, 32, 112, 27),
        (.i386, 144, 24, 72, 17),
        (.ppc64, 504, 32, 112, 48),
        (.ppc64le, 504, 32, 112, 48),
        (.ppc, 268, 24, 72, 48),
    ])
    func layouts(architecture: KexecArchitecture, size: Int, pid: Int, registers: Int, count: Int) {
        let layout = PrStatusLayout(architecture)
        #expect(layout.size == size)
        #expect(layout.pidOffset == pid)
        #expect(layout.registersOffset == registers)
        #expect(layout.registerCount == count)
    }

    @Test(arguments: [
        (KexecArchitecture.x86_64, 136), (.i386, 124), (.ppc64, 136), (.ppc64le, 136), (.ppc, 128),
    ])
    func prpsinfoSizes(architecture: KexecArchitecture, size: Int) throws {
        #expect(PrPsInfo.size(for: architecture) == size)
        var info = PrPsInfo()
        info.state = 1; info.stateName = UInt8(ascii: "D"); info.nice = -5; info.flags = 0x40_0100
        info.uid = 1000; info.gid = 100; info.pid = 4242; info.parentPid = 1; info.processGroup = 4242; info.session = 4242
        info.fileName = "kworker/0:1"; info.arguments = "[kworker/0:1]"
        for order in [ByteOrder.little, .big] {
            let bytes = info.encoded(architecture: architecture, byteOrder: order)
            #expect(bytes.count == size)
            #expect(try PrPsInfo(parsing: bytes, architecture: architecture, byteOrder: order) == info)
        }
    }

    /// The host C library's own struct, compiled by clang, as a judge for x86_64.
    @Test func x86_64LayoutMatchesGlibc() throws {
        let source = """
            #include <sys/procfs.h>
            #include <stddef.h>
            #include <stdio.h>
            int main(void) {
                printf("%zu %zu %zu %zu\\n", sizeof(struct elf_prstatus), offsetof(struct elf_prstatus, pr_pid),
                       offsetof(struct elf_prstatus, pr_reg), sizeof(struct elf_prpsinfo));
                return 0;
            }
            """
        let file = try CoreFixtures.write(Array(source.utf8), name: "layout.c")
        let binary = file.deletingLastPathComponent().appendingPathComponent("layout")
        guard let compiled = try CoreFixtures.tool(["clang", file.path, "-o", binary.path]), compiled.status == 0,
              let run = try CoreFixtures.tool([binary.path]) else {
            Issue.record("clang and the C library headers are needed for this judge")
            return
        }
        #if arch(x86_64)
        let layout = PrStatusLayout(.x86_64)
        #expect(run.stdout == "\(layout.size) \(layout.pidOffset) \(layout.registersOffset) \(PrPsInfo.size(for: .x86_64))\n")
        #endif
    }

    @Test func genericRegisterAccess() {
        var x86 = X86_64Registers()
        x86.rip = 0xffff_ffff_8100_0000
        x86.rsp = 0xffff_c900_0000_0000
        let set = RegisterSet.x86_64(x86)
        #expect(set.instructionPointerName == "rip" && set.stackPointerName == "rsp")
        #expect(set.all.count == 27 && set.all[16] == NamedRegister(name: "rip", value: 0xffff_ffff_8100_0000))
        var ppc = PowerPCRegisters()
        ppc.gpr[1] = 0xdead_beef
        ppc.nip = 0xc000_0000_0000_1234
        #expect(RegisterSet.ppc64(ppc).stackPointer == 0xdead_beef)
        #expect(RegisterSet.ppc64(ppc).all.count == 44)
        #expect(RegisterSet.ppc32(ppc).all[39].name == "mq")
        #expect(RegisterSet.ppc64(ppc).all[39].name == "softe")
        let i386 = RegisterSet.i386(I386Registers())
        #expect(i386.wordSize == 4 && i386.all.map(\.name) == I386Registers.names)
    }

    /// eu-readelf (elfutils) decodes NT_PRSTATUS and NT_PRPSINFO with its own
    /// per-architecture layouts: it must read our notes back with our values.
    @Test(arguments: [KexecArchitecture.x86_64, .i386, .ppc64, .ppc64le, .ppc])
    func euReadelfReadsOurNotes(architecture: KexecArchitecture) throws {
        let order = architecture.byteOrder
        let layout = PrStatusLayout(architecture)
        let words = (0..<layout.registerCount).map { UInt64($0 + 1) * 0x1111 }
        let registers: RegisterSet
        switch architecture {
        case .x86_64: registers = .x86_64(X86_64Registers(words: words))
        case .i386: registers = .i386(I386Registers(words: words))
        case .ppc: registers = .ppc32(PowerPCRegisters(words: words))
        case .ppc64, .ppc64le: registers = .ppc64(PowerPCRegisters(words: words))
        }
        var status = PrStatus(pid: 4321, registers: registers)
        status.parentPid = 1
        status.signalNumber = 11
        var info = PrPsInfo()
        info.fileName = "swapper/1"
        info.arguments = "panic=-1 console=ttyS0"
        info.pid = 99
        info.uid = 1000
        let notes = [status.note(byteOrder: order), info.note(architecture: architecture, byteOrder: order)]
        let core = try ElfCoreWriter(architecture: architecture, noteSegments: [ElfNote.encode(notes, byteOrder: order)],
                                     loads: []).bytes()
        let file = try CoreFixtures.write(core, name: "core.\(architecture)")
        guard let run = try CoreFixtures.tool(["eu-readelf", "-n", file.path]), run.status == 0 else {
            Issue.record("eu-readelf (elfutils) is required for this judge")
            return
        }
        let fields = Self.fields(run.stdout)
        #expect(fields["pid"] == [4321, 99])
        #expect(fields["ppid"]?.first == 1)
        #expect(fields["info.si_signo"] == [11])
        #expect(run.stdout.contains("fname: swapper/1, psargs: panic=-1 console=ttyS0"))
        #expect(fields["uid"] == [1000])
        // Every register elfutils names the same way must hold our value.
        var compared = 0
        for register in registers.all {
            let name = register.name == "link" ? "lr" : register.name == "ccr" ? "cr" : register.name == "eflags" && architecture == .x86_64 ? "rflags" : register.name
            guard let values = fields[name] else { continue }
            // elfutils prints segment selectors as 16-bit values.
            let segment = ["cs", "ss", "ds", "es", "fs", "gs"].contains(name)
            let expected = Int64(bitPattern: segment ? register.value & 0xffff : register.value)
            #expect(values == [expected], "\(architecture) \(register.name)")
            compared += 1
        }
        #expect(compared >= (architecture == .i386 ? 17 : 25), "only \(compared) registers compared")
        // And the stack and instruction pointers in particular.
        #expect(fields[registers.instructionPointerName]?.first == Int64(registers.instructionPointer))
        #expect(fields[registers.stackPointerName]?.first == Int64(registers.stackPointer))
    }

    /// "name: value" pairs of eu-readelf -n output, values decimal or 0x hex,
    /// each name's values in output order.
    static func fields(_ text: String) -> [String: [Int64]] {
        var result: [String: [Int64]] = [:]
        let pattern = /([A-Za-z][A-Za-z0-9_.]*):\s+(-?0x[0-9a-fA-F]+|-?[0-9]+)\b/
        for match in text.matches(of: pattern) {
            let raw = String(match.output.2)
            let value: Int64?
            if raw.hasPrefix("0x") {
                value = UInt64(raw.dropFirst(2), radix: 16).map { Int64(bitPattern: $0) }
            } else {
                value = Int64(raw)
            }
            if let value { result[String(match.output.1), default: []].append(value) }
        }
        return result
    }
}
