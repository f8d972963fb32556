import ReaderFuzzing

/// `make fuzz`: libFuzzer over the bundle reader (`FuzzedReader.bundle`); built normally, replays files.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBundle(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzedReader.bundle.fuzz(data, size)
}

@main
enum FuzzBundleMain {
    static func main() {
        FuzzDriver.main(.bundle, testOneInput: fuzzBundle)
    }
}
