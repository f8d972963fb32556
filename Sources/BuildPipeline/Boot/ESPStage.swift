import BootEntries
enum ESPLayout {
    static let entriesDirectory = "EFI/Linux"
    static func entryPath(label: String, tries: Int) -> String {
        entriesDirectory + "/" + BootEntryName.new(base: label, tries: tries).fileName
    }
}
struct ESPStage: BuildStage {
    static let name = StageName.esp
    func run(_ state: inout ImageState) async throws -> String { "temporary" }
}
