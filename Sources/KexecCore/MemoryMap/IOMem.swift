public import SystemPackage

/// One resource line of `/proc/iomem` and the resources nested inside it.
public struct IOMemResource: Hashable, Sendable {
    /// The physical range, converted from the kernel's inclusive end to half-open.
    public var range: PhysicalRange
    /// The name exactly as printed ("System RAM", "Crash kernel", "PCI Bus 0000:00", ...).
    public var name: String
    /// Resources nested inside this one, in address order.
    public var children: [IOMemResource]
    /// The 1-based line this resource came from.
    public var line: Int

    public init(range: PhysicalRange, name: String, children: [IOMemResource] = [], line: Int = 0) {
        self.range = range
        self.name = name
        self.children = children
        self.line = line
    }

    /// What the name says the memory is.
    public var type: MemoryType { MemoryType(name: name) }
}

/// The physical resource tree of `/proc/iomem`.
///
/// Parsing checks what the kernel guarantees: ranges within their parent, siblings
/// sorted and disjoint, indentation of two spaces per level. The kernel stops
/// indenting at depth 5 (MAX_IORES_LEVEL in kernel/resource.c); a deeper resource
/// is recognised because it lies inside the preceding resource at that depth.
public struct IOMem: Hashable, Sendable {
    /// The top-level resources, in address order.
    public var resources: [IOMemResource]

    public init(resources: [IOMemResource]) { self.resources = resources }

    /// Every resource with its depth (0 = top level), parents before children.
    public var allResources: [(depth: Int, resource: IOMemResource)] {
        var out: [(depth: Int, resource: IOMemResource)] = []
        func visit(_ nodes: [IOMemResource], _ depth: Int) {
            for node in nodes {
                out.append((depth, node))
                visit(node.children, depth + 1)
            }
        }
        visit(resources, 0)
        return out
    }

    /// The union of every resource, at any depth, named `name`.
    public func ranges(named name: String) -> PhysicalRangeSet {
        PhysicalRangeSet(allResources.lazy.filter { $0.resource.name == name }.map(\.resource.range))
    }

    /// The union of every resource, at any depth, of `type`.
    public func ranges(ofType type: MemoryType) -> PhysicalRangeSet {
        PhysicalRangeSet(allResources.lazy.filter { $0.resource.type == type }.map(\.resource.range))
    }

    /// "System RAM" at any depth, the way kexec-tools reads it (exact name match, so
    /// "System RAM (kmem)" is not included).
    public var systemRAM: PhysicalRangeSet { ranges(ofType: .systemRAM) }

    /// Each "Crash kernel" resource in address order. With `crashkernel=X,high` there
    /// are two: a low one for DMA and the high one the kernel loads crash segments into.
    public var crashKernelRegions: [PhysicalRange] {
        allResources.filter { $0.resource.type == .crashKernel }.map(\.resource.range)
    }

    /// The running kernel's "Kernel code/rodata/data/bss" resources.
    public var kernelImage: [IOMemResource] {
        allResources.compactMap { entry in
            if case .kernelImage = entry.resource.type { return entry.resource }
            return nil
        }
    }
}

extension IOMem {
    /// The deepest level `/proc/iomem` indents to.
    public static let maximumPrintedDepth = 5
    /// The longest line accepted; real lines are well under 200 bytes.
    public static let maximumLineLength = 4096

    /// Parses the text of `/proc/iomem`.
    /// - Throws: ``IOMemParseError`` naming the line, column and what is wrong.
    public init(parsing text: String) throws(IOMemParseError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// Parses the bytes of `/proc/iomem`.
    /// - Throws: ``IOMemParseError`` naming the line, column and what is wrong.
    public init(parsing bytes: [UInt8]) throws(IOMemParseError) {
        var parser = IOMemParser(bytes: bytes)
        self = try parser.parse()
    }

    /// Reads and parses the live `/proc/iomem` (or another file in that format).
    /// - Throws: ``IOMemParseError`` or ``FileReadError``; as a non-root user the
    ///   kernel hides addresses and this throws ``IOMemParseError/Reason/addressesHidden``.
    public static func read(from path: FilePath = "/proc/iomem") throws -> IOMem {
        try IOMem(parsing: FileReader.readAll(path))
    }
}

/// Why a `/proc/iomem` text was refused: the line, the column and the reason.
public struct IOMemParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong with the line.
    public enum Reason: Hashable, Sendable {
        case lineTooLong(length: Int)
        case invalidCharacter(byte: UInt8)
        case oddIndentation(spaces: Int)
        case tooDeep(depth: Int)
        case nestingJump(openLevels: Int, depth: Int)
        case missingRangeSeparator
        case missingNameSeparator
        case invalidHexDigit(field: String)
        case emptyNumber(field: String)
        case valueTooLarge(field: String)
        case endBeforeStart(start: UInt64, end: UInt64)
        case endPastAddressSpace
        case outsideParent(parentLine: Int, parent: PhysicalRange)
        case overlapsSibling(siblingLine: Int, sibling: PhysicalRange)
        case outOfOrder(siblingLine: Int, sibling: PhysicalRange)
        case addressesHidden
    }

    /// The 1-based line number.
    public let line: Int
    /// The 1-based column the problem starts at.
    public let column: Int
    /// What is wrong.
    public let reason: Reason

    public init(line: Int, column: Int, reason: Reason) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    public var description: String {
        let what: String
        switch reason {
        case .lineTooLong(let length):
            what = "line is \(length) bytes long, more than the \(IOMem.maximumLineLength) accepted"
        case .invalidCharacter(let byte):
            what = "unexpected byte 0x\(String(byte, radix: 16))"
        case .oddIndentation(let spaces):
            what = "indentation of \(spaces) spaces is not a multiple of two"
        case .tooDeep(let depth):
            what = "nesting depth \(depth) is deeper than the kernel prints (\(IOMem.maximumPrintedDepth))"
        case .nestingJump(let openLevels, let depth):
            what = "indented to depth \(depth) but only \(openLevels) enclosing levels are open"
        case .missingRangeSeparator:
            what = "expected \"START-END\""
        case .missingNameSeparator:
            what = "expected \" : \" between the range and the name"
        case .invalidHexDigit(let field):
            what = "\(field) address is not hexadecimal"
        case .emptyNumber(let field):
            what = "\(field) address is missing"
        case .valueTooLarge(let field):
            what = "\(field) address does not fit in 64 bits"
        case .endBeforeStart(let start, let end):
            what = "end 0x\(String(end, radix: 16)) lies below start 0x\(String(start, radix: 16))"
        case .endPastAddressSpace:
            what = "range ends at the last byte of the 64-bit address space, which this suite cannot represent"
        case .outsideParent(let parentLine, let parent):
            what = "range is not inside its parent \(parent) on line \(parentLine)"
        case .overlapsSibling(let siblingLine, let sibling):
            what = "range overlaps its sibling \(sibling) on line \(siblingLine)"
        case .outOfOrder(let siblingLine, let sibling):
            what = "range starts below its preceding sibling \(sibling) on line \(siblingLine)"
        case .addressesHidden:
            what = "every address reads as zero: the kernel hides /proc/iomem addresses from non-root readers; run as root"
        }
        return "/proc/iomem line \(line), column \(column): \(what)"
    }
}
