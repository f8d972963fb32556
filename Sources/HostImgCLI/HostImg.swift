import ArgumentParser

public struct HostImg: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "hostimg", abstract: "Build and run minimal, immutable hypervisor-host images.")
    public init() {}
}
