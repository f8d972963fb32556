import ReaderFuzzing

/// `make fuzz`: libFuzzer over the verity reader (`FuzzedReader.verity`); built normally, replays files.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVerity(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzedReader.verity.fuzz(data, size)
}

@main
enum FuzzVerityMain {
    static func main() {
        FuzzDriver.main(.verity, testOneInput: fuzzVerity)
    }
}
