import Foundation
import Testing
@testable import Manifests

/// The root shell on the serial console is for the test image only (issue 13): qemu-dev's
/// overlay autologs root in on ttyS0 so tests can drive a booted guest, and nothing that
/// makes hv-host — its overlays, its bases' overlays, the units it enables — may do the same.
@Suite("console access: autologin only in qemu-dev")
struct ConsoleAccessTests {
    /// Overlay entries (paths relative to the overlay) that may set up an automatic login: a
    /// file naming autologin (agetty's `--autologin`) or a getty drop-in directory; and the
    /// getty units the manifest enables.
    static func autologinFiles(manifest path: String) throws -> (files: [String], gettyUnits: [String]) {
        let loaded = inRepository { ManifestLoader.load(path: path) }
        let manifest = try #require(loaded.manifest, "\(path) does not load: \(loaded.diagnostics)")
        var found: [String] = []
        for overlay in manifest.overlays {
            let directory = inRepository {
                URL(fileURLWithPath: ManifestLoader.resolve(overlay.value, relativeTo: overlay.location.file)).standardized.path
            }
            let root = directory.hasPrefix("/") ? directory : repositoryRoot + "/" + directory
            let enumerator = FileManager.default.enumerator(atPath: root)
            while let relative = enumerator?.nextObject() as? String {
                let text = (try? String(contentsOfFile: root + "/" + relative, encoding: .utf8)) ?? ""
                if text.contains("--autologin") || text.contains("autologin") || relative.contains("getty@") && relative.hasSuffix(".d") {
                    found.append(relative)
                }
            }
        }
        let getty = manifest.services.enable.map(\.value).filter { $0.contains("getty") }
        return (found, getty)
    }

    @Test("hv-host's overlays and services give no automatic login")
    func hvHostHasNone() throws {
        let hvHost = try Self.autologinFiles(manifest: "manifests/hv-host.yaml")
        #expect(hvHost.files.isEmpty, "hv-host would log someone in without a password: \(hvHost.files)")
        #expect(hvHost.gettyUnits.isEmpty, "hv-host enables getty units: \(hvHost.gettyUnits)")
    }

    @Test("qemu-dev's overlay has the ttyS0 autologin the tests rely on (so the check above can bite)")
    func qemuDevHasIt() throws {
        let qemuDev = try Self.autologinFiles(manifest: "manifests/qemu-dev.yaml")
        #expect(qemuDev.files.contains("etc/systemd/system/serial-getty@ttyS0.service.d/50-autologin.conf"), "\(qemuDev.files)")
    }
}
