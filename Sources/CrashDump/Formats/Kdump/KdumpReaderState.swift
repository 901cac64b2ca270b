import Synchronization

/// The mutable part of a ``KdumpCompressedMemory``: caches of decoded descriptor
/// blocks and pages, and a pool of decompressors, each behind a mutex so one
/// reader can serve several threads.
final class KdumpReaderState: Sendable {
    /// Descriptors per cached block (96 KiB of table per read).
    static let descriptorsPerBlock = 4096
    /// How many descriptor blocks stay decoded.
    static let descriptorBlockCapacity = 16
    /// How many decoded pages stay cached for reads smaller than a page.
    static let pageCapacity = 32

    struct DescriptorBlock {
        var index: UInt64
        /// Fewer than a block when the table runs past the end of the file.
        var descriptors: [KdumpPageDescriptor]
        var lastUse: UInt64
    }

    struct DescriptorCache {
        var blocks: [DescriptorBlock] = []
        var clock: UInt64 = 0
    }

    struct CachedPage {
        var pfn: UInt64
        var bytes: [UInt8]
        var lastUse: UInt64
    }

    struct PageCache {
        var pages: [CachedPage] = []
        var clock: UInt64 = 0
    }

    /// A decompressor with its read buffer, handed to one caller at a time.
    /// `@unchecked Sendable`: the pool's mutex gives each box to one thread, which
    /// returns it when done; no box is ever used by two threads at once.
    final class DecoderBox: @unchecked Sendable {
        let decompressor: PageDecompressor
        var scratch: [UInt8] = []

        init(_ decompressor: PageDecompressor) { self.decompressor = decompressor }
    }

    let descriptorCache = Mutex(DescriptorCache())
    let pageCache = Mutex(PageCache())
    let decoders = Mutex([DecoderBox]())
    let pageSize: Int

    init(pageSize: Int) { self.pageSize = pageSize }

    func cachedBlock(_ index: UInt64) -> [KdumpPageDescriptor]? {
        descriptorCache.withLock { cache in
            cache.clock += 1
            guard let slot = cache.blocks.firstIndex(where: { $0.index == index }) else { return nil }
            cache.blocks[slot].lastUse = cache.clock
            return cache.blocks[slot].descriptors
        }
    }

    func storeBlock(_ index: UInt64, _ descriptors: [KdumpPageDescriptor]) {
        descriptorCache.withLock { cache in
            cache.clock += 1
            if let slot = cache.blocks.firstIndex(where: { $0.index == index }) {
                cache.blocks[slot].descriptors = descriptors
                cache.blocks[slot].lastUse = cache.clock
                return
            }
            let block = DescriptorBlock(index: index, descriptors: descriptors, lastUse: cache.clock)
            if cache.blocks.count < Self.descriptorBlockCapacity {
                cache.blocks.append(block)
            } else if let oldest = cache.blocks.indices.min(by: { cache.blocks[$0].lastUse < cache.blocks[$1].lastUse }) {
                cache.blocks[oldest] = block
            }
        }
    }

    func cachedPage(_ pfn: UInt64) -> [UInt8]? {
        pageCache.withLock { cache in
            cache.clock += 1
            guard let slot = cache.pages.firstIndex(where: { $0.pfn == pfn }) else { return nil }
            cache.pages[slot].lastUse = cache.clock
            return cache.pages[slot].bytes
        }
    }

    func storePage(_ pfn: UInt64, _ bytes: [UInt8]) {
        pageCache.withLock { cache in
            cache.clock += 1
            let page = CachedPage(pfn: pfn, bytes: bytes, lastUse: cache.clock)
            if cache.pages.count < Self.pageCapacity {
                cache.pages.append(page)
            } else if let oldest = cache.pages.indices.min(by: { cache.pages[$0].lastUse < cache.pages[$1].lastUse }) {
                cache.pages[oldest] = page
            }
        }
    }

    /// A decoder from the pool, or a new one.
    func takeDecoder() throws(CrashDumpError) -> DecoderBox {
        if let box = decoders.withLock({ $0.popLast() }) { return box }
        do {
            return DecoderBox(try PageDecompressor(pageSize: pageSize))
        } catch {
            throw .unsupported("\(error)")
        }
    }

    /// Returns `box` to the pool (at most 16 are kept).
    func returnDecoder(_ box: DecoderBox) {
        decoders.withLock { pool in
            if pool.count < 16 { pool.append(box) }
        }
    }
}
