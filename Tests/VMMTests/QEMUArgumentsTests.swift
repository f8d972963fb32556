import Testing
import VMM

/// Reading QEMU command lines: the option table, `key=value` lists with `,,`, sizes, the
/// JSON form, guest RAM, devices, QMP sockets and the relaunch argv.
@Suite struct QEMUArgumentsTests {
    static let qemu = "/usr/bin/qemu-system-x86_64"

    @Test func flagsValuesAndPositionalWords() throws {
        let arguments = try QEMUArguments([
            Self.qemu, "-daemonize", "--name", "web", "-append", "-v console=ttyS0", "disk.img", "-S", "-pidfile", "/run/web.pid",
        ])
        #expect(arguments.options.map(\.name) == ["daemonize", "name", "append", "S", "pidfile"])
        #expect(arguments.values(of: "append") == ["-v console=ttyS0"])
        #expect(arguments.positional == ["disk.img"])
        #expect(arguments.daemonize && arguments.pidFile == "/run/web.pid" && arguments.incoming == nil)
        #expect(try arguments.guestName() == "web")
        #expect(try QEMUArguments([Self.qemu, "-name", "guest=db,,1,debug-threads=on"]).guestName() == "db,1")
        #expect(throws: QEMUArgumentsError.missingValue(option: "-m")) { try QEMUArguments([Self.qemu, "-m"]) }
        #expect(throws: QEMUArgumentsError.empty) { try QEMUArguments([]) }
    }

    @Test func commandLineBytesFromProc() throws {
        let bytes = Array("qemu\0-m\02G\0-name\0a b\0".utf8)
        #expect(try QEMUArguments(commandLine: bytes).argv == ["qemu", "-m", "2G", "-name", "a b"])
        #expect(try QEMUArguments(commandLine: Array("qemu\0\0-S\0".utf8)).argv == ["qemu", "", "-S"])
        #expect(throws: QEMUArgumentsError.notUTF8(index: 1)) { try QEMUArguments(commandLine: [0x71, 0, 0xFF, 0xFE, 0]) }
        #expect(throws: QEMUArgumentsError.empty) { try QEMUArguments(commandLine: []) }
    }

    @Test func optionListsWithEscapedCommasAndImpliedKeys() throws {
        let list = try QEMUOptionList.parse("memory-backend-file,id=ram0,mem-path=/run/a,,b,,,,c,share,nowait,x=", impliedKey: "qom-type")
        #expect(list["qom-type"] == "memory-backend-file")
        #expect(list["mem-path"] == "/run/a,b,,c")
        #expect(list["share"] == "on" && list["wait"] == "off" && list["x"] == "")
        #expect(try QEMUOptionList.parse("size=1G,id=a,", impliedKey: "qom-type")["size"] == "1G")
        #expect(try QEMUOptionList.parse("a=1,a=2", impliedKey: nil)["a"] == "2")
        #expect(try QEMUOptionList.parse("pc-q35-7.2,accel=kvm", impliedKey: "type")["type"] == "pc-q35-7.2")
        #expect(throws: QEMUArgumentsError.self) { try QEMUOptionList.parse("a,,b", impliedKey: nil) }
        #expect(throws: QEMUArgumentsError.self) { try QEMUOptionList.parse("share=maybe", impliedKey: nil).flag("share") }
    }

    @Test func sizesWithSuffixesFractionsAndUnits() throws {
        #expect(try QEMUSize.bytes("4G", key: "size") == 4 << 30)
        #expect(try QEMUSize.bytes("512", key: "-m", defaultUnit: QEMUSize.mebibyte) == 512 << 20)
        #expect(try QEMUSize.bytes("1.5G", key: "size") == 3 << 29)
        #expect(try QEMUSize.bytes("1k", key: "size") == 1024)
        #expect(try QEMUSize.bytes("0x1E", key: "size") == 30)
        #expect(try QEMUSize.bytes("1073741824", key: "size") == 1 << 30)
        for bad in ["", "G", "+5", "-1", "abc", "1.G", "16E", "99999999999999999999", "1,5G", "0x"] {
            #expect(throws: QEMUArgumentsError.self, "\(bad)") { try QEMUSize.bytes(bad, key: "size") }
        }
        let memory = try QEMUArguments([Self.qemu, "-m", "size=2G,slots=4,maxmem=8G", "-m", "3G"]).memory()
        #expect(memory.size == 3 << 30 && memory.slots == 4 && memory.maxMemory == 8 << 30)
        #expect(try QEMUArguments([Self.qemu]).memory().size == 128 << 20)
        #expect(try QEMUArguments([Self.qemu, "-m", "1024"]).memory().size == 1 << 30)
    }

    @Test func memoryBackendsAndTheirDefaults() throws {
        let arguments = try QEMUArguments([
            Self.qemu,
            "-object", "memory-backend-file,id=f,size=1G,mem-path=/run/hostimg/preserved/web,share=on",
            "-object", "memory-backend-memfd,id=m,size=512M,hugetlb=on",
            "-object", "memory-backend-ram,id=r,size=256M",
            "-object", "secret,id=s,data=x",
        ])
        let backends = try arguments.memoryBackends()
        #expect(backends.map(\.id) == ["f", "m", "r"])
        #expect(backends[0].share && backends[0].memPath == "/run/hostimg/preserved/web" && backends[0].size == 1 << 30)
        #expect(backends[1].share && backends[1].hugetlb, "memfd is shared unless share=off")
        #expect(!backends[2].share && !backends[2].hugetlb)
        #expect(throws: QEMUArgumentsError.missingProperty(option: "-object memory-backend-file,id=f", key: "mem-path")) {
            try QEMUArguments([Self.qemu, "-object", "memory-backend-file,id=f,size=1G"]).memoryBackends()
        }
    }

    @Test func theJSONFormOfObjectsAndDevices() throws {
        let arguments = try QEMUArguments([
            Self.qemu,
            "-object", #"{"qom-type":"memory-backend-file","id":"pc.ram","size":1073741824,"mem-path":"/run/hostimg/preserved/a\"b\u00e9","share":true,"x":{"y":[1,"]"]},"z":null}"#,
            "-device", #"{"driver":"vfio-pci","host":"0000:01:00.0","id":"hostdev0","rombar":false}"#,
            "-machine", "pc-q35-7.2,memory-backend=pc.ram",
        ])
        let backend = try #require(try arguments.memoryBackends().first)
        #expect(backend.memPath == "/run/hostimg/preserved/a\"bé" && backend.share && backend.size == 1 << 30)
        #expect(backend.properties["x"] == #"{"y":[1,"]"]}"# && backend.properties["z"] == nil)
        let device = try #require(try arguments.devices().first)
        #expect(device.isPassthrough && device.properties["rombar"] == "off")
        #expect(device.summary == "vfio-pci (id=hostdev0, host=0000:01:00.0)")
        for bad in [#"{"a":1"#, #"{"a":tru}"#, #"{"a":"\q"}"#, #"{"a":1} x"#, #"{a:1}"#] {
            #expect(throws: QEMUArgumentsError.self, "\(bad)") { try QEMUOptionList.parse(bad, impliedKey: "driver", allowJSON: true) }
        }
    }

    @Test func guestRAMFollowsWhatTheMachineMaps() throws {
        let preserved = try QEMUArguments([
            Self.qemu, "-machine", "q35", "-machine", "memory-backend=main", "-m", "2G",
            "-object", "memory-backend-file,id=main,size=2G,mem-path=/p/main,share=on",
            "-object", "memory-backend-ram,id=unused,size=8G",
            "-object", "memory-backend-memfd,id=dimm,size=1G",
            "-device", "pc-dimm,id=d0,memdev=dimm",
        ]).guestRAM()
        #expect(preserved.unbacked == nil && preserved.backends.map(\.id) == ["main", "dimm"], "an unreferenced backend is not guest RAM")
        #expect(preserved.totalBytes == 3 << 30)
        let numa = try QEMUArguments([
            Self.qemu, "-m", "2G", "-object", "memory-backend-ram,id=n0,size=1G", "-object", "memory-backend-ram,id=n1,size=1G",
            "-numa", "node,memdev=n0", "-numa", "node,memdev=n1",
        ]).guestRAM()
        #expect(numa.backends.map(\.id) == ["n0", "n1"] && numa.unbacked == nil)
        let legacy = try QEMUArguments([Self.qemu, "-m", "4G", "-mem-path", "/dev/hugepages"]).guestRAM()
        #expect(legacy.unbacked == 4 << 30 && legacy.unbackedPath == "/dev/hugepages" && legacy.backends.isEmpty)
        #expect(throws: QEMUArgumentsError.unknownReference(from: "-machine memory-backend", id: "gone")) {
            try QEMUArguments([Self.qemu, "-machine", "pc,memory-backend=gone"]).guestRAM()
        }
    }

    @Test func qmpSocketsInTheirForms() throws {
        let arguments = try QEMUArguments([
            Self.qemu,
            "-qmp", "unix:/run/hostimg/vms/web.qmp,server,nowait",
            "-qmp", "tcp:127.0.0.1:4444,server=on,wait=off",
            "-chardev", "socket,id=mon0,path=/run/a,,b.qmp,server=on,wait=off",
            "-mon", "chardev=mon0,mode=control",
            "-chardev", "socket,id=hmp,path=/run/hmp.sock,server=on,wait=off",
            "-mon", "hmp",
            "-qmp-pretty", "unix:/run/pretty.qmp,server=on",
        ])
        #expect(try arguments.qmpSockets() == ["/run/hostimg/vms/web.qmp", "/run/pretty.qmp", "/run/a,b.qmp"])
    }

    @Test func theRelaunchArgvKeepsEveryOtherWord() throws {
        let argv = [
            Self.qemu, "-name", "web", "-daemonize", "-incoming", "tcp:0:4444", "-append", "quiet  é\tx",
            "-object", "memory-backend-file,id=m,size=1G,mem-path=/p/a,,b,share=on", "--daemonize", "-pidfile", "/run/web.pid",
        ]
        let arguments = try QEMUArguments(argv)
        let kept = [
            Self.qemu, "-name", "web", "-append", "quiet  é\tx",
            "-object", "memory-backend-file,id=m,size=1G,mem-path=/p/a,,b,share=on", "-pidfile", "/run/web.pid",
        ]
        #expect(arguments.with(incomingDefer: true) == kept + ["-incoming", "defer"])
        #expect(arguments.with(incomingDefer: false) == kept)
        let again = try QEMUArguments(arguments.with(incomingDefer: true))
        #expect(again.incoming == "defer" && !again.daemonize)
        #expect(try QEMUArguments([Self.qemu, "-m", "1G"]).with(incomingDefer: false) == [Self.qemu, "-m", "1G"])
    }
}
