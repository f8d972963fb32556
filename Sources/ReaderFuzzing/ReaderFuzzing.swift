import BuildPipeline
import Bundle
import Crypto
import DMVerity
import EROFS
import GPT
import Slots
import SystemIO

#if canImport(Glibc)
import Glibc
#endif

/// Coverage-guided fuzzing of every reader of an artefact a host receives: one libFuzzer
/// executable per reader (`fuzz-gpt`, `fuzz-erofs`, `fuzz-verity`, `fuzz-verity-sig`,
/// `fuzz-bundle`, `fuzz-pe`, `fuzz-fat`), each a few lines over this harness, run by `make fuzz`.
///
/// ```
///  libFuzzer ──bytes──▶ FuzzedReader.run ──▶ SystemIO.$calls = MemoryFiles(bytes)
///                                             │   the reader opens "/fuzz/…" as a file
///                                             ▼
///                      GPT.read · SlotTable.validateLayout · ArtifactVerifier.verify ·
///                      PE.Authenticode.verify · FAT.Volume.list/read/rename …
///                      ends in an error or a result; a trap, a hang or a huge
///                      allocation is what libFuzzer reports as a crash
/// ```
///
/// The inputs are served from memory through the syscall funnel, so the readers run as
/// they do on a host, with no file per input. Every crash ever found is kept under
/// `Tests/Fuzz/READER/crashes` and replayed by `FuzzRegressionTests`; the seeds under
/// `Tests/Fuzz/READER/seeds` are real artefacts written by the package's own writers
/// (`Seeds.write`).
public enum FuzzedReader: String, CaseIterable, Sendable {
    /// A disk image: both GPT readers, the slot layout rules, `verify` and `inspect --files`.
    case gpt
    /// An EROFS image: the superblock, every inode and directory, the listing.
    case erofs
    /// A verity hash device and its data (`VerityInput`): `verify` on files and as streams.
    case verity
    /// The content of a verity-sig partition: the JSON, base64 and the PKCS#7 signature.
    case veritySignature = "verity-sig"
    /// An update bundle: the archive, the manifest JSON, every payload, the tree, `verify`.
    case bundle
    /// A PE image (a UKI, systemd-boot): headers, every section, the Authenticode digest and
    /// signature, a UKI taken apart and assembled again (`peImage`).
    case pe
    /// An ESP's FAT volume (`FATInput`): every directory and file, then boot counting's renames
    /// on a read-write open (`espVolume`).
    case fat

    /// The certificate signatures are checked with: `HOSTIMG_FUZZ_CERT`, else the one the
    /// seeds were signed with (Tests/Fuzz/certificate.pem from the package directory).
    public static let certificate: Certificate? = {
        let path = getenv("HOSTIMG_FUZZ_CERT").map { String(cString: $0) } ?? "Tests/Fuzz/certificate.pem"
        return try? Certificate(pemFile: path)
    }()

    /// Runs the reader on `bytes` as an untrusted file and returns the error it ended in,
    /// nil when the input was valid. It must return for every input: that is the property
    /// the fuzzer checks.
    @discardableResult
    public func run(_ bytes: [UInt8], certificate: Certificate? = FuzzedReader.certificate) -> (any Error)? {
        switch self {
        case .gpt: return Self.serve(["/fuzz/disk.img": bytes]) { try Self.disk(certificate) }
        case .erofs: return Self.serve(["/fuzz/root.erofs": bytes]) { _ = try EROFS.Reader(path: "/fuzz/root.erofs").listing() }
        case .verity:
            let input = VerityInput(bytes)
            return Self.serve(["/fuzz/hash": input.hash, "/fuzz/data": input.data]) { try input.check() }
        case .veritySignature: return Self.catching { try Self.signature(bytes, certificate) }
        case .bundle: return Self.serve(["/fuzz/update.bundle": bytes]) { try Self.bundle(certificate) }
        case .pe: return Self.catching { try Self.peImage(bytes, certificate) }
        case .fat:
            let input = FATInput(bytes)
            let volume = MemoryFiles.File(input.bytes, size: input.size, writable: true)
            return Self.serve(MemoryFiles(files: [Self.volumePath: volume])) { try Self.espVolume() }
        }
    }

    /// libFuzzer's entry point for this reader (`LLVMFuzzerTestOneInput`).
    public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        run(bytes)
        return 0
    }

    static func catching(_ body: () throws -> Void) -> (any Error)? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    static func serve(_ files: [String: [UInt8]], _ body: () throws -> Void) -> (any Error)? {
        serve(MemoryFiles(files), body)
    }

    static func serve(_ funnel: MemoryFiles, _ body: () throws -> Void) -> (any Error)? {
        SystemIO.$calls.withValue(funnel) { catching(body) }
    }

    /// Everything a host reads of a disk: the three table readers, the slot rules, `verify`
    /// and `inspect --files`. The first failure is returned, after every reader ran.
    static func disk(_ certificate: Certificate?) throws {
        let path = "/fuzz/disk.img"
        var errors = FirstError()
        errors.attempt {
            let table = try GPT.read(path: path)
            let slots = SlotTable(table)
            _ = slots.validateLayout(sectorSize: table.sectorSize)
            for slot in slots.slots { _ = try slots.slot(rootHash: slot.rootHash) }
            _ = try slots.statePartition()
        }
        errors.attempt { _ = try GPT.readPrimary(path: path) }
        errors.attempt { _ = try GPT.readRecovering(path: path) }
        errors.attempt {
            let report = try ArtifactVerifier.verify(path: path, certificate: certificate)
            if !report.passed { throw FuzzFinding(report.checks.filter { $0.status == .failed }.map(\.detail).joined(separator: "; ")) }
        }
        errors.attempt { _ = try Inspection.inspect(path: path, listFiles: true) }
        try errors.check()
    }

    static func signature(_ bytes: [UInt8], _ certificate: Certificate?) throws {
        guard let signature = try VeritySignature.decode(bytes) else { return }
        _ = try signature.encoded()
        if let certificate { try signature.verify(trusting: certificate) }
    }

    /// `verify` of a bundle (structure, manifest, payloads, tree, verity-sig), `inspect`, and
    /// the manifest signature against the certificate.
    static func bundle(_ certificate: Certificate?) throws {
        let path = "/fuzz/update.bundle"
        let report = try ArtifactVerifier.verify(path: path, certificate: nil)
        _ = try Inspection.inspect(path: path, listFiles: false)
        if let certificate { try UpdateBundle.Reader(path: path).verifySignature(trusting: certificate) }
        if !report.passed { throw FuzzFinding(report.checks.filter { $0.status == .failed }.map(\.detail).joined(separator: "; ")) }
    }
}

/// A reader's verdict that the input is invalid when it reports rather than throws.
struct FuzzFinding: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs every step of a harness and keeps the first error, so a failing step does not keep
/// the steps after it from the fuzzer.
struct FirstError {
    private(set) var error: (any Error)?

    mutating func attempt(_ body: () throws -> Void) {
        do { try body() } catch { record(error) }
    }

    mutating func record(_ error: any Error) {
        self.error = self.error ?? error
    }

    func check() throws {
        if let error { throw error }
    }
}

extension FuzzedReader {
    /// The certificate the seeds in `corpus` are signed with (`corpus/certificate.pem`).
    public static func seedCertificate(corpus: String) throws -> Certificate {
        try Certificate(pemFile: corpus + "/certificate.pem")
    }
}
