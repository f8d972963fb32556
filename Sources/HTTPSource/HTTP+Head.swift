extension HTTP {
    /// A response's status line and header fields (RFC 9112 sections 4 and 5), read within
    /// `maximumHeaderSize` bytes, `maximumLineSize` per line and `maximumHeaderCount` fields.
    struct Head {
        var statusLine: String
        var code: Int
        var fields: [(name: String, value: String)] = []

        init(_ connection: Connection) throws(HTTPError) {
            let url = connection.url.description
            guard let line = try connection.readLine(what: "the status line") else {
                throw .closedEarly(url: url, received: 0, expected: "the status line (the server sent nothing)")
            }
            statusLine = String(decoding: line.prefix(200), as: UTF8.self)
            // HTTP/1.x SP 3DIGIT [SP reason]
            guard line.count >= 12, line.starts(with: Array("HTTP/1.".utf8)), line[8] == UInt8(ascii: " "),
                line[9...11].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                line.count == 12 || line[12] == UInt8(ascii: " "),
                let code = Int(String(decoding: line[9...11], as: UTF8.self))
            else {
                throw .malformedResponse(url: url, detail: "the status line \"\(statusLine)\" is not HTTP/1.x NNN REASON")
            }
            self.code = code
            var total = line.count
            while true {
                guard let field = try connection.readLine(what: "a header field") else {
                    throw .closedEarly(url: url, received: 0, expected: "the end of the header fields")
                }
                if field.isEmpty { return }
                total += field.count + 2
                guard total <= HTTP.maximumHeaderSize, fields.count < HTTP.maximumHeaderCount else {
                    throw .malformedResponse(
                        url: url, detail: "the header is larger than \(HTTP.maximumHeaderSize) bytes or \(HTTP.maximumHeaderCount) fields")
                }
                fields.append(try Self.field(field, url: url))
            }
        }

        /// NAME ":" OWS VALUE OWS; obsolete line folding (a line starting with a space) is
        /// refused, as RFC 9112 section 5.2 allows.
        private static func field(_ line: [UInt8], url: String) throws(HTTPError) -> (name: String, value: String) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0,
                !line[..<colon].contains(where: { $0 <= 0x20 || $0 >= 0x7f })
            else {
                throw .malformedResponse(url: url, detail: "header line \"\(String(decoding: line.prefix(80), as: UTF8.self))\" is not NAME: VALUE")
            }
            let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
            var value = line[(colon + 1)...].drop(while: isSpace)
            while let last = value.last, isSpace(last) { value = value.dropLast() }
            return (String(decoding: line[..<colon], as: UTF8.self).lowercased(), String(decoding: value, as: UTF8.self))
        }
    }
}
