import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 exchange over a plain TCP socket, with exactly the headers given.
///
/// URLSession sets `Host` itself and drops some headers, so the attacks on `Host` and `Origin` go out
/// through this instead: what a browser (or a rebinding page) would put on the wire.
struct RawHTTP {
    struct Reply {
        let status: Int
        /// Header names in lowercase; the last value of a repeated header.
        let headers: [String: String]
        let body: Data
        var text: String { String(decoding: self.body, as: UTF8.self) }
        var errorCode: String? { self.headers["x-ms-error-code"] }
    }

    let port: Int

    init(baseURL: String) throws {
        guard let port = URLComponents(string: baseURL)?.port else {
            throw EmulatorProcessError(message: "no port in \(baseURL)")
        }
        self.port = port
    }

    /// Sends `method path` with `headers` (a `Host` for 127.0.0.1 unless given; `nil` sends none) and `body`.
    func send(
        _ method: String,
        _ path: String,
        host: String?? = nil,
        headers: [(String, String)] = [],
        body: Data = Data()
    ) throws -> Reply {
        var head = "\(method) \(path) HTTP/1.1\r\n"
        switch host {
        case .none: head += "Host: 127.0.0.1:\(self.port)\r\n"
        case .some(.some(let value)): head += "Host: \(value)\r\n"
        case .some(.none): break
        }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let received = try self.exchange(Data(head.utf8) + body)
        return try Self.parse(received)
    }

    func send(_ method: String, _ path: String, host: String?? = nil, headers: [(String, String)] = [], text: String) throws -> Reply {
        try self.send(method, path, host: host, headers: headers, body: Data(text.utf8))
    }

    private func exchange(_ request: Data) throws -> Data {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw EmulatorProcessError(message: "socket() failed") }
        defer { close(socket) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(self.port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw EmulatorProcessError(message: "connect() to port \(self.port) failed") }
        try request.withUnsafeBytes { buffer in
            var sent = 0
            while sent < buffer.count {
                let count = Glibc.send(socket, buffer.baseAddress.map { $0 + sent }, buffer.count - sent, Int32(MSG_NOSIGNAL))
                guard count > 0 else { throw EmulatorProcessError(message: "send() failed") }
                sent += count
            }
        }
        var received = Data()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(socket, &chunk, chunk.count, 0)
            guard count > 0 else { break }
            received.append(contentsOf: chunk[0..<count])
        }
        return received
    }

    private static func parse(_ data: Data) throws -> Reply {
        let separator = Data("\r\n\r\n".utf8)
        guard let end = data.range(of: separator) else {
            throw EmulatorProcessError(message: "no HTTP answer (got \(data.count) bytes)")
        }
        let lines = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw EmulatorProcessError(message: "bad status line: \(lines[0])")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(data[end.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            body = Self.dechunked(body)
        }
        return Reply(status: status, headers: headers, body: body)
    }

    private static func dechunked(_ data: Data) -> Data {
        var result = Data()
        var rest = Data(data)
        while let lineEnd = rest.range(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText, radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            guard rest.count >= rest.distance(from: rest.startIndex, to: start) + size else { break }
            result.append(rest[start..<rest.index(start, offsetBy: size)])
            rest = Data(rest[rest.index(start, offsetBy: size)...].dropFirst(2))
        }
        return result
    }
}
