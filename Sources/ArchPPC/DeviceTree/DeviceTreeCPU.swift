/// A CPU node of `/cpus` with the physical ids of its hardware threads: the values
/// `boot_cpuid_phys` may take.
public struct DeviceTreeCPU: Hashable, Sendable {
    /// The node's path ("/cpus/PowerPC,POWER9@0").
    public var path: String
    /// The threads' physical ids: `ibm,ppc-interrupt-server#s`, or the `reg`
    /// address when the node has no such property (one thread).
    public var threadIDs: [UInt32]

    /// A CPU at `path` with the given thread ids.
    public init(path: String, threadIDs: [UInt32]) {
        self.path = path
        self.threadIDs = threadIDs
    }
}

extension DeviceTree {
    /// The children of `/cpus` whose `device_type` is "cpu", in tree order.
    /// - Throws: ``DeviceTreePropertyError`` naming the node for malformed cells.
    public func cpus() throws(DeviceTreePropertyError) -> [DeviceTreeCPU] {
        guard let cpus = node(at: "/cpus") else { return [] }
        var result: [DeviceTreeCPU] = []
        for child in cpus.children {
            guard let type = child.property("device_type"), (try? type.string()) == "cpu" else { continue }
            let path = "/cpus/" + child.name
            do throws(DeviceTreePropertyError) {
                if let servers = child.property("ibm,ppc-interrupt-server#s") {
                    result.append(DeviceTreeCPU(path: path, threadIDs: try servers.cells()))
                } else if let reg = child.property("reg") {
                    let entries = try reg.regEntries(addressCells: cpus.addressCells(), sizeCells: cpus.sizeCells())
                    var ids: [UInt32] = []
                    for entry in entries {
                        guard let id = UInt32(exactly: entry.address) else {
                            throw DeviceTreePropertyError(property: "reg", reason: .valueDoesNotFit(value: entry.address, cells: 1))
                        }
                        ids.append(id)
                    }
                    result.append(DeviceTreeCPU(path: path, threadIDs: ids))
                }
            } catch {
                throw error.at(path)
            }
        }
        return result
    }
}
