import Foundation
import ReaderFuzzing
import Testing

/// Every input a fuzzer ever crashed a reader with (Tests/Fuzz/READER/crashes) now ends in
/// an error; every seed (Tests/Fuzz/READER/seeds, real artefacts) is still read as valid.
/// A crash found by `make fuzz` is copied into `crashes/` before it is fixed.
@Suite struct FuzzRegressionTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz").path

    static func files(_ reader: FuzzedReader, _ kind: String) -> [String] {
        FuzzDriver.inputs([corpus + "/" + reader.rawValue + "/" + kind]).filter { FileManager.default.fileExists(atPath: $0) }
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test("every crash input ends in an error, not a crash", arguments: FuzzedReader.allCases)
    func crashes(reader: FuzzedReader) throws {
        for path in Self.files(reader, "crashes") {
            let error = reader.run(try Self.bytes(path))
            #expect(error != nil, "\(path) is read as valid")
        }
    }

    @Test("every seed is a valid artefact", arguments: FuzzedReader.allCases)
    func seeds(reader: FuzzedReader) throws {
        let seeds = Self.files(reader, "seeds")
        #expect(!seeds.isEmpty, "no seeds for \(reader.rawValue)")
        for path in seeds where !path.hasSuffix("/disk-no-slots.img") {
            let error = reader.run(try Self.bytes(path), certificate: nil)
            #expect(error == nil, "\(path): \(String(describing: error))")
        }
    }

    @Test("the signed seeds verify with the certificate beside them")
    func signedSeeds() throws {
        let certificate = try FuzzedReader.seedCertificate(corpus: Self.corpus)
        let signed = [
            (FuzzedReader.gpt, "disk-ab.img"), (.veritySignature, "rsa.json"), (.bundle, "signed.bundle"), (.pe, "uki-signed.efi"),
            (.pe, "synthetic-uki-signed.efi"),
        ]
        for (reader, name) in signed {
            let path = Self.corpus + "/\(reader.rawValue)/seeds/\(name)"
            let error = reader.run(try Self.bytes(path), certificate: certificate)
            #expect(error == nil, "\(path): \(String(describing: error))")
        }
    }
}
