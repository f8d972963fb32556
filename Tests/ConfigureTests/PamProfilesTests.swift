import Debian
import FileTree
import Foundation
import Testing
@testable import Configure

@Suite struct PamProfilesTests {
    /// /usr/share/pam-configs/unix and /usr/share/pam/common-auth (libpam-runtime 1.5.2-6, bookworm).
    static let unixProfile = """
        Name: Unix authentication
        Default: yes
        Priority: 256
        Auth-Type: Primary
        Auth:
        \t[success=end default=ignore]\tpam_unix.so nullok try_first_pass
        Auth-Initial:
        \t[success=end default=ignore]\tpam_unix.so nullok
        Session-Type: Additional
        Session:
        \trequired\tpam_unix.so

        """
    static let systemdProfile = "Name: systemd\nDefault: yes\nPriority: 0\nSession-Interactive-Only: yes\nSession-Type: Additional\nSession:\n\toptional\tpam_systemd.so\n"
    static let authTemplate = """
        # /etc/pam.d/common-auth
        # here are the per-package modules (the "Primary" block)
        $auth_primary
        # here's the fallback if no module succeeds
        auth\trequisite\t\t\tpam_deny.so
        auth\trequired\t\t\tpam_permit.so
        # and here are more per-package modules (the "Additional" block)
        $auth_additional
        # end of pam-auth-update config

        """

    static func profiles() -> [Configure.PamProfiles.Profile] {
        [Configure.PamProfiles.parse(unixProfile, name: "unix"), Configure.PamProfiles.parse(systemdProfile, name: "systemd")]
    }

    @Test func rendersLikePamAuthUpdate() throws {
        let enabled = Configure.PamProfiles.enabled(Self.profiles())
        #expect(enabled.map(\.name) == ["unix", "systemd"])
        let auth = try #require(Configure.PamProfiles.render(template: Self.authTemplate, type: "auth", enabled: enabled))
        #expect(auth == """
            # /etc/pam.d/common-auth
            # here are the per-package modules (the "Primary" block)
            auth\t[success=1 default=ignore]\tpam_unix.so nullok
            # here's the fallback if no module succeeds
            auth\trequisite\t\t\tpam_deny.so
            auth\trequired\t\t\tpam_permit.so
            # and here are more per-package modules (the "Additional" block)
            # end of pam-auth-update config

            """)
        let session = Self.authTemplate.replacingOccurrences(of: "auth\t", with: "session\t").replacingOccurrences(of: "$auth", with: "$session")
        let interactive = try #require(Configure.PamProfiles.render(template: session, type: "session", enabled: enabled))
        #expect(interactive.contains("session\t[default=1]\t\t\tpam_permit.so\n"), "an empty Primary block jumps over pam_deny")
        #expect(interactive.contains("session\trequired\tpam_unix.so \nsession\toptional\tpam_systemd.so \n"))
        let noninteractive = try #require(Configure.PamProfiles.render(template: session, type: "session-noninteractive", enabled: enabled))
        #expect(noninteractive.contains("session\trequired\tpam_unix.so \n"))
        #expect(!noninteractive.contains("pam_systemd"), "Session-Interactive-Only keeps it out")
        #expect(Configure.PamProfiles.render(template: "no markers\n", type: "auth", enabled: enabled) == nil)
    }

    /// This machine's /etc/pam.d/common-* were written by pam-auth-update from its profiles
    /// and templates; rendering the same inputs must give the same bytes.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/pam/common-auth")
                   && FileManager.default.fileExists(atPath: "/etc/pam.d/common-auth"), "needs libpam-runtime's templates and pam-auth-update's output"))
    func matchesThisMachinesPamAuthUpdate() throws {
        var f = try Fixture()
        let profiles = try FileManager.default.contentsOfDirectory(atPath: "/usr/share/pam-configs")
        for name in profiles { try f.hostFile("/usr/share/pam-configs/" + name, at: "/usr/share/pam-configs/" + name, mode: 0o644) }
        for type in Configure.PamProfiles.types {
            try f.hostFile("/usr/share/pam/common-" + type, at: "/usr/share/pam/common-" + type, mode: 0o644)
        }
        let result = try Configure.PamProfiles.apply(to: &f.tree, io: .init(store: f.store))
        #expect(result.skipped.isEmpty)
        for type in Configure.PamProfiles.types {
            let expected = try String(contentsOfFile: "/etc/pam.d/common-" + type, encoding: .utf8)
            #expect(try f.text("/etc/pam.d/common-" + type) == expected, "common-\(type) differs from pam-auth-update's")
        }
    }

    @Test func requestedByAPostinstCall() throws {
        let runtime = try InstalledPackage.fixture("libpam-runtime", scripts: ["postinst": "#!/bin/sh -e\npam-auth-update --root \"$DPKG_ROOT\" --package $force\n"])
        #expect(Configure.PamProfiles.requested(by: [try .fixture("bash"), runtime]) == "libpam-runtime")
        #expect(Configure.PamProfiles.requested(by: [try .fixture("bash")]) == nil)
    }
}
