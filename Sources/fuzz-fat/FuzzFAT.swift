import ReaderFuzzing

/// `make fuzz`: libFuzzer over the fat reader (`FuzzedReader.fat`); built normally, replays files.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFAT(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzedReader.fat.fuzz(data, size)
}

@main
enum FuzzFATMain {
    static func main() {
        FuzzDriver.main(.fat, testOneInput: fuzzFAT)
    }
}
