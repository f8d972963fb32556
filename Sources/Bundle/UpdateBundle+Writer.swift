import Zstd

extension UpdateBundle {
    /// Compresses each payload (streaming, bounded memory: one 1 MiB input chunk and zstd's
    /// buffers), then writes the bundle atomically: a temporary file in the same directory,
    /// fsync, rename over `path`, fsync of the directory. `signer` nil gives an unsigned
    /// bundle (to be signed later with `resign`).
    ///
    /// The manifest must come first but holds the compressed sizes and hashes, so the
    /// compressed payloads are first spooled into an unlinked temporary file next to the
    /// output and then copied behind the manifest.
    ///
    /// - Parameters:
    ///   - mtime: the modification time of every member, seconds since 1970 (0 to 8^11 - 1).
    ///   - level: zstd level (see `Zstandard.levels`).
    ///   - architecture: written into the manifest as is.
    ///   - commandLine, qemuVersion: the slot's facts a switch checks at plan time (see
    ///     `Manifest`); nil leaves them out.
    ///   - progress: (uncompressed bytes done, total), called after each chunk.
    @discardableResult
    public static func write(
        to path: String, name: String, version: String, rootHash: String, payloads: [PayloadSource],
        signer: Signer?, mtime: Int64, level: Int = Zstandard.defaultLevel,
        architecture: String = UpdateBundle.defaultArchitecture, commandLine: String? = nil, qemuVersion: String? = nil,
        progress: (@Sendable (UInt64, UInt64) -> Void)? = nil
    ) throws -> Manifest {
        try checkArguments(mtime: mtime, level: level)
        // Check names, hashes and roles before spending minutes compressing.
        let placeholder = String(repeating: "0", count: 64)
        var manifest = Manifest(
            name: name, version: version, architecture: architecture, rootHash: rootHash,
            commandLine: commandLine.map(Manifest.trimmedCommandLine), qemuVersion: qemuVersion,
            signedBy: signer?.certificate.sha256Fingerprint,
            payloads: payloads.map {
                PayloadInfo(
                    role: $0.role, file: fileName(forRole: $0.role), size: $0.length, sha256: placeholder, compressedSize: 0,
                    compressedSha256: placeholder)
            })
        do {
            try manifest.validate()
        } catch BundleError.invalidManifest(let field, let problem) {
            throw BundleError.invalidArgument("bundle \(field) \(problem)")
        }

        let spoolPath = FileSystem.temporaryName(near: path, purpose: "spool")
        var spool = FileOutput(try FileDescriptor.create(spoolPath))
        FileSystem.removeIfPresent(spoolPath)  // the open descriptor keeps it; a crash leaves nothing
        let total = payloads.reduce(UInt64(0)) { $0 + $1.length }
        var done: UInt64 = 0
        var spooled: [(offset: UInt64, length: UInt64)] = []
        for (index, source) in payloads.enumerated() {
            let input = try FileDescriptor.openForReading(source.path)
            let available = try input.size()
            guard source.offset <= available, source.length <= available - source.offset else {
                throw BundleError.invalidArgument(
                    "payload \(source.role): bytes \(source.offset)..<\(source.offset + source.length) lie beyond the end of "
                        + "\(source.path) (\(available) bytes)")
            }
            let start = spool.position
            let result = try compressPayload(
                role: source.role, length: source.length, level: level,
                read: { buffer, offset in
                    let got = try input.read(into: buffer, at: source.offset + offset)
                    guard got == buffer.count else {
                        throw BundleError.invalidArgument("payload \(source.role): \(source.path) shrank while it was read")
                    }
                },
                output: { try spool.append($0) },
                progress: { count in
                    done += count
                    progress?(done, total)
                })
            manifest.payloads[index] = result.info(role: source.role)
            spooled.append((start, spool.position - start))
        }
        if total == 0 { progress?(0, 0) }

        let manifestBytes = manifest.encoded()
        let signature = try signer?.sign(manifestBytes)
        try writeAtomically(path) { output in
            try appendMember(manifestName, bytes: manifestBytes, mtime: mtime, to: &output)
            if let signature { try appendMember(signatureName, bytes: signature, mtime: mtime, to: &output) }
            for (info, range) in zip(manifest.payloads, spooled) {
                try appendMember(info.file, size: range.length, mtime: mtime, to: &output) { output in
                    try copy(from: spool.file, offset: range.offset, length: range.length, what: "spooled payload data") { try output.append($0) }
                }
            }
        }
        return manifest
    }

    /// Re-sign (two-phase signing): reads an existing (typically unsigned) bundle, replaces
    /// the payloads of the roles in `replacing` (e.g. "verity-sig") with new bytes, recomputes
    /// the manifest, signs it and writes a new bundle atomically at `output` (which may be
    /// the input path).
    ///
    /// Unchanged payloads are copied compressed, without recompression, and checked on the
    /// way (both hashes and the size, against the input's manifest) so nothing unverified gets
    /// signed. Replaced payloads are compressed exactly as `write` compresses, so the result is
    /// byte-identical to a one-step `write` with the same inputs, level, mtime and signer.
    @discardableResult
    public static func resign(
        bundle path: String, output: String, replacing: [PayloadRole: [UInt8]], signer: Signer, mtime: Int64,
        level: Int = Zstandard.defaultLevel
    ) throws -> Manifest {
        try checkArguments(mtime: mtime, level: level)
        let reader = try Reader(path: path)
        var manifest = reader.manifest
        let roles = manifest.payloads.map(\.role)
        for role in replacing.keys.sorted() where !roles.contains(role) {
            throw BundleError.unknownRole(role, known: roles)
        }
        var replaced: [PayloadRole: [UInt8]] = [:]
        for (index, info) in manifest.payloads.enumerated() {
            guard let bytes = replacing[info.role] else { continue }
            var compressed: [UInt8] = []
            let result = try compressPayload(
                role: info.role, length: UInt64(bytes.count), level: level,
                read: { buffer, offset in
                    bytes.withUnsafeBytes { source in
                        let start = Int(offset)
                        buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<(start + buffer.count)]))
                    }
                },
                output: { compressed.append(contentsOf: $0) })
            manifest.payloads[index] = result.info(role: info.role)
            replaced[info.role] = compressed
        }
        // The manifest's copy of a replaced command line follows the payload.
        if manifest.commandLine != nil, let bytes = replacing[.commandLine] {
            manifest.commandLine = Manifest.trimmedCommandLine(String(decoding: bytes, as: UTF8.self))
        }
        manifest.signedBy = signer.certificate.sha256Fingerprint
        let manifestBytes = manifest.encoded()
        let signature = try signer.sign(manifestBytes)
        try writeAtomically(output) { out in
            try appendMember(manifestName, bytes: manifestBytes, mtime: mtime, to: &out)
            try appendMember(signatureName, bytes: signature, mtime: mtime, to: &out)
            for info in manifest.payloads {
                if let compressed = replaced[info.role] {
                    try appendMember(info.file, bytes: compressed, mtime: mtime, to: &out)
                } else {
                    try appendMember(info.file, size: info.compressedSize, mtime: mtime, to: &out) { out in
                        try reader.stream(role: info.role, compressed: { try out.append($0) }, into: { _ in })
                    }
                }
            }
        }
        return manifest
    }

    // MARK: - Pieces

    static func checkArguments(mtime: Int64, level: Int) throws {
        guard mtime >= 0, UInt64(mtime) <= TarHeader.largestOctal else {
            throw BundleError.invalidArgument(
                "mtime \(mtime) does not fit a ustar header; use 0 to \(TarHeader.largestOctal) seconds since 1970")
        }
        guard Zstandard.levels.contains(level) else {
            throw BundleError.invalidArgument(
                "zstd level \(level) is not supported; use \(Zstandard.levels.lowerBound)...\(Zstandard.levels.upperBound)")
        }
    }

    /// Write a new file next to `path`, fsync it, rename it over `path` and fsync the
    /// directory; on any error the temporary file is removed and `path` is untouched.
    static func writeAtomically(_ path: String, _ body: (inout FileOutput) throws -> Void) throws {
        let temporary = FileSystem.temporaryName(near: path, purpose: "tmp")
        do {
            var output = FileOutput(try FileDescriptor.create(temporary))
            try body(&output)
            try output.append([UInt8](repeating: 0, count: 2 * TarHeader.size))  // end-of-archive marker
            try output.file.sync()
            try FileSystem.rename(temporary, path)
        } catch {
            FileSystem.removeIfPresent(temporary)
            throw error
        }
        let directory = try FileDescriptor.openDirectory(FileSystem.directory(of: path))
        try directory.sync()
    }

    static func appendMember(_ name: String, bytes: [UInt8], mtime: Int64, to output: inout FileOutput) throws {
        try appendMember(name, size: UInt64(bytes.count), mtime: mtime, to: &output) { try $0.append(bytes) }
    }

    /// Header, data (exactly `size` bytes from `body`), zero padding to the next block.
    static func appendMember(
        _ name: String, size: UInt64, mtime: Int64, to output: inout FileOutput, body: (inout FileOutput) throws -> Void
    ) throws {
        try output.append(TarHeader(name: name, size: size, mtime: mtime).encoded())
        let start = output.position
        try body(&output)
        guard output.position - start == size else {
            throw BundleError.invalidArgument(
                "internal error: member \(name) announced \(size) bytes but \(output.position - start) were written")
        }
        let padding = Int(TarHeader(name: name, size: size, mtime: mtime).paddedDataSize - size)
        if padding > 0 { try output.append([UInt8](repeating: 0, count: padding)) }
    }

    /// Copy a byte range of a file in 1 MiB chunks.
    static func copy(
        from file: borrowing FileDescriptor, offset: UInt64, length: UInt64, what: String, into sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        try copy(name: file.path, offset: offset, length: length, what: what, read: file.read(into:at:), into: sink)
    }

    /// Copy a byte range in 1 MiB chunks, front to back, through `read` (positional, short
    /// only at the end); `name` is what a truncation error calls the source.
    static func copy(
        name: String, offset: UInt64, length: UInt64, what: String,
        read: (UnsafeMutableRawBufferPointer, UInt64) throws -> Int, into sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var done: UInt64 = 0
        while done < length {
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[..<Int(min(UInt64(chunkSize), length - done))])
            guard try read(chunk, offset + done) == chunk.count else {
                throw BundleError.truncated(path: name, offset: offset + done, expected: what)
            }
            try sink(UnsafeRawBufferPointer(chunk))
            done += UInt64(chunk.count)
        }
    }
}
