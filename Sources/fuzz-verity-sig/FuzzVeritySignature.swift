import ReaderFuzzing

/// `make fuzz`: libFuzzer over the verity-sig reader (`FuzzedReader.veritySignature`); built normally, replays files.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVeritySignature(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzedReader.veritySignature.fuzz(data, size)
}

@main
enum FuzzVeritySignatureMain {
    static func main() {
        FuzzDriver.main(.veritySignature, testOneInput: fuzzVeritySignature)
    }
}
