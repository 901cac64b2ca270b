public import KexecCore

/// The image loaders of this module, in kexec-tools' probe order: ELF for
/// ppc64 and ppc64le (kexec-tools' "elf-ppc64"), then ELF for 32-bit PowerPC
/// ("elf-ppc").
public enum ArchPPC {
    /// Every PowerPC loader, for an ``ImageLoaderRegistry``.
    public static let imageLoaders: [any ImageLoader] = [ElfPPC64Loader(), ElfPPC32Loader()]
}
