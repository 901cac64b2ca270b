public import KexecCore

/// The single note segment the capture kernel builds from all of a core header's
/// PT_NOTEs: only the real notes, in segment order, no terminators or padding.
public struct MergedElfNotes: Hashable, Sendable {
    /// The merged note bytes (what /proc/vmcore's one PT_NOTE holds, before the
    /// kernel pads it to a page).
    public var bytes: [UInt8]
    /// The notes in ``bytes``, in order.
    public var notes: [ElfNote]
    /// What the kernel would have warned about while merging.
    public var warnings: [ElfNoteMergeWarning]
}

/// A problem the capture kernel tolerates while merging notes (it prints a
/// warning and goes on), kept so a tool can report it.
public struct ElfNoteMergeWarning: Hashable, Sendable, CustomStringConvertible {
    /// What happened.
    public enum Kind: Hashable, Sendable {
        /// A note did not fit its segment; it and everything after it in that
        /// segment were dropped ("Exceeded p_memsz, dropping PT_NOTE entry").
        case dropped(ElfNoteError)
        /// The segment held no note at all ("Zero PT_NOTE entries found").
        case noNotes
    }

    /// The index of the blob in the list given to ``ElfNote/merge(_:byteOrder:baseOffsets:)``.
    public var segment: Int
    /// What happened.
    public var kind: Kind

    public var description: String {
        switch kind {
        case .dropped(let error): "PT_NOTE \(segment): dropped the rest of the segment: \(error)"
        case .noNotes: "PT_NOTE \(segment): no notes"
        }
    }
}

extension ElfNote {
    /// Merges note blobs as the capture kernel's fs/proc/vmcore.c does for ELF64
    /// (`merge_note_headers_elf64`) and ELF32 (`merge_note_headers_elf32`), which
    /// are the same walk: in each blob, take notes until an empty note or the end;
    /// a note that does not fit its blob ends that blob with a warning; concatenate
    /// the real notes.
    ///
    /// - Parameters:
    ///   - blobs: the PT_NOTE contents in program-header order; each may end in a
    ///     terminator or zeros, and may be empty.
    ///   - byteOrder: the core's byte order.
    ///   - baseOffsets: the file offset of each blob, for warnings (defaults to 0).
    /// - Returns: the merged bytes and notes; never throws, like the kernel.
    public static func merge(_ blobs: [ArraySlice<UInt8>], byteOrder: ByteOrder, baseOffsets: [UInt64] = []) -> MergedElfNotes {
        var bytes: [UInt8] = []
        var notes: [ElfNote] = []
        var warnings: [ElfNoteMergeWarning] = []
        for (index, blob) in blobs.enumerated() {
            let base = index < baseOffsets.count ? baseOffsets[index] : 0
            var walker = ElfNoteWalker(blob, byteOrder: byteOrder, baseOffset: base)
            var realLength = 0
            var found = 0
            walk: while true {
                do throws(ElfNoteError) {
                    switch try walker.next() {
                    case .note(let note, _):
                        notes.append(note)
                        found += 1
                        realLength = walker.position
                    case .terminator, .end:
                        break walk
                    }
                } catch {
                    warnings.append(ElfNoteMergeWarning(segment: index, kind: .dropped(error)))
                    break walk
                }
            }
            if found == 0 { warnings.append(ElfNoteMergeWarning(segment: index, kind: .noNotes)) }
            bytes.append(contentsOf: blob.prefix(realLength))
        }
        return MergedElfNotes(bytes: bytes, notes: notes, warnings: warnings)
    }

    /// Merges note blobs; see ``merge(_:byteOrder:baseOffsets:)``.
    public static func merge(_ blobs: [[UInt8]], byteOrder: ByteOrder) -> MergedElfNotes {
        merge(blobs.map { $0[...] }, byteOrder: byteOrder)
    }
}
