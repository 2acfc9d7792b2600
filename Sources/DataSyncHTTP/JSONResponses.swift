import ARMConventions
import HTTPTypes
import Hummingbird

/// A JSON response with `value` as its body.
func jsonResponse(_ status: HTTPResponse.Status, _ value: JSONValue, headers: HTTPFields = [:]) -> Response {
    jsonResponse(status, serialized: value.serializedBuffer(), headers: headers)
}

/// A JSON response whose body is already serialized.
func jsonResponse(_ status: HTTPResponse.Status, serialized body: ByteBuffer, headers: HTTPFields = [:]) -> Response {
    var headers = headers
    headers[.contentType] = "application/json; charset=utf-8"
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
}

/// A response with no body and `Content-Length: 0`, as the live service sends after a refresh.
func emptyResponse(_ status: HTTPResponse.Status) -> Response {
    Response(status: status, headers: [.contentLength: "0"], body: ResponseBody())
}
