/// The real file system through `opendir`/`readdir`/`lstat`/`open`/`read`, for
/// `/proc/device-tree` (a link to `/sys/firmware/devicetree/base`).
public struct LinuxDeviceTreeFileSystem: DeviceTreeFileSystem {
    /// The real file system.
    public init() {}

    /// The directory's entries; each entry's kind comes from `lstat`, so symbolic
    /// links are `.other` (the directory itself may be reached through one).
    /// - Throws: ``DeviceTreeDirectoryError`` with the failing call and errno.
    public func entries(ofDirectory path: String) throws(DeviceTreeDirectoryError) -> [DeviceTreeDirectoryEntry] {
        let names = try DeviceTreeUnsafeAccess.directoryEntries(path)
        var result: [DeviceTreeDirectoryEntry] = []
        result.reserveCapacity(names.count)
        for name in names {
            let kind = try DeviceTreeUnsafeAccess.kind(of: path == "/" ? "/" + name : path + "/" + name)
            result.append(DeviceTreeDirectoryEntry(name: name, kind: kind))
        }
        return result
    }

    /// The file's bytes, read until end of file (sysfs sizes are not trusted).
    /// - Throws: ``DeviceTreeDirectoryError`` with the failing call and errno, or
    ///   ``DeviceTreeDirectoryError/Reason/fileTooLarge(limit:)``.
    public func contents(ofFile path: String, limit: Int) throws(DeviceTreeDirectoryError) -> [UInt8] {
        try DeviceTreeUnsafeAccess.readFile(path, limit: limit)
    }
}
