import Testing
import VMM

@Suite("VMM module") struct VMMModuleTests {
    @Test("the module links") func links() { _ = VMM.self }
}
