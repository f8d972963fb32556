import QMP
import Testing

@Suite("QMP module") struct QMPModuleTests {
    @Test("the module links") func links() { _ = QMP.self }
}
