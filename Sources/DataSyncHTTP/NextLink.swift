import Foundation
import HTTPTypes
import HummingbirdCore

/// The `nextLink` of a list page: the same URL with `$skipToken`.
func nextLink(_ call: ARMCall, _ token: String?) -> String? {
    token.map { nextURL(call, replacing: "$skipToken", with: $0) }
}

/// The request's absolute URL with the query parameter `name` set to `value`.
func nextURL(_ call: ARMCall, replacing name: String, with value: String) -> String {
    let host = call.request.head.authority ?? "127.0.0.1"
    var items = (call.request.uri.query ?? "").split(separator: "&").filter { item in
        let key = item.split(separator: "=", maxSplits: 1).first.map { String($0).removingPercentEncoding ?? String($0) }
        return key?.lowercased() != name.lowercased()
    }.map(String.init)
    let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
    items.append("\(name)=\(encoded)")
    return "\(call.scheme)://\(host)\(call.request.uri.path)?\(items.joined(separator: "&"))"
}
