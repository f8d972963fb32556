import ArgumentParser
import Foundation
import BuildPipeline
import Manifests
import Testing

@testable import HostImgCLI

@Suite("root command and unimplemented subcommands")
struct CommandTests {
    /// Off a host (this machine's /proc/cmdline has no roothash=, and the bundle does not
    /// exist) the on-host switch refuses before anything: exit 1, never a kexec.
    @Test(arguments: [
        ["switch", "/no/such/hv.bundle"],
        ["switch", "/no/such/hv.bundle", "--dry-run", "--no-kexec"],
        ["switch", "/no/such/hv.bundle", "--no-reboot", "--json"],
    ])
    func switchOffAHostIsRefused(arguments: [String]) async {
        let run = await hostimg(arguments)
        #expect(run.status == 1)
    }

    @Test(arguments: [
        ["build"],
        ["build", "hv.yaml", "--stage", "everything"],
        ["build", "no-such-manifest.yaml", "--stage", "rootfs"],
        ["verify"],
        ["verify", "/no/such/image.img"],
        ["verify", "hv.img", "--cert", "/no/such/cert.pem"],
        ["inspect"],
        ["inspect", "/no/such/image.img"],
        ["sign", "/no/such/dir", "--key", "/no/k.pem", "--cert", "/no/c.pem"],
        ["sign", "out"],
        ["build", "hv.yaml", "--unsigned", "--key", "k.pem", "--cert", "c.pem"],
        ["build", "hv.yaml", "--key", "k.pem"],
        ["build", "hv.yaml", "--seed", "xyz"],
        ["keygen", "--type", "dsa"],
        ["switch"],
        ["switch", "b", "--no-reboot", "--no-kexec"],
        ["frobnicate"],
    ])
    func badUsageExitsTwo(arguments: [String]) async {
        let run = await hostimg(arguments)
        #expect(run.status == 2)
        #expect(run.standardOutput == "")
        #expect(!run.standardError.isEmpty)
    }

    @Test func buildAcceptsEveryStage() throws {
        for stage in BuildStage.allCases {
            let command = try HostImg.parseAsRoot(["build", "hv.yaml", "--stage", stage.rawValue])
            let build = try #require(command as? HostImg.Build)
            #expect(build.stage == stage)
        }
    }

    @Test func buildOptionsParse() throws {
        let command = try HostImg.parseAsRoot(["build", "hv.yaml", "-o", "dist", "--locked", "--cache", "/var/cache/h"])
        let build = try #require(command as? HostImg.Build)
        #expect(build.manifest == "hv.yaml")
        #expect(build.output == "dist")
        #expect(build.locked)
        #expect(build.cache == "/var/cache/h")
        #expect(build.stage == nil)
        let defaults = try #require(try HostImg.parseAsRoot(["build", "hv.yaml"]) as? HostImg.Build)
        #expect(defaults.output == "out")
        #expect(!defaults.locked)
    }

    @Test func versionGoesToStdout() async {
        let run = await hostimg(["--version"])
        #expect(run.status == 0)
        #expect(run.standardOutput == "0.1.0\n")
        #expect(HostImg.configuration.version == HostImgVersion.current)
    }

    @Test func helpGoesToStdout() async {
        let run = await hostimg(["lint", "--help"])
        #expect(run.status == 0)
        #expect(run.standardOutput.contains("USAGE: hostimg lint <path> ..."))
        #expect(run.standardError == "")
    }

    @Test func rootHelpListsSubcommandsAndExitStatus() {
        let help = HostImg.helpMessage(columns: 200)
        for name in ["build", "lint", "verify", "sign", "keygen", "switch", "inspect"] {
            #expect(help.contains("\n  \(name) "), "root help lists \(name)")
        }
        #expect(help.contains("EXIT STATUS"))
        #expect(help.contains("3  the command is not implemented yet"))
    }

    @Test(arguments: [
        (HostImg.Lint.self as ParsableCommand.Type,
         ["<path> ...", "--format <format>", "--strict", "--hardware <file>", "--previous <manifest>", "--color <when>", "--quiet", "sarif", "github"]),
        (HostImg.Build.self, ["<manifest>", "-o, --output <dir>", "--locked", "--stage <stage>", "--cache <dir>", "rootfs",
                              "image", "--key <file>", "--cert <file>", "--unsigned", "--seed <hex>", "DEVELOPMENT"]),
        (HostImg.Verify.self, ["<image-or-bundle>", "--cert <cert>", "--format <format>", "FAILED"]),
        (HostImg.Sign.self, ["<path>", "--key <file>", "--cert <file>", "--force", "byte-identical"]),
        (HostImg.Keygen.self, ["--out <dir>", "--type <type>", "rsa-2048", "ec-p256", "--force"]),
        (HostImg.Switch.self, ["<bundle>", "--cert <cert>", "--plan", "--reboot", "--no-reboot", "--ca <file>", "--watchdog-timeout"]),
        (HostImg.Inspect.self, ["<image-or-bundle>", "--files", "--format <format>"]),
    ])
    func subcommandHelpDocumentsItsArguments(command: ParsableCommand.Type, mentions: [String]) {
        let help = HostImg.helpMessage(for: command, columns: 200)
        #expect(help.contains("OVERVIEW: "))
        #expect(!command.configuration.discussion.isEmpty)
        for text in mentions {
            #expect(help.contains(text), "help of \(command.configuration.commandName ?? "?") mentions \(text)")
        }
        if command == HostImg.Switch.self {
            #expect(help.contains("kexec") && help.contains("--disk <file>"))
        } else {
            #expect(!help.contains("Not implemented yet"))
        }
    }
}
