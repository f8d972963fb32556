import ArgumentParser

extension HostImg {
    /// `hostimg verify IMAGE|BUNDLE`: check an artefact as a host would. Not implemented yet.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a disk image or an update bundle the way a host would.",
            discussion: """
                For a disk image: the GPT (headers, CRCs, partition types and the A/B slot \
                layout), each slot's dm-verity tree against its root hash, the PARTUUIDs bound \
                to that hash, and the verity signature. For an update bundle: the bundle \
                signature, then the SHA-256 of every payload.

                Nothing is mounted or written. Signatures are checked against --cert.

                Not implemented yet: exits with status 3.
                """
        )

        @Argument(
            help: ArgumentHelp("The disk image or update bundle to check.", valueName: "image-or-bundle"),
            completion: .file()
        )
        var path: String

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        func run() async throws {
            throw NotImplemented.report("verify", "tracked in issue 4")
        }
    }
}
