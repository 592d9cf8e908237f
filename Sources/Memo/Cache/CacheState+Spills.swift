/// The reports of spill jobs: files written, failed or dropped.
extension CacheState {
    /// Reports the outcome of a spill job: the file's size, or `nil` if it failed.
    ///
    /// - Returns: whether the job's entry is still current (its file is now in use).
    @discardableResult
    mutating func completeSpill(
        _ job: SpillJob, fileBytes: Int?, dropped: Bool = false,
        removals: inout [UInt64: CacheKey]
    ) -> Bool {
        guard let slot = slot(of: job.key), nodes[slot].generation == job.generation else {
            // The entry went away while its file was written: the file is garbage.
            if fileBytes != nil { removals[job.generation] = job.key }
            return false
        }
        switch nodes[slot].tier {
        case .writing:
            guard let fileBytes else {
                if dropped { recordDroppedWrite() } else { recordFailure() }
                removeEntry(at: slot, into: &removals)
                forgotten.remember(job.key, .evicted)
                return false
            }
            nodes[slot].tier = .disk
            setValue(nil, at: slot)
            nodes[slot].file = .kept
            nodes[slot].fileBytes = fileBytes
            chargeFile(slot)
            chargeDiskEntry()
            recordSpill()
            return true
        case .memory:
            // A write of a value still in memory (a persistent cache writes every value).
            guard nodes[slot].file == .pending else { return false }
            guard let fileBytes else {
                if dropped { recordDroppedWrite() } else { recordFailure() }
                nodes[slot].file = .none
                return false
            }
            nodes[slot].file = .kept
            nodes[slot].fileBytes = fileBytes
            chargeFile(slot)
            changeKeptFiles(by: 1)
            return true
        case .disk, .free:
            if fileBytes != nil { removals[job.generation] = job.key }
            return false
        }
    }

    /// Reports a write the full write-behind queue dropped: as a failed write (a value in
    /// memory keeps no file, one that left memory is lost), counted in `droppedWrites`.
    mutating func dropWrite(_ job: SpillJob, removals: inout [UInt64: CacheKey]) {
        completeSpill(job, fileBytes: nil, dropped: true, removals: &removals)
    }

    /// Whether `job` is still its entry's write: the entry holds the job's generation and
    /// waits for its file. A job that is not has been superseded by a newer value of the
    /// key, or its entry was removed; it is never current again.
    func isPendingWrite(_ job: SpillJob) -> Bool {
        guard let slot = slot(of: job.key), nodes[slot].generation == job.generation else {
            return false
        }
        switch nodes[slot].tier {
        case .writing: return true
        case .memory: return nodes[slot].file == .pending
        case .disk, .free: return false
        }
    }
}
