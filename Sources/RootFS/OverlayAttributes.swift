import FileTree

/// The `.hostimg-attributes` file of an overlay: one path per line with the attributes to
/// set on it, because a checkout cannot carry owners and only some modes.
///
/// ```
/// # comment lines and blank lines are ignored
/// /etc/shadow            mode=0640 uid=0 gid=42
/// /usr/bin/helper        mode=4755
/// ```
///
/// The path is absolute (as in the image), without spaces; it may name an overlay file or
/// anything already in the tree. `mode` is octal permission bits (up to `7777`), `uid` and
/// `gid` are decimal numbers (numeric only: the image's passwd is not the build host's).
/// Every bad line is reported as `file:line: message`, all at once.
public enum OverlayAttributes {
    public struct Line: Sendable, Hashable {
        public var file: String
        public var number: Int
        public var path: String
        public var mode: UInt16?
        public var uid: UInt32?
        public var gid: UInt32?
    }

    public static func parse(_ text: String, file: String) throws(RootFSError) -> [Line] {
        var lines: [Line] = []
        var problems: [RootFSError.AttributeProblem] = []
        var seen: [String: Int] = [:]
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            func problem(_ message: String) { problems.append(.init(file: file, line: number, message: message)) }
            let fields = raw.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let first = fields.first, !first.hasPrefix("#") else { continue }
            guard first.hasPrefix("/") else {
                problem("'\(first)' is not an absolute path; write the path as it is in the image, e.g. /etc/shadow")
                continue
            }
            let path: String
            do {
                path = try FileTree.normalize(String(first))
            } catch {
                problem("\(error)")
                continue
            }
            if let earlier = seen[path] {
                problem("\(path) already has attributes on line \(earlier); put them on one line")
                continue
            }
            seen[path] = number
            var line = Line(file: file, number: number, path: path)
            if fields.count == 1 { problem("\(path) has no attributes; expected mode=, uid= or gid=") }
            for field in fields.dropFirst() {
                guard let equals = field.firstIndex(of: "=") else {
                    problem("'\(field)' is not key=value; expected mode=0644, uid=0 or gid=0")
                    continue
                }
                let key = field[..<equals]
                let value = String(field[field.index(after: equals)...])
                switch key {
                case "mode":
                    guard let mode = UInt16(value, radix: 8), mode <= 0o7777 else {
                        problem("mode '\(value)' is not octal permission bits (0000...7777)")
                        continue
                    }
                    line.mode = mode
                case "uid", "gid":
                    guard let id = UInt32(value) else {
                        problem("\(key) '\(value)' is not a number (0...\(UInt32.max)); names are not accepted")
                        continue
                    }
                    if key == "uid" { line.uid = id } else { line.gid = id }
                default:
                    problem("unknown attribute '\(key)'; expected mode, uid or gid")
                }
            }
            lines.append(line)
        }
        if !problems.isEmpty { throw .badAttributes(problems) }
        return lines
    }

    /// Sets the attributes; a path that is not in the tree is reported with its line.
    static func apply(_ lines: [Line], to tree: inout FileTree) throws(RootFSError) {
        var problems: [RootFSError.AttributeProblem] = []
        for line in lines {
            do {
                try tree.update(line.path) { node in
                    if let mode = line.mode { node.mode = mode }
                    if let uid = line.uid { node.uid = uid }
                    if let gid = line.gid { node.gid = gid }
                }
            } catch {
                problems.append(.init(file: line.file, line: line.number,
                                      message: "\(line.path) is neither in the overlay nor in the tree"))
            }
        }
        if !problems.isEmpty { throw .badAttributes(problems) }
    }
}
