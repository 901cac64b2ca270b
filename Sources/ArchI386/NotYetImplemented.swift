// The ArchI386 library is not implemented yet; it has no public API so far, so
// nothing can call into it by mistake. Its work is tracked by issue 4.
