import Testing
@testable import Bundle
