// The handle as a plain closure; see MemoizedHandle+Closure.swift for why two properties.

extension AsyncMemoizedHandle where Failure == Never {
    /// The handle as an async closure of the body's signature: calling it is calling the
    /// handle.
    public var closure: @Sendable (repeat each Argument) async -> Result {
        let handle = self
        return { (argument: repeat each Argument) async -> Result in
            await handle(repeat each argument)
        }
    }
}

extension AsyncMemoizedHandle {
    /// The handle as an async throwing closure of the body's arguments: calling it is
    /// calling the handle; it throws what the body throws.
    public var closure: @Sendable (repeat each Argument) async throws -> Result {
        let handle = self
        return { (argument: repeat each Argument) async throws -> Result in
            try await handle(repeat each argument)
        }
    }
}
