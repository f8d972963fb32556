import ArgumentParser

extension HostImg {
    /// `hostimg inspect IMAGE`: what an image holds. Not implemented yet.
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what is in a disk image.",
            discussion: """
                Prints the partition table and slots, each slot's version, root hash and \
                kernel command line, and the packages, kernel modules and firmware the root \
                file system holds. Reads the image only; nothing is mounted.

                Not implemented yet: exits with status 3.
                """
        )

        @Argument(
            help: ArgumentHelp("The disk image to inspect.", valueName: "image"),
            completion: .file()
        )
        var image: String

        func run() async throws {
            throw NotImplemented.report("inspect", "tracked in issue 4")
        }
    }
}
