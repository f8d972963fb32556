import ByteCodec

/// `hostimg switch --plan --json`: one object, these keys and nothing else, stable for fleet
/// tooling:
///
/// ```
/// {"blocked":false,"allowCold":false,"refusal":null|"…","refusals":["…"],"notes":["…"],
///  "newQEMU":"8.2.0"|"absent"|"unknown","predictedBlackoutSeconds":12.0|null,
///  "vms":[{"name":"web","socket":"/run/hostimg/vms/web.qmp","pid":1234|null,
///          "qemuVersion":"7.2.0"|null,"path":"preserve"|"save"|"cold","reasons":["…"],
///          "ramBytes":4294967296,"streamBytes":0,"ignoreShared":true,
///          "stateFile":"/run/hostimg/preserved/web.state"|null,
///          "preservedFiles":[{"path":"/run/hostimg/preserved/web.ram","bytes":4294967296}],
///          "predictedBlackoutSeconds":12.0|null}, …]}
/// ```
///
/// `refusal` is the whole refusal text (`VMPlan.refusal`), `refusals` the switch-wide reasons
/// alone; `reasons` is empty unless `path` is `cold`; seconds are rounded to milliseconds.
extension VMPlan {
    public var json: String {
        let vms = entries.map(Self.json).joined(separator: ",")
        return "{\"blocked\":\(isBlocked),\"allowCold\":\(allowCold),\"refusal\":\(Self.quote(refusal)),"
            + "\"refusals\":\(Self.array(refusals)),\"notes\":\(Self.array(notes)),"
            + "\"newQEMU\":\(JSONString.quote(newQEMU.description)),"
            + "\"predictedBlackoutSeconds\":\(Self.number(predictedBlackout)),\"vms\":[\(vms)]}"
    }

    static func json(_ entry: Entry) -> String {
        let files = entry.preservedFiles.map { "{\"path\":\(JSONString.quote($0.path)),\"bytes\":\($0.bytes)}" }
        return "{\"name\":\(JSONString.quote(entry.name)),\"socket\":\(JSONString.quote(entry.socketPath)),"
            + "\"pid\":\(entry.pid.map(String.init) ?? "null"),\"qemuVersion\":\(quote(entry.qemuVersion?.description)),"
            + "\"path\":\(JSONString.quote(entry.path.word)),\"reasons\":\(array(entry.reasons)),"
            + "\"ramBytes\":\(entry.ramBytes),\"streamBytes\":\(entry.streamBytes),\"ignoreShared\":\(entry.ignoreShared),"
            + "\"stateFile\":\(quote(entry.stateFile)),\"preservedFiles\":[\(files.joined(separator: ","))],"
            + "\"predictedBlackoutSeconds\":\(number(entry.predictedBlackout))}"
    }

    static func quote(_ text: String?) -> String { text.map(JSONString.quote) ?? "null" }

    static func array(_ texts: [String]) -> String { "[" + texts.map(JSONString.quote).joined(separator: ",") + "]" }

    /// Milliseconds precision, always with a decimal point ("12.0", "0.125"); null for nil.
    static func number(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "null" }
        let millis = Int64((seconds * 1000).rounded())
        let sign = millis < 0 ? "-" : ""
        let magnitude = millis.magnitude
        var fraction = String(magnitude % 1000)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.count > 1, fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(sign)\(magnitude / 1000).\(fraction)"
    }
}
