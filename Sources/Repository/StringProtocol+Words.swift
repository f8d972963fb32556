extension StringProtocol {
    /// Leading and trailing spaces and tabs removed.
    var trimmingSpaces: Substring {
        let scalars = Substring(self)
        let start = scalars.firstIndex { $0 != " " && $0 != "\t" } ?? scalars.endIndex
        let end = scalars.lastIndex { $0 != " " && $0 != "\t" }.map { scalars.index(after: $0) } ?? start
        return scalars[start..<Swift.max(start, end)]
    }

    /// Whitespace-separated words.
    var words: [String] {
        let separators: Set<Character> = [" ", "\t", "\n"]
        return self.split(omittingEmptySubsequences: true, whereSeparator: { separators.contains($0) }).map { String($0) }
    }
}
