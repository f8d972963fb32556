import Foundation
import Testing
import TestSupport
import VMM

/// The plan's text lines and its JSON, read back by Foundation and by Python's `json`.
@Suite struct VMPlanRenderingTests {
    typealias Plan = VMPlanTests

    static func plan() -> VMPlan {
        var settings = Plan.settings()
        settings.measuredKexecSeconds = 8
        return VMPlan(vms: [
            Plan.vm("web", Plan.fileRAM("/run/hostimg/preserved/web.ram", size: "4G"), pid: 1234),
            Plan.vm("db", ["-m", "1G"], pid: 99),
            Plan.vm("gpu \"0\"\n", ["-m", "8G", "-device", "vfio-pci,host=0000:01:00.0,id=gpu0"], pid: 7),
        ], settings: settings)
    }

    @Test func oneLinePerVM() {
        #expect(Self.plan().lines == [
            "VM db (pid 99): 1 GiB RAM, save (1 GiB to /var/lib/hostimg/vm-state), predicted blackout 16.0 s",
            "VM gpu \"0\"\n (pid 7): 8 GiB RAM, cold: device vfio-pci (id=gpu0, host=0000:01:00.0) passes a host device through: "
                + "QEMU cannot migrate it unless the guest suspends it first",
            "VM web (pid 1234): 4 GiB RAM, preserve (RAM stays in /run/hostimg/preserved), predicted blackout 10.0 s",
            "predicted blackout of the switch: 16.0 s (the VMs are paused and resumed in parallel)",
        ])
        #expect(VMPlan(vms: [], settings: Plan.settings()).lines == ["no VM to keep: no QMP socket was found"])
    }

    @Test func theJSONKeysAndValues() throws {
        let plan = Self.plan()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(plan.json.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["blocked", "allowCold", "refusal", "refusals", "notes", "newQEMU", "predictedBlackoutSeconds", "vms"])
        #expect(object["blocked"] as? Bool == true && object["allowCold"] as? Bool == false && object["newQEMU"] as? String == "7.2.0")
        #expect(object["refusal"] as? String == plan.refusal && object["predictedBlackoutSeconds"] as? Double == 16)
        let vms = try #require(object["vms"] as? [[String: Any]])
        #expect(vms.map { $0["name"] as? String } == ["db", "gpu \"0\"\n", "web"])
        #expect(Set(vms[0].keys) == [
            "name", "socket", "pid", "qemuVersion", "path", "reasons", "ramBytes", "streamBytes", "ignoreShared", "stateFile",
            "preservedFiles", "predictedBlackoutSeconds",
        ])
        #expect(vms[0]["path"] as? String == "save" && vms[0]["streamBytes"] as? Int == 1 << 30 && vms[0]["pid"] as? Int == 99)
        #expect(vms[1]["path"] as? String == "cold" && vms[1]["predictedBlackoutSeconds"] is NSNull && vms[1]["stateFile"] is NSNull)
        #expect((vms[1]["reasons"] as? [String])?.count == 1)
        let files = try #require(vms[2]["preservedFiles"] as? [[String: Any]])
        #expect(files.first?["path"] as? String == "/run/hostimg/preserved/web.ram" && files.first?["bytes"] as? Int == 4 << 30)
        #expect(vms[2]["qemuVersion"] as? String == "7.2.0" && vms[2]["ignoreShared"] as? Bool == true)
    }

    @Test(.enabled(if: Tools.find("python3") != nil, "python3 is not installed"))
    func pythonReadsTheJSON() throws {
        let scratch = try ScratchDirectory()
        let file = scratch.path("plan.json")
        try Self.plan().json.write(toFile: file, atomically: true, encoding: .utf8)
        let script = """
            import json, sys
            plan = json.load(open(sys.argv[1]))
            print(plan["blocked"], [vm["path"] for vm in plan["vms"]], repr(plan["vms"][1]["name"]), plan["vms"][0]["predictedBlackoutSeconds"])
            """
        let result = try Tools.run(try #require(Tools.find("python3")), ["-c", script, file])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText == "True ['save', 'cold', 'preserve'] 'gpu \"0\"\\n' 16.0\n")
    }
}
