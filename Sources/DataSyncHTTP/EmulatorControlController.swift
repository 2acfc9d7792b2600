import ARMConventions
import DataSyncHandlers
import DataSyncStore
import Foundation
import Hummingbird

/// The emulator's own API under `/_emulator`, outside the ARM namespace and its api-version rules.
struct EmulatorControlController: Sendable {
    let store: StateStore

    func addRoutes(to router: Router<EmulatorRequestContext>) {
        let group = router.group("_emulator")
        group.get("health") { _, _ in
            jsonResponse(.ok, .object(["status": .string("ok"), "version": .string(emulatorVersion)]))
        }
        group.post("reset") { _, _ in
            try await self.store.reset()
            return jsonResponse(.ok, .object(["status": .string("reset")]))
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
