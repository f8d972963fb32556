import QMP
import Testing

@Suite("JSON values") struct JSONValueTests {
    @Test("a QMP reply parses into ordered members, integers and nested values")
    func parsesReply() throws {
        let text = #"{"return": {"status": "completed", "ram": {"total": 18446744073709551615, "mbps": 268.5}, "x": [true, false, null]}, "id": 7}"#
        let value = try JSONValue(parsing: text)
        #expect(value.object?.keys == ["return", "id"])
        #expect(value["id"]?.int == 7)
        #expect(value["return"]?["status"]?.string == "completed")
        #expect(value["return"]?["ram"]?["total"]?.uint64 == UInt64.max)
        #expect(value["return"]?["ram"]?["total"]?.int64 == nil)
        #expect(value["return"]?["ram"]?["mbps"]?.double == 268.5)
        #expect(value["return"]?["ram"]?["mbps"]?.int == nil)
        #expect(value["return"]?["x"]?[0]?.bool == true)
        #expect(value["return"]?["x"]?[2]?.isNull == true)
        #expect(value["return"]?["x"]?[3] == nil)
        #expect(value["missing"] == nil)
    }

    @Test("serializing what was parsed gives the compact text back, byte for byte")
    func roundTrip() throws {
        let samples = [
            #"{"a":1,"b":[1.5,-0,2e10,-3.25E-7],"c":{"d":null,"e":true,"f":false},"g":""}"#,
            #"[]"#, #"{}"#, #"[[[]]]"#, #""x""#, #"0"#, #"-12"#, #"1.0"#, #"1.00"#,
            #"{"z":1,"a":2,"m":3}"#,
        ]
        for sample in samples {
            let value = try JSONValue(parsing: sample)
            #expect(value.serialized == sample)
            #expect(try JSONValue(parsing: value.serialized) == value)
        }
    }

    @Test("numbers keep integer against fraction, and their exact text")
    func numbers() throws {
        #expect(try JSONValue(parsing: "42").int == 42)
        #expect(try JSONValue(parsing: "4.2e1").int == nil)
        #expect(try JSONValue(parsing: "4.2e1").double == 42)
        #expect(try JSONValue(parsing: "-9223372036854775808").int64 == Int64.min)
        #expect(try JSONValue(parsing: "9223372036854775808").int64 == nil)
        #expect(try JSONValue(parsing: "1e400").double == nil)
        #expect(JSONNumber(0.1)?.text == "0.1")
        #expect(JSONNumber(Double.nan) == nil)
        #expect(JSONNumber(Double.infinity) == nil)
        #expect(JSONNumber(text: "01") == nil)
        #expect(JSONNumber(text: "1.") == nil)
        #expect(JSONNumber(text: "+1") == nil)
        #expect(JSONNumber(text: "-0.5e+3")?.isInteger == false)
        #expect(JSONNumber(UInt64.max).uint64 == UInt64.max)
    }

    @Test("escapes and Unicode: short escapes, \\u, surrogate pairs, raw UTF-8")
    func strings() throws {
        let parsed = try JSONValue(parsing: #""a\"b\\c\/d\b\f\n\r\t\u0001\u00e9\u20AC\ud83d\ude00 é€😀""#)
        #expect(parsed.string == "a\"b\\c/d\u{08}\u{0C}\n\r\t\u{01}é€😀 é€😀")
        // Written back: short escapes where JSON has them, \u00XX for other controls, the
        // rest as UTF-8; and it reads back the same.
        let written = parsed.serialized
        #expect(written == #""a\"b\\c/d\b\f\n\r\t\u0001é€😀 é€😀""#)
        #expect(try JSONValue(parsing: written) == parsed)
        let built: JSONValue = ["uri": "exec:cat > '/tmp/a b'", "list": [1, "two", nil, true], "n": -3]
        #expect(built.serialized == #"{"uri":"exec:cat > '/tmp/a b'","list":[1,"two",null,true],"n":-3}"#)
    }

    @Test("bad input is refused at the byte where it goes wrong",
          arguments: [
              ("", 0, "expected a value"),
              ("{\"a\" 1}", 5, "expected ':'"),
              ("{\"a\":1,}", 7, "expected an object member's name"),
              ("[1 2]", 3, "expected ',' or ']'"),
              ("[1,]", 3, "expected a value"),
              ("tru", 3, "expected 'true'"),
              ("nul", 3, "expected 'null'"),
              ("01", 1, "leading zero"),
              ("-", 1, "expected a digit"),
              ("1.", 2, "expected a digit"),
              ("1e+", 3, "expected a digit"),
              ("\"abc", 4, "ends inside a string"),
              ("\"a\nb\"", 2, "control character U+000A"),
              ("\"\\x\"", 2, "unknown escape"),
              ("\"\\u12G4\"", 5, "hex digit"),
              ("\"\\ud83d\"", 1, "high surrogate"),
              ("\"\\ude00\"", 1, "lone low surrogate"),
              ("\"\\ud83d\\u0041\"", 1, "not a low surrogate"),
              ("{} x", 3, "after the value"),
              ("\"\\", 2, "ends inside a string"),
          ])
    func refusesBadInput(input: String, offset: Int, reason: String) {
        #expect {
            _ = try JSONValue(parsing: input)
        } throws: { error in
            guard let error = error as? JSONError else { return false }
            return error.offset == offset && error.reason.contains(reason)
        }
    }

    @Test("invalid UTF-8 is refused at the first bad byte",
          arguments: [
              ([0x22, 0x61, 0xFF, 0x22], 2),  // a byte that never starts a sequence
              ([0x22, 0xC3, 0x28, 0x22], 2),  // a lead byte without its continuation
              ([0x22, 0xE0, 0x80, 0x80, 0x22], 2),  // an overlong 3-byte form
              ([0x22, 0xED, 0xA0, 0x80, 0x22], 2),  // a UTF-8 encoded surrogate
              ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 2),  // past U+10FFFF
              ([0x22, 0xE2, 0x82], 3),  // cut off by the end of the input
          ] as [([UInt8], Int)])
    func refusesInvalidUTF8(bytes: [UInt8], offset: Int) {
        #expect {
            _ = try JSONValue(parsing: bytes)
        } throws: { error in
            (error as? JSONError)?.offset == offset
        }
    }

    @Test("nesting past the depth limit is refused, up to it accepted")
    func depthLimit() throws {
        let deep = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect(try JSONValue(parsing: deep, depthLimit: 10).serialized == deep)
        #expect {
            _ = try JSONValue(parsing: deep, depthLimit: 9)
        } throws: { error in
            guard let error = error as? JSONError else { return false }
            return error.offset == 9 && error.reason.contains("deeper than 9")
        }
        // A hostile line of a million brackets fails cleanly instead of exhausting the stack.
        let hostile = String(repeating: "[", count: 1_000_000)
        #expect(throws: JSONError.self) { _ = try JSONValue(parsing: hostile) }
    }

    @Test("object members: lookup takes the first of a repeated name; setting keeps order")
    func objectMembers() throws {
        var object = try #require(try JSONValue(parsing: #"{"a":1,"b":2,"a":3}"#).object)
        #expect(object["a"]?.int == 1)
        object["b"] = "two"
        object["c"] = nil
        object["d"] = [:]
        #expect(JSONValue.object(object).serialized == #"{"a":1,"b":"two","a":3,"d":{}}"#)
        object["a"] = nil
        #expect(object.keys == ["b", "d"])
    }
}
