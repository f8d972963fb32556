import Foundation

#if HOSTIMG_FUZZING
/// libFuzzer's driver (compiler-rt FuzzerDriver.cpp), linked by `-sanitize=fuzzer`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32
#endif

/// The `main` of every `fuzz-READER` executable.
///
/// Built with `-sanitize=fuzzer -DHOSTIMG_FUZZING` (`make fuzz`), it hands the command line
/// to libFuzzer (`fuzz-gpt CORPUS... -max_total_time=60`). Built normally, it replays:
/// `fuzz-gpt FILE|DIRECTORY...` runs the reader on each file and prints its verdict (how a
/// crash is reproduced in a debugger), and `fuzz-gpt --write-seeds DIR` writes the seed
/// corpus of every reader from artefacts the package's writers make.
public enum FuzzDriver {
    public typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

    public static func main(_ reader: FuzzedReader, testOneInput: TestOneInput) -> Never {
        #if HOSTIMG_FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
        #else
        exit(replay(reader, arguments: Array(CommandLine.arguments.dropFirst())))
        #endif
    }

    static func replay(_ reader: FuzzedReader, arguments: [String]) -> Int32 {
        if arguments.first == "--write-seeds", arguments.count == 2 {
            do {
                try Seeds.write(to: arguments[1])
                return 0
            } catch {
                FileHandle.standardError.write(Data("fuzz-\(reader.rawValue): cannot write seeds: \(error)\n".utf8))
                return 1
            }
        }
        guard !arguments.isEmpty else {
            FileHandle.standardError.write(Data("usage: fuzz-\(reader.rawValue) FILE|DIRECTORY... | --write-seeds DIRECTORY\n".utf8))
            return 2
        }
        for path in inputs(arguments) {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("\(path): cannot read")
                continue
            }
            let verdict = reader.run([UInt8](data)).map { "error: \($0)" } ?? "valid"
            print("\(path): \(verdict.prefix(400))")
        }
        return 0
    }

    /// Files named, and the files of directories named, in sorted order.
    public static func inputs(_ arguments: [String]) -> [String] {
        arguments.flatMap { path -> [String] in
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [path] }
            return names.filter { !$0.hasPrefix(".") }.sorted().map { path + "/" + $0 }
        }
    }
}
