import ARMConventions
import DataSyncEngine
import DataSyncHandlers
import DataSyncStore
import EmulatorTLS
import Foundation
import Hummingbird

/// The emulator's own API under `/_emulator`, outside the ARM namespace and its api-version rules.
struct EmulatorControlController: Sendable {
    let store: StateStore
    let databases: EmulatedDatabases
    /// The CA that issued the serving certificate, under `--https`.
    let authority: LocalCertificateAuthority?

    func addRoutes(to router: Router<EmulatorRequestContext>) {
        let group = router.group("_emulator")
        group.get("health") { _, _ in
            jsonResponse(.ok, .object(["status": .string("ok"), "version": .string(emulatorVersion)]))
        }
        group.post("reset") { _, _ in
            try await self.store.reset()
            self.databases.reset()
            return jsonResponse(.ok, .object(["status": .string("reset")]))
        }
        group.get("ca.pem") { _, _ in
            guard let authority = self.authority else {
                throw ARMError(
                    status: .notFound,
                    code: "NotFound",
                    message: "The emulator serves no certificate authority: start it with --https."
                )
            }
            return Response(
                status: .ok,
                headers: [.contentType: "application/x-pem-file"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: authority.certificatePEM))
            )
        }
        group.get("api-versions") { _, _ in
            var object = JSONObject()
            for (type, versions) in ServedAPIVersions.byResourceType {
                object.set(type, .array(versions.sorted().map { .string($0.rawValue) }))
            }
            return jsonResponse(.ok, .object(object))
        }
    }
}
