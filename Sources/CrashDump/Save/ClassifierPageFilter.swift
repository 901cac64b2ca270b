/// The page filter of dump levels 2...31: the crashed kernel's page descriptors,
/// judged by ``PageClassifier`` from VMCOREINFO alone. Counts what it saw on the
/// first pass so the report can show memory per page class.
final class ClassifierPageFilter: PageFilter {
    let classifier: PageClassifier
    let level: DumpLevel
    /// Counts of the first pass over the machine (the writers may filter twice).
    private(set) var statistics = PageClassStatistics()
    private var countedUpTo: UInt64 = 0

    init(classifier: PageClassifier, level: DumpLevel) {
        self.classifier = classifier
        self.level = level.descriptorBits
    }

    func filter(_ kept: inout CycleBitmap) throws(CrashDumpError) {
        guard classifier.excludesAnything(at: level) else { return }
        let verdict = try classifier.classify(kept.frames, level: level)
        kept.subtract(words: verdict.excludedWords)
        if kept.frames.upperBound > countedUpTo {
            statistics.merge(verdict.statistics)
            countedUpTo = kept.frames.upperBound
        }
    }
}
