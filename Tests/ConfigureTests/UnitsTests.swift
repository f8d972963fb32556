import Debian
import FileTree
import Foundation
import Testing
@testable import Configure

@Suite struct UnitsTests {
    static func fixture() throws -> Fixture {
        var f = try Fixture()
        let dir = "/usr/lib/systemd/system"
        try f.file("\(dir)/ssh.service", "[Unit]\nDescription=SSH\n\n[Install]\nWantedBy=multi-user.target\nAlias=sshd.service\nAlso=ssh.socket\n")
        try f.file("\(dir)/ssh.socket", "[Socket]\nListenStream=22\n[Install]\nWantedBy=sockets.target\n")
        try f.file("\(dir)/getty@.service", "[Service]\nExecStart=/sbin/agetty\n[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n")
        try f.file("\(dir)/multi-user.target", "[Unit]\nDescription=Multi-User System\n")
        try f.file("\(dir)/apt-daily-upgrade.timer", "[Timer]\nOnCalendar=*-*-* 6:00\n[Install]\nWantedBy=timers.target\n")
        try f.file("\(dir)/needs.service", "[Install]\nRequiredBy=multi-user.target\n")
        return f
    }

    @Test func enablesWithInstallSection() throws {
        var f = try Self.fixture()
        var units = Configure.Units(tree: f.tree, io: .init(store: f.store))
        for name in ["ssh.service", "getty@.service", "getty@ttyS0.service", "needs.service"] { try units.enable(name, in: &f.tree) }
        try units.setDefaultTarget("multi-user.target", in: &f.tree)
        let etc = "/etc/systemd/system"
        let lib = "/usr/lib/systemd/system"
        #expect(f.tree["\(etc)/multi-user.target.wants/ssh.service"]?.symlinkTarget == "\(lib)/ssh.service")
        #expect(f.tree["\(etc)/sshd.service"]?.symlinkTarget == "\(lib)/ssh.service")
        #expect(f.tree["\(etc)/sockets.target.wants/ssh.socket"]?.symlinkTarget == "\(lib)/ssh.socket")
        #expect(f.tree["\(etc)/getty.target.wants/getty@tty1.service"]?.symlinkTarget == "\(lib)/getty@.service")
        #expect(f.tree["\(etc)/getty.target.wants/getty@ttyS0.service"]?.symlinkTarget == "\(lib)/getty@.service")
        #expect(f.tree["\(etc)/multi-user.target.requires/needs.service"]?.symlinkTarget == "\(lib)/needs.service")
        #expect(f.tree["\(etc)/default.target"]?.symlinkTarget == "\(lib)/multi-user.target")
    }

    @Test func unknownUnitIsNamed() throws {
        var f = try Self.fixture()
        var units = Configure.Units(tree: f.tree, io: .init(store: f.store))
        #expect(throws: Configure.ConfigureError.unknownUnit("nope.service", searched: Configure.Units.searchPath)) {
            try units.enable("nope.service", in: &f.tree)
        }
        #expect(throws: Configure.ConfigureError.badUnitName("ssh")) { try units.enable("ssh", in: &f.tree) }
    }

    @Test func readsDebSystemdHelperEnables() throws {
        let apt = try InstalledPackage.fixture("apt", scripts: ["postinst": Real.aptPostinst])
        let found = Configure.Units.packageEnables(packages: [apt])
        #expect(found.names == ["apt-daily-upgrade.timer"])
    }
}

extension UnitsTests {
    /// dh_installsystemd's guard for a unit shipped with --no-enable (openssh-server's ssh.socket).
    static let upgradeOnlyPostinst = """
        if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] ; then
        \tif deb-systemd-helper --quiet was-enabled 'ssh.service'; then
        \t\tdeb-systemd-helper enable 'ssh.service' >/dev/null || true
        \tfi
        fi
        if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] ; then
        \tif deb-systemd-helper debian-installed 'ssh.socket'; then
        \t\tif deb-systemd-helper --quiet was-enabled 'ssh.socket'; then
        \t\t\tdeb-systemd-helper enable 'ssh.socket' >/dev/null || true
        \t\tfi
        \tfi
        \tdeb-systemd-helper update-state 'ssh.socket' >/dev/null || true
        fi
        if true; then deb-systemd-helper enable 'after.service'; fi

        """

    @Test func upgradeOnlyEnablesAreLeftOut() throws {
        let ssh = try InstalledPackage.fixture("openssh-server", scripts: ["postinst": Self.upgradeOnlyPostinst])
        let found = Configure.Units.packageEnables(packages: [ssh])
        #expect(found.names == ["ssh.service", "after.service"])
        #expect(found.upgradeOnly.count == 1 && found.upgradeOnly[0].hasPrefix("openssh-server/postinst:9: enable ssh.socket only on upgrade"))
    }
}
