public import KexecCore

extension ElfNote {
    /// The 12 zero bytes of the empty note (`n_namesz` = 0) the kernel's
    /// `final_note` writes at the end of every crash-notes and VMCOREINFO buffer.
    public static let terminator = [UInt8](repeating: 0, count: headerSize)

    /// `n_namesz`: the name's UTF-8 bytes plus the terminating NUL.
    public var nameSize: Int { name.utf8.count + 1 }

    /// The bytes this note takes when encoded: header, padded name, padded descriptor.
    public var encodedSize: Int {
        Self.headerSize + Self.padded(nameSize) + Self.padded(descriptor.count)
    }

    /// Encodes this note (no terminator) in `byteOrder`.
    ///
    /// The layout is the kernel's `append_elf_note`: `n_namesz`, `n_descsz`, `n_type`
    /// as 32-bit words, the name with its NUL padded with zeros to 4 bytes, the
    /// descriptor padded to 4 bytes. ELF32 and ELF64 cores share it.
    ///
    /// A name or descriptor of 4 GiB or more cannot be described by the 32-bit size
    /// fields; such a note is a programming error and stops the program.
    public func encoded(byteOrder: ByteOrder) -> [UInt8] {
        var writer = ByteWriter(byteOrder: byteOrder, reservingCapacity: encodedSize)
        append(to: &writer)
        return writer.bytes
    }

    /// Encodes `notes` one after the other in `byteOrder`, followed by the empty
    /// terminating note when `terminated` is true (as the kernel ends every
    /// crash_notes buffer; /proc/vmcore's merged PT_NOTE has no terminator).
    public static func encode(_ notes: [ElfNote], byteOrder: ByteOrder, terminated: Bool = false) -> [UInt8] {
        let total = notes.reduce(terminated ? headerSize : 0) { $0 + $1.encodedSize }
        var writer = ByteWriter(byteOrder: byteOrder, reservingCapacity: total)
        for note in notes { note.append(to: &writer) }
        if terminated { writer.write(bytes: terminator) }
        return writer.bytes
    }

    func append(to writer: inout ByteWriter) {
        guard let namesz = UInt32(exactly: nameSize), let descsz = UInt32(exactly: descriptor.count) else {
            preconditionFailure("an ELF note's name and descriptor must each be smaller than 4 GiB")
        }
        writer.write(namesz)
        writer.write(descsz)
        writer.write(type)
        writer.write(bytes: name.utf8)
        writer.write(UInt8(0))
        writer.pad(toMultipleOf: Self.alignment)
        writer.write(bytes: descriptor)
        writer.pad(toMultipleOf: Self.alignment)
    }

    /// `size` rounded up to the note alignment (4).
    static func padded(_ size: Int) -> Int { (size + 3) & ~3 }
}
