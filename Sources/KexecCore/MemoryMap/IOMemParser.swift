/// The byte-level `/proc/iomem` parser behind ``IOMem/init(parsing:)-([UInt8])``.
///
/// One pass, no backtracking: time is linear in the input, and a line longer than
/// ``IOMem/maximumLineLength`` is refused as soon as it is seen.
struct IOMemParser {
    private let bytes: [UInt8]
    private var position = 0
    private var lineNumber = 0
    /// Open resources from the top level down; `stack[d]` is the last resource seen at depth d.
    private var stack: [IOMemResource] = []
    private var roots: [IOMemResource] = []
    private var everyAddressZero = true

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parse() throws(IOMemParseError) -> IOMem {
        while position < bytes.count {
            lineNumber += 1
            let start = position
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") {
                end += 1
                if end - start > IOMem.maximumLineLength {
                    throw IOMemParseError(line: lineNumber, column: 1, reason: .lineTooLong(length: lineLength(from: start)))
                }
            }
            position = end + 1
            var lineEnd = end
            if lineEnd > start && bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            if bytes[start..<lineEnd].allSatisfy({ $0 == UInt8(ascii: " ") }) { continue }
            try parseLine(start, lineEnd)
        }
        closeAll(downTo: 0)
        return IOMem(resources: roots)
    }

    private func lineLength(from start: Int) -> Int {
        var end = start
        while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
        return end - start
    }

    private func error(_ index: Int, _ lineStart: Int, _ reason: IOMemParseError.Reason) -> IOMemParseError {
        IOMemParseError(line: lineNumber, column: index - lineStart + 1, reason: reason)
    }

    private mutating func parseLine(_ lineStart: Int, _ lineEnd: Int) throws(IOMemParseError) {
        var index = lineStart
        while index < lineEnd && bytes[index] == UInt8(ascii: " ") { index += 1 }
        let spaces = index - lineStart
        guard spaces % 2 == 0 else { throw error(index, lineStart, .oddIndentation(spaces: spaces)) }
        let printedDepth = spaces / 2
        guard printedDepth <= IOMem.maximumPrintedDepth else { throw error(index, lineStart, .tooDeep(depth: printedDepth)) }

        let startValue = try hex(&index, lineStart, lineEnd, field: "start", terminator: UInt8(ascii: "-"))
        guard index < lineEnd, bytes[index] == UInt8(ascii: "-") else {
            throw error(index, lineStart, .missingRangeSeparator)
        }
        index += 1
        let endValue = try hex(&index, lineStart, lineEnd, field: "end", terminator: UInt8(ascii: " "))
        let separator: [UInt8] = Array(" : ".utf8)
        guard lineEnd - index >= separator.count, Array(bytes[index..<index + 3]) == separator else {
            throw error(index, lineStart, .missingNameSeparator)
        }
        index += 3
        for nameIndex in index..<lineEnd where bytes[nameIndex] < 0x20 || bytes[nameIndex] == 0x7f {
            throw error(nameIndex, lineStart, .invalidCharacter(byte: bytes[nameIndex]))
        }
        let name = String(decoding: bytes[index..<lineEnd], as: UTF8.self)

        let rangeColumn = lineStart + spaces
        let range: PhysicalRange
        do {
            range = try PhysicalRange(start: PhysicalAddress(startValue), inclusiveEnd: PhysicalAddress(endValue))
        } catch {
            switch error {
            case .endPastAddressSpace: throw self.error(rangeColumn, lineStart, .endPastAddressSpace)
            default: throw self.error(rangeColumn, lineStart, .endBeforeStart(start: startValue, end: endValue))
            }
        }
        let isZero = startValue == 0 && endValue == 0
        try place(IOMemResource(range: range, name: name, line: lineNumber), printedDepth: printedDepth,
                  column: rangeColumn - lineStart + 1, isZero: isZero)
        everyAddressZero = everyAddressZero && isZero
    }

    private func hex(_ index: inout Int, _ lineStart: Int, _ lineEnd: Int, field: String, terminator: UInt8) throws(IOMemParseError) -> UInt64 {
        let first = index
        var value: UInt64 = 0
        while index < lineEnd && bytes[index] != terminator {
            let byte = bytes[index]
            let digit: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt64(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt64(byte - UInt8(ascii: "A") + 10)
            default: throw error(index, lineStart, .invalidHexDigit(field: field))
            }
            guard value >> 60 == 0 else { throw error(first, lineStart, .valueTooLarge(field: field)) }
            value = value << 4 | digit
            index += 1
        }
        guard index > first else { throw error(first, lineStart, .emptyNumber(field: field)) }
        return value
    }

    /// Attaches finished resources deeper than `depth` to their parents.
    private mutating func closeAll(downTo depth: Int) {
        while stack.count > depth {
            let node = stack.removeLast()
            if stack.isEmpty {
                roots.append(node)
            } else {
                stack[stack.count - 1].children.append(node)
            }
        }
    }

    private mutating func place(_ resource: IOMemResource, printedDepth: Int, column: Int, isZero: Bool) throws(IOMemParseError) {
        var depth = printedDepth
        guard depth <= stack.count else {
            throw IOMemParseError(line: lineNumber, column: column, reason: .nestingJump(openLevels: stack.count, depth: depth))
        }
        // Past the deepest printed level the kernel keeps the indentation: a resource
        // inside the open one at that depth is its child.
        if depth == IOMem.maximumPrintedDepth {
            while depth < stack.count && stack[depth].range.contains(resource.range) { depth += 1 }
        }
        closeAll(downTo: depth + 1)
        let structural: IOMemParseError.Reason?
        if depth > 0, !stack[depth - 1].range.contains(resource.range) {
            structural = .outsideParent(parentLine: stack[depth - 1].line, parent: stack[depth - 1].range)
        } else if let previous = previousSibling(atDepth: depth) {
            if resource.range.lowerBound < previous.range.lowerBound {
                structural = .outOfOrder(siblingLine: previous.line, sibling: previous.range)
            } else if resource.range.lowerBound < previous.range.upperBound {
                structural = .overlapsSibling(siblingLine: previous.line, sibling: previous.range)
            } else {
                structural = nil
            }
        } else {
            structural = nil
        }
        if let structural {
            // Non-root readers see every address as 0: say so instead of "overlap".
            throw IOMemParseError(line: lineNumber, column: column,
                                  reason: everyAddressZero && isZero ? .addressesHidden : structural)
        }
        closeAll(downTo: depth)
        stack.append(resource)
    }

    private func previousSibling(atDepth depth: Int) -> IOMemResource? {
        if depth < stack.count { return stack[depth] }
        return depth == 0 ? roots.last : stack[depth - 1].children.last
    }
}
