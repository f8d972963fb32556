import ReaderFuzzing

/// `make fuzz`: libFuzzer over the gpt reader (`FuzzedReader.gpt`); built normally, replays files.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGPT(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzedReader.gpt.fuzz(data, size)
}

@main
enum FuzzGPTMain {
    static func main() {
        FuzzDriver.main(.gpt, testOneInput: fuzzGPT)
    }
}
