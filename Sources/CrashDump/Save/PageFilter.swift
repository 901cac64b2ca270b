/// Decides which page frames a dump leaves out before their contents are looked
/// at: free, cache and user pages by the crashed kernel's page descriptors.
/// Zero pages are found by content in the data pass, not here.
protocol PageFilter {
    /// Clears in `kept` every frame of its cycle that the dump level drops.
    /// Called once per cycle, in increasing order, possibly twice over the same
    /// memory (the kdump writer counts first, then writes); the answer must be
    /// the same both times.
    func filter(_ kept: inout CycleBitmap) throws(CrashDumpError)
}

/// Keeps every page (dump levels 0 and 1, or no VMCOREINFO to classify with).
struct KeepAllPages: PageFilter {
    func filter(_ kept: inout CycleBitmap) throws(CrashDumpError) {}
}
