/// A small seeded random number generator (Steele, Lea and Flood's SplitMix64).
///
/// The standard library's generator cannot be seeded, and simulations must replay
/// exactly from a seed. The output for a given seed never changes.
public struct SplitMix64: RandomNumberGenerator, Hashable, Sendable {
    /// The generator's state; the next output is derived from it.
    public private(set) var state: UInt64

    /// A generator that starts from `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// A uniformly distributed value in `0 ..< bound` (Lemire's multiply-high
    /// reduction; the bias is below 2^-32 for the bounds used here). `bound` must be
    /// positive; 0 yields 0.
    public mutating func next(below bound: Int) -> Int {
        guard bound > 0 else { return 0 }
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// SplitMix64's output function: a bijective mix of all 64 bits.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
