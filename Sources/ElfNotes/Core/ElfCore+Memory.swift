public import KexecCore

extension ElfCore {
    /// Where physical `address` lies in the file: the PT_LOAD and the file offset,
    /// or `nil` when no PT_LOAD covers it. The offset is `nil` when the address is
    /// past `p_filesz` (it reads as zeros).
    public func location(of address: PhysicalAddress) -> (load: CoreLoad, fileOffset: UInt64?)? {
        guard let piece = piece(containing: address) else { return nil }
        let delta = address.rawValue - piece.load.physical.lowerBound.rawValue
        return (piece.load, delta < piece.load.fileSize ? piece.load.fileOffset + delta : nil)
    }

    /// The bytes of physical memory `range`, across PT_LOAD boundaries; bytes past
    /// a PT_LOAD's `p_filesz` read as zeros.
    /// - Throws: ``ElfCoreError/physicalHole(address:requested:)`` at the first
    ///   address no PT_LOAD covers, ``ElfCoreError/truncatedDump(address:fileOffset:fileSize:)``
    ///   where the file ends early, or a read error.
    public func readPhysical(_ range: PhysicalRange) throws(ElfCoreError) -> [UInt8] {
        guard range.size <= UInt64(Int.max) else {
            throw .invalidField(field: "read size", offset: 0, value: range.size, reason: "larger than this process can hold")
        }
        var result: [UInt8] = []
        result.reserveCapacity(Int(range.size))
        var cursor = range.lowerBound
        while cursor < range.upperBound {
            guard let piece = piece(containing: cursor) else {
                throw .physicalHole(address: cursor.rawValue, requested: range.description)
            }
            let end = min(range.upperBound, piece.physical.upperBound)
            let load = piece.load
            let startDelta = cursor.rawValue - load.physical.lowerBound.rawValue
            let endDelta = end.rawValue - load.physical.lowerBound.rawValue
            if startDelta < load.fileSize {
                let fileEnd = min(endDelta, load.fileSize)
                let offset = load.fileOffset + startDelta
                let count = fileEnd - startDelta
                let (last, overflow) = offset.addingReportingOverflow(count)
                guard !overflow, last <= source.size else {
                    let firstMissing = max(offset, source.size)
                    throw .truncatedDump(address: load.physical.lowerBound.rawValue + (firstMissing - load.fileOffset),
                                         fileOffset: firstMissing, fileSize: source.size)
                }
                result.append(contentsOf: try source.read(at: offset, count: Int(count)))
                if endDelta > fileEnd { result.append(contentsOf: repeatElement(0, count: Int(endDelta - fileEnd))) }
            } else {
                result.append(contentsOf: repeatElement(0, count: Int(endDelta - startDelta)))
            }
            cursor = end
        }
        return result
    }

    /// `count` bytes of physical memory from `address`.
    /// - Throws: as ``readPhysical(_:)``, or an ``ElfCoreError/invalidField(field:offset:value:reason:)``
    ///   when the range passes the top of the address space.
    public func readPhysical(at address: PhysicalAddress, count: Int) throws(ElfCoreError) -> [UInt8] {
        let range: PhysicalRange
        do {
            range = try PhysicalRange(start: address, size: UInt64(max(count, 0)))
        } catch {
            throw .invalidField(field: "read range", offset: 0, value: address.rawValue, reason: "\(error)")
        }
        return try readPhysical(range)
    }

    /// The ranges no PT_LOAD covers between the lowest and highest loaded address.
    public var holes: [PhysicalRange] {
        var holes: [PhysicalRange] = []
        for (previous, next) in zip(map, map.dropFirst()) where previous.physical.upperBound < next.physical.lowerBound {
            holes.append(PhysicalRange(unchecked: previous.physical.upperBound, next.physical.lowerBound))
        }
        return holes
    }

    /// The PT_LOADs whose file bytes run past the end of the file.
    public var truncatedLoads: [CoreLoad] {
        loads.filter { load in
            let (end, overflow) = load.fileOffset.addingReportingOverflow(load.fileSize)
            return overflow || end > source.size
        }
    }

    func piece(containing address: PhysicalAddress) -> MapPiece? {
        var low = 0
        var high = map.count
        while low < high {
            let middle = (low + high) / 2
            if map[middle].physical.upperBound <= address { low = middle + 1 } else { high = middle }
        }
        guard low < map.count, map[low].physical.contains(address) else { return nil }
        return map[low]
    }
}
