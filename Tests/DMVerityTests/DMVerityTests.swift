import Testing
@testable import DMVerity
