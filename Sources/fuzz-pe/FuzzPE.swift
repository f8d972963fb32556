import ReaderFuzzing

/// `make fuzz`: libFuzzer over the pe reader (`FuzzedReader.pe`); built normally, replays files.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPE(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzedReader.pe.fuzz(data, size)
}

@main
enum FuzzPEMain {
    static func main() {
        FuzzDriver.main(.pe, testOneInput: fuzzPE)
    }
}
