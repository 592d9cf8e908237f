// The handle as a plain closure, for code that takes one (a callback, a `map`).
//
// Two properties of one name, chosen by the body's error type: a body that cannot throw
// gives a closure that cannot throw, any other an untyped `throws` closure, the types
// `Memo.memoized` returns. Not one `throws(Failure)` closure: Swift 6.3.1 crashes (signal
// 11, SILGen) where a caller uses a typed-throws closure over a parameter pack.

extension MemoizedHandle where Failure == Never {
    /// The handle as a closure of the body's signature: calling it is calling the handle.
    public var closure: @Sendable (repeat each Argument) -> Result {
        let handle = self
        return { (argument: repeat each Argument) -> Result in handle(repeat each argument) }
    }
}

extension MemoizedHandle {
    /// The handle as a throwing closure of the body's arguments: calling it is calling
    /// the handle; it throws what the body throws.
    public var closure: @Sendable (repeat each Argument) throws -> Result {
        let handle = self
        return { (argument: repeat each Argument) throws -> Result in
            try handle(repeat each argument)
        }
    }
}
