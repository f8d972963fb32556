/// hostimg's release: what `hostimg --version` prints and what the SBOM and the provenance
/// name as the builder.
public enum HostImgRelease {
    public static let version = "0.1.0"
}
