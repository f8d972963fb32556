import ReaderFuzzing

/// `make fuzz`: libFuzzer over the erofs reader (`FuzzedReader.erofs`); built normally, replays files.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEROFS(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzedReader.erofs.fuzz(data, size)
}

@main
enum FuzzEROFSMain {
    static func main() {
        FuzzDriver.main(.erofs, testOneInput: fuzzEROFS)
    }
}
