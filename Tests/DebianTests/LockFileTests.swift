import Crypto
import Foundation
import Testing
@testable import Debian

@Suite struct LockFileTests {
    static let request = LockFile.Request(
        include: ["busybox", "systemd", "busybox"], exclude: ["man-db"], essential: true,
        repositories: ["http://deb.example/debian bookworm/main", "http://deb.example/debian bookworm-updates/main"])

    func lock() throws -> LockFile {
        let index = try syntheticIndex("""
            Package: systemd
            Version: 252.39-1~deb12u1
            Depends: libc6
            SHA256: 00ff

            Package: libc6
            Version: 2.36-9+deb12u10
            Priority: required
            SHA256: 11ee

            Package: busybox
            Version: 1:1.35.0-4+b3
            """)
        let resolution = try resolve(index, include: ["systemd", "busybox"], essential: true)
        return LockFile(request: Self.request, resolution: resolution)
    }

    @Test func writesDeterministicText() throws {
        let text = try lock().serialized()
        #expect(text.hasPrefix("Lock-Version: 1\nRequest: \(try Self.request.digest())\nEssential: yes\nInclude: busybox, systemd\nExclude: man-db\nRepositories:\n http://deb.example/debian bookworm/main\n http://deb.example/debian bookworm-updates/main\n\nPackage: busybox\n"))
        #expect(text.contains("""
            Package: libc6
            Version: 2.36-9+deb12u10
            Architecture: amd64
            Filename: pool/main/libc6.deb
            Size: 100
            SHA256: 11ee
            Origin: http://deb.example/debian
            Selected-By: priority required
            """))
        #expect(text.contains("Package: systemd\nVersion: 252.39-1~deb12u1"))
        #expect(text == (try lock().serialized()))
    }

    @Test func roundTripIsByteIdentical() throws {
        let text = try lock().serialized()
        let read = try LockFile(parsing: text)
        #expect(read == (try lock()))
        #expect(try read.serialized() == text)
    }

    @Test func digestChangesWithEveryPartOfTheRequest() throws {
        let base = Self.request
        var changed: [LockFile.Request] = []
        changed.append(.init(include: base.include + ["kmod"], exclude: base.exclude, essential: true, repositories: base.repositories))
        changed.append(.init(include: base.include, exclude: [], essential: true, repositories: base.repositories))
        changed.append(.init(include: base.include, exclude: base.exclude, essential: false, repositories: base.repositories))
        changed.append(.init(include: base.include, exclude: base.exclude, essential: true, repositories: base.repositories.reversed()))
        let digests = Set(try changed.map { try $0.digest() } + [try base.digest()])
        #expect(digests.count == 5)
        // Order and duplicates of names do not matter.
        #expect(try LockFile.Request(include: ["systemd", "busybox"], exclude: ["man-db"], essential: true, repositories: base.repositories).digest() == (try base.digest()))
        #expect(try base.digest().count == 64)
    }


    @Test func mismatchNamesWhatChanged() throws {
        let lock = try lock()
        #expect(lock.matches(Self.request))
        try lock.check(matches: Self.request)
        let now = LockFile.Request(include: ["busybox", "systemd", "kmod"], exclude: ["man-db"], essential: true, repositories: Self.request.repositories)
        #expect(!lock.matches(now))
        #expect(failure { try lock.check(matches: now) }
            == "the lock was made for include [busybox, systemd]; the manifest now asks for [busybox, kmod, systemd]: run without --locked to update it")
        let noEssential = LockFile.Request(include: Self.request.include, exclude: ["man-db"], essential: false, repositories: Self.request.repositories)
        #expect(failure { try lock.check(matches: noEssential) }.contains("the lock was made for essential true"))
    }

    @Test func readErrors() throws {
        #expect(failure { _ = try LockFile(parsing: "") } == "hostimg.lock is empty; run without --locked to create it")
        #expect(failure { _ = try LockFile(parsing: "Lock-Version: 2\n") } == "hostimg.lock has Lock-Version 2; this hostimg reads version 1 only")
        var text = try lock().serialized()
        text = text.replacingOccurrences(of: "Include: busybox, systemd", with: "Include: busybox")
        #expect(failure { _ = try LockFile(parsing: text) }.contains("was edited by hand"))
        let broken = try lock().serialized().replacingOccurrences(of: "Size: 100\nSHA256: 11ee", with: "Size: lots\nSHA256: 11ee")
        #expect(failure { _ = try LockFile(parsing: broken) } == "hostimg.lock: Size \"lots\" of libc6 is not a byte count")
    }
}
