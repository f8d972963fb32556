import Testing
@testable import EROFS
