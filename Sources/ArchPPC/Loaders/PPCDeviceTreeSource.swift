/// A device tree given by path (kexec-loader's `--device-tree`) that cannot be read.
public enum PPCDeviceTreeSourceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The directory (or file) could not be read.
    case directory(DeviceTreeDirectoryError)
    /// The file is not a valid flattened device tree blob.
    case blob(path: String, error: DeviceTreeParseError)
    /// The tree read from a directory cannot be flattened.
    case write(DeviceTreeWriteError)

    public var description: String {
        switch self {
        case .directory(let error): error.description
        case .blob(let path, let error): "device tree blob \(path): \(error)"
        case .write(let error): "device tree: \(error)"
        }
    }
}

/// Reads the running system's device tree from a path, for
/// ``KexecCore/ImageLoadInput/deviceTree``: a `/proc/device-tree` style
/// directory (or a copy of one), flattened, or a `.dtb` file, as is.
public enum PPCDeviceTreeSource {
    /// The largest blob file read (64 MiB; real trees are tens of KiB).
    public static let blobLimit = 64 << 20
    /// ENOTDIR: what `opendir` says for a regular file.
    static let notADirectoryErrno: Int32 = 20

    /// The tree at `path` as a flattened blob.
    /// - Parameters:
    ///   - path: a directory (read like `/proc/device-tree`) or a blob file.
    ///   - fileSystem: where the files come from (tests pass an in-memory one).
    /// - Throws: ``PPCDeviceTreeSourceError`` naming the file.
    public static func blob(at path: String = "/proc/device-tree",
                            fileSystem: any DeviceTreeFileSystem = LinuxDeviceTreeFileSystem()) throws(PPCDeviceTreeSourceError) -> [UInt8] {
        do {
            _ = try fileSystem.entries(ofDirectory: path)
        } catch {
            switch error.reason {
            case .notADirectory, .io(operation: "opendir", errno: notADirectoryErrno):
                let bytes: [UInt8]
                do { bytes = try fileSystem.contents(ofFile: path, limit: blobLimit) } catch { throw .directory(error) }
                do { _ = try DeviceTreeBlob(parsing: bytes) } catch { throw .blob(path: path, error: error) }
                return bytes
            default:
                throw .directory(error)
            }
        }
        let tree: DeviceTree
        do { tree = try DeviceTreeDirectoryReader(fileSystem: fileSystem).read(at: path) } catch { throw .directory(error) }
        do { return try tree.flattened() } catch { throw .write(error) }
    }
}
