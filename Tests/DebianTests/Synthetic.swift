import Foundation
@testable import Debian

/// Build a small index from deb822 text, so each test states its packages the way an index
/// would (missing Filename/Size are filled in).
func syntheticIndex(_ indices: [(origin: String, text: String)]) throws -> PackageIndex {
    var index = PackageIndex()
    for (origin, text) in indices {
        var paragraphs = try Deb822.parse(text)
        for i in paragraphs.indices {
            if paragraphs[i]["Architecture"] == nil { paragraphs[i]["Architecture"] = "amd64" }
            if paragraphs[i]["Filename"] == nil, let name = paragraphs[i]["Package"] {
                paragraphs[i]["Filename"] = "pool/main/\(name).deb"
            }
            if paragraphs[i]["Size"] == nil { paragraphs[i]["Size"] = "100" }
        }
        try index.add(packagesFile: Data(Deb822.serialize(paragraphs).utf8), origin: origin)
    }
    return index
}

func syntheticIndex(_ text: String) throws -> PackageIndex {
    try syntheticIndex([("http://deb.example/debian bookworm/main", text)])
}

func resolve(_ index: PackageIndex, include: [String], exclude: [String] = [], essential: Bool = false) throws -> Resolver.Resolution {
    try Resolver.resolve(.init(include: include, exclude: exclude, essential: essential), in: index)
}

func failure(_ body: () throws -> Void) -> String {
    do {
        try body()
        return "no error"
    } catch {
        return "\(error)"
    }
}
