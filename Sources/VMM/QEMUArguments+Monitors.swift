/// The QMP sockets a command line opens: `-qmp unix:PATH,...` (and `-qmp-pretty`), or a
/// `-chardev socket,id=ID,path=PATH,...` that a `-mon chardev=ID,mode=control` serves QMP on.
/// (`-monitor` and a `-mon` without `mode=control` speak the human monitor, not QMP.)
extension QEMUArguments {
    /// The Unix socket paths QMP is served on, in order.
    public func qmpSockets() throws(QEMUArgumentsError) -> [String] {
        var paths: [String] = []
        for option in options where option.name == "qmp" || option.name == "qmp-pretty" {
            // The legacy chardev form: "unix:" then QemuOpts with the path as implied key.
            guard let value = option.value, value.hasPrefix("unix:") else { continue }
            if let path = try QEMUOptionList.parse(String(value.dropFirst(5)), impliedKey: "path")["path"] { paths.append(path) }
        }
        var socketByID: [String: String] = [:]
        for text in values(of: "chardev") {
            let list = try QEMUOptionList.parse(text, impliedKey: "backend")
            if list["backend"] == "socket", let id = list["id"], let path = list["path"] { socketByID[id] = path }
        }
        for text in values(of: "mon") {
            let list = try QEMUOptionList.parse(text, impliedKey: "chardev")
            guard list["mode"] == "control", let id = list["chardev"], let path = socketByID[id] else { continue }
            paths.append(path)
        }
        return paths
    }
}
