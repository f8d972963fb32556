import Crypto
import Manifests

func hex(_ bytes: [UInt8]) -> String { Hex.encode(bytes) }
func unhex(_ text: String) -> [UInt8]? { Hex.decode(text) }
