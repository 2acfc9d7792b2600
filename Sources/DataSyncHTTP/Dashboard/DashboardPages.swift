import ARMConventions
import DataSyncEngine
import DataSyncModel
import Foundation

/// The dashboard's pages as server-rendered HTML: the layout, the overview (resource tree and recent
/// requests) and the group page. Regions marked `data-live` are the ones the page script refreshes.
enum DashboardPages {
    /// Where the dashboard lives.
    static let root = "/_emulator/ui"
    /// How many requests the overview lists.
    static let requestLimit = 25

    /// The clock line of the masthead.
    struct Clock {
        var now: Date
        var offset: TimeInterval
    }

    // MARK: Layout

    static func layout(title: String, clock: Clock, body: HTML) -> HTML {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title) · datasync-emulator</title>
        <link rel="stylesheet" href="\(root)/assets/dashboard.css">
        <script src="\(root)/assets/dashboard.js" defer></script>
        </head>
        <body>
        <a class="skip-link" href="#main">Skip to content</a>
        <header class="masthead">
        <div class="masthead-inner">
        <p class="brand"><a href="\(root)">datasync-emulator</a> <span class="version">\(emulatorVersion)</span></p>
        <div id="live-clock" data-live class="clock">\(self.clockLine(clock))</div>
        <nav aria-label="Emulator">
        <ul>
        <li><a href="\(root)">Overview</a></li>
        <li><a href="/_emulator/requests">Requests (JSON)</a></li>
        <li><a href="/_emulator/metrics">Metrics</a></li>
        </ul>
        </nav>
        </div>
        </header>
        <main id="main" tabindex="-1">
        \(body)
        </main>
        <p id="announcer" class="visually-hidden" aria-live="polite"></p>
        </body>
        </html>
        """
    }

    private static func clockLine(_ clock: Clock) -> HTML {
        let offset: HTML =
            clock.offset > 0 ? " <span class=\"offset\">(advanced \(self.duration(clock.offset)))</span>" : ""
        return "<span class=\"label\">Emulator time</span> \(self.time(clock.now, precise: false))\(offset)"
    }

    // MARK: Overview

    static func overview(tree: ResourceTree, requests: [RecordedRequest], clock: Clock) -> HTML {
        let body: HTML = """
            <h1>Overview</h1>
            <p class="lede">Every sync group in the emulator, with its members and agents. This page updates by itself.</p>
            <section aria-labelledby="resources-heading">
            <h2 id="resources-heading">Resources</h2>
            <div id="live-tree" data-live>\(self.tree(tree))</div>
            </section>
            <section aria-labelledby="requests-heading">
            <h2 id="requests-heading">Recent ARM requests</h2>
            <p>The last \(requestLimit) requests, newest first, with passwords and tokens redacted. <a href="/_emulator/requests">All kept requests as JSON</a>.</p>
            <div id="live-requests" data-live>\(self.requests(requests))</div>
            </section>
            """
        return self.layout(title: "Overview", clock: clock, body: body)
    }

    private static func tree(_ tree: ResourceTree) -> HTML {
        guard !tree.isEmpty else {
            return """
                <p class="empty">No sync groups or agents yet. Create one with the ARM API: the README's walkthrough does it with curl.</p>
                """
        }
        var groupNumber = 0
        func node(_ kind: String, _ name: String, _ children: HTML) -> HTML {
            "<li class=\"node\"><p class=\"node-label\"><span class=\"kind\">\(kind)</span> <span class=\"name\">\(name)</span></p>\(children)</li>"
        }
        let subscriptions: [HTML] = tree.subscriptions.map { subscription in
            let resourceGroups: [HTML] = subscription.resourceGroups.map { resourceGroup in
                let servers: [HTML] = resourceGroup.servers.map { server in
                    let agents: [HTML] = server.agents.map { agent in
                        """
                        <li class="agent" data-agent="\(agent.path.name.value)"><span class="kind">Sync agent</span> <span class="name">\(agent.path.name.value)</span> \(self.badge(agent.state))</li>
                        """
                    }
                    let databases: [HTML] = server.databases.map { database in
                        let groups: [HTML] = database.groups.map { entry in
                            groupNumber += 1
                            return self.groupCard(entry, headingID: "group-\(groupNumber)")
                        }
                        return node("Database", database.path.database.value, "<ul class=\"groups\">\(groups)</ul>")
                    }
                    let agentList: HTML = agents.isEmpty ? "" : "<ul class=\"agents\">\(agents)</ul>"
                    return node("Server", server.path.server.value, "\(agentList)<ul>\(databases)</ul>")
                }
                return node("Resource group", resourceGroup.name, "<ul>\(servers)</ul>")
            }
            return node("Subscription", subscription.name, "<ul>\(resourceGroups)</ul>")
        }
        return "<ul class=\"tree\">\(subscriptions)</ul>"
    }

    private static func groupCard(_ entry: ResourceTree.Group, headingID: String) -> HTML {
        let group = entry.group
        let members: [HTML] = entry.members.map { member in
            """
            <li data-member="\(member.path.name.value)"><span class="kind">Member</span> <span class="name">\(member.path.name.value)</span> \
            <span class="where">\(self.memberDatabase(member))</span> \(self.direction(member)) \(self.badge(member.syncState))</li>
            """
        }
        let memberList: HTML = members.isEmpty ? "<p class=\"muted\">No members.</p>" : "<ul class=\"members\">\(members)</ul>"
        return """
            <li class="group" data-group="\(group.path.name.value)">
            <article aria-labelledby="\(headingID)">
            <h3 id="\(headingID)"><span class="kind">Sync group</span> <a href="\(self.groupURL(group.path))">\(group.path.name.value)</a> \(self.badge(group.syncState))</h3>
            \(self.groupFacts(group))
            \(memberList)
            </article>
            </li>
            """
    }

    private static func groupFacts(_ group: SyncGroup) -> HTML {
        """
        <dl class="facts">
        <div><dt>Last sync</dt><dd data-field="lastSyncTime">\(self.time(group.lastSyncTime, precise: false))</dd></div>
        <div><dt>Interval</dt><dd data-field="interval">\(self.interval(group.settings.interval))</dd></div>
        <div><dt>Conflict policy</dt><dd data-field="conflictResolutionPolicy">\((group.settings.conflictResolutionPolicy ?? .hubWin).rawValue)</dd></div>
        </dl>
        """
    }

    private static func requests(_ requests: [RecordedRequest]) -> HTML {
        guard !requests.isEmpty else { return "<p class=\"empty\">No ARM requests yet.</p>" }
        let rows: [HTML] = requests.map { request in
            let errorCode: HTML = request.errorCode.map { "<code>\($0)</code>" } ?? "<span class=\"muted\">none</span>"
            return """
                <tr>
                <td>\(self.time(request.time, precise: true))</td>
                <td><span class="operation">\(request.operation)</span>
                <span class="sub"><span class="method">\(request.method)</span> <code class="path">\(request.path)</code></span>
                <span class="sub">x-ms-request-id <code class="id">\(request.requestID ?? "none")</code></span></td>
                <td class="nowrap">\(request.apiVersion ?? "none")</td>
                <td>\(self.statusBadge(request.status))</td>
                <td class="number">\(String(format: "%.1f", request.milliseconds)) ms</td>
                <td>\(errorCode)</td>
                </tr>
                """
        }
        return """
            <div class="table-scroll" role="region" aria-labelledby="requests-heading" tabindex="0">
            <table class="requests">
            <thead><tr><th scope="col">Time (UTC)</th><th scope="col">Operation, path and request id</th><th scope="col">api-version</th><th scope="col">Status</th><th scope="col">Duration</th><th scope="col">Error code</th></tr></thead>
            <tbody>\(rows)</tbody>
            </table>
            </div>
            """
    }

    // MARK: Group page

    static func group(_ detail: GroupDetail, pagePath: String, notice: String?, clock: Clock) -> HTML {
        let path = detail.group.path
        let base = self.groupURL(path)
        let filterOptions: [HTML] = SyncLogType.allCases.map { type in
            let selected: HTML = type == detail.logFilter ? " selected" : ""
            return "<option value=\"\(type.rawValue)\"\(selected)>\(type == .all ? "All types" : type.rawValue)</option>"
        }
        let advanceBy = max(detail.group.settings.interval ?? 60, 60)
        let body: HTML = """
            <nav aria-label="Breadcrumb" class="crumbs">
            <ol>
            <li><a href="\(root)">Overview</a></li>
            <li><span class="kind">Subscription</span> \(path.database.server.subscriptionID.value)</li>
            <li><span class="kind">Resource group</span> \(path.database.server.resourceGroup.value)</li>
            <li><span class="kind">Server</span> \(path.database.server.server.value)</li>
            <li><span class="kind">Database</span> \(path.database.database.value)</li>
            <li aria-current="page"><span class="kind">Sync group</span> \(path.name.value)</li>
            </ol>
            </nav>
            <h1><span class="kind">Sync group</span> \(path.name.value)</h1>
            <div id="live-summary" data-live>\(self.summary(detail))</div>
            <section aria-labelledby="actions-heading" class="actions">
            <h2 id="actions-heading">Actions</h2>
            <p>Each action calls the same handler as the ARM API.</p>
            <div class="action-row">
            <form method="post" action="\(base)/trigger-sync" data-action><button type="submit">Trigger sync</button></form>
            <form method="post" action="\(base)/cancel-sync" data-action><button type="submit" class="secondary">Cancel sync</button></form>
            <form method="post" action="\(base)/refresh-schema" data-action><button type="submit" class="secondary">Refresh hub schema</button></form>
            </div>
            <form method="post" action="\(root)/clock/advance" data-action class="clock-form">
            <input type="hidden" name="returnTo" value="\(pagePath)">
            <label for="advance-seconds">Advance the virtual clock by (seconds)</label>
            <input id="advance-seconds" name="seconds" type="number" min="0" step="1" value="\(advanceBy)" required>
            <button type="submit" class="secondary">Advance clock</button>
            </form>
            <p id="action-status" role="status" class="status">\(notice ?? "")</p>
            </section>
            <section aria-labelledby="data-heading">
            <h2 id="data-heading">Data in the hub and the members</h2>
            <p>Row count and content checksum of every synced table, read from the databases themselves.</p>
            <div id="live-data" data-live>\(self.comparison(detail))</div>
            </section>
            <section aria-labelledby="members-heading">
            <h2 id="members-heading">Members</h2>
            <div id="live-members" data-live>\(self.members(detail))</div>
            </section>
            <section aria-labelledby="schema-heading">
            <h2 id="schema-heading">Schema</h2>
            <div id="live-schema" data-live>\(self.schema(detail))</div>
            </section>
            <section aria-labelledby="conflicts-heading">
            <h2 id="conflicts-heading">Conflicts</h2>
            <div id="live-conflicts" data-live>\(self.conflicts(detail))</div>
            </section>
            <section aria-labelledby="log-heading">
            <h2 id="log-heading">Log</h2>
            <form method="get" class="filter">
            <label for="log-type">Entry type</label>
            <select id="log-type" name="logType">\(filterOptions)</select>
            <button type="submit" class="secondary">Filter</button>
            </form>
            <div id="live-logs" data-live>\(self.logs(detail))</div>
            </section>
            """
        return self.layout(title: "Sync group \(path.name.value)", clock: clock, body: body)
    }

    private static func summary(_ detail: GroupDetail) -> HTML {
        let group = detail.group
        let marker: HTML
        switch detail.converged {
        case true?:
            marker = """
                <p id="convergence" class="marker marker-converged" data-convergence="converged"><span aria-hidden="true">✓</span> Converged: the hub and every member hold the same rows</p>
                """
        case false?:
            let differing = detail.comparisons.filter { $0.converged == false }.count
            marker = """
                <p id="convergence" class="marker marker-differs" data-convergence="differs"><span aria-hidden="true">≠</span> Differs: \(differing) of \(detail.comparisons.count) \(detail.comparisons.count == 1 ? "table differs" : "tables differ")</p>
                """
        case nil:
            marker = """
                <p id="convergence" class="marker marker-unknown" data-convergence="unknown"><span aria-hidden="true">–</span> Not compared: no synced table with a provisioned member yet</p>
                """
        }
        return """
            \(marker)
            <dl class="facts facts-wide">
            <div><dt>State</dt><dd data-field="syncState">\(self.badge(group.syncState))</dd></div>
            <div><dt>Last sync</dt><dd data-field="lastSyncTime">\(self.time(group.lastSyncTime, precise: false))</dd></div>
            <div><dt>Interval</dt><dd data-field="interval">\(self.interval(group.settings.interval))</dd></div>
            <div><dt>Conflict policy</dt><dd data-field="conflictResolutionPolicy">\((group.settings.conflictResolutionPolicy ?? .hubWin).rawValue)</dd></div>
            <div><dt>Conflict logging</dt><dd>\(group.settings.enableConflictLogging == true ? "On, kept \(group.settings.conflictLoggingRetentionInDays ?? 30) days" : "Off")</dd></div>
            <div><dt>Hub database</dt><dd>\(group.path.database.server.server.value)/\(group.path.database.database.value)</dd></div>
            </dl>
            """
    }

    private static func comparison(_ detail: GroupDetail) -> HTML {
        guard !detail.comparisons.isEmpty else {
            return "<p class=\"empty\">No table can be compared yet: the group needs a schema whose tables are in the hub schema.</p>"
        }
        let memberHeaders: [HTML] = detail.members.map { member in
            "<th scope=\"col\">Member \(member.path.name.value)<span class=\"sub\">\(self.memberDatabase(member))</span></th>"
        }
        let rows: [HTML] = detail.comparisons.map { comparison in
            let memberCells: [HTML] = zip(detail.members, comparison.members).map { member, content in
                self.contentCell(content, database: member.path.name.value, differs: content != .notProvisioned && content != comparison.hub)
            }
            return """
                <tr data-table="\(comparison.table)">
                <th scope="row">\(comparison.table)</th>
                \(self.contentCell(comparison.hub, database: "hub", differs: false))
                \(memberCells)
                <td>\(self.tableMarker(comparison.converged))</td>
                </tr>
                """
        }
        let hub = detail.group.path.database
        return """
            <div class="table-scroll" role="region" aria-labelledby="data-heading" tabindex="0">
            <table class="comparison">
            <thead><tr><th scope="col">Table</th><th scope="col">Hub<span class="sub">\(hub.server.server.value)/\(hub.database.value)</span></th>\(memberHeaders)<th scope="col">Status</th></tr></thead>
            <tbody>\(rows)</tbody>
            </table>
            </div>
            """
    }

    private static func contentCell(_ content: GroupDetail.Content, database: String, differs: Bool) -> HTML {
        let differsClass: HTML = differs ? " class=\"cell-differs\"" : ""
        switch content {
        case .rows(let count, let checksum):
            return """
                <td data-database="\(database)" data-rows="\(count)" data-checksum="\(checksum)"\(differsClass)><span class="rows">\(count) \(count == 1 ? "row" : "rows")</span><code class="checksum" title="content checksum">\(checksum)</code></td>
                """
        case .missing:
            return "<td data-database=\"\(database)\"\(differsClass)><span class=\"rows\">table missing</span></td>"
        case .notProvisioned:
            return "<td data-database=\"\(database)\"><span class=\"muted\">not provisioned</span></td>"
        case .unreadable(let reason):
            return "<td data-database=\"\(database)\"\(differsClass)><span class=\"rows\">unreadable</span><span class=\"sub\">\(reason)</span></td>"
        }
    }

    private static func tableMarker(_ converged: Bool?) -> HTML {
        switch converged {
        case true?: "<span class=\"marker marker-converged\" data-convergence=\"converged\"><span aria-hidden=\"true\">✓</span> Converged</span>"
        case false?: "<span class=\"marker marker-differs\" data-convergence=\"differs\"><span aria-hidden=\"true\">≠</span> Differs</span>"
        case nil: "<span class=\"marker marker-unknown\" data-convergence=\"unknown\"><span aria-hidden=\"true\">–</span> Not compared</span>"
        }
    }

    private static func members(_ detail: GroupDetail) -> HTML {
        guard !detail.members.isEmpty else { return "<p class=\"empty\">No members yet.</p>" }
        let rows: [HTML] = detail.members.map { member in
            """
            <tr data-member="\(member.path.name.value)">
            <th scope="row">\(member.path.name.value)</th>
            <td>\(self.memberDatabase(member))</td>
            <td>\(self.direction(member))</td>
            <td data-field="syncState">\(self.badge(member.syncState))</td>
            </tr>
            """
        }
        return """
            <table class="members-table">
            <thead><tr><th scope="col">Member</th><th scope="col">Database</th><th scope="col">Direction</th><th scope="col">State</th></tr></thead>
            <tbody>\(rows)</tbody>
            </table>
            """
    }

    private static func schema(_ detail: GroupDetail) -> HTML {
        guard let schema = detail.group.settings.schema, !detail.tables.isEmpty else {
            return "<p class=\"empty\">No schema yet: refresh the hub schema, then update the group with the tables to sync.</p>"
        }
        let tables: [HTML] = detail.tables.map { table in
            let columns: [HTML] = table.columns.map { column in
                let key: HTML = column.isPrimaryKey ? " <span class=\"pk\">primary key</span>" : ""
                let type: HTML = column.dataType.isEmpty ? "" : " <span class=\"type\">\(column.dataType)</span>"
                return "<li><code>\(column.name)</code>\(type)\(key)</li>"
            }
            let problem: HTML = table.problem.map { "<p class=\"problem\">\(self.badgeHTML("Problem", tone: .warning)) \($0)</p>" } ?? ""
            return """
                <li class="schema-table">
                <h3><code>\(table.quotedName)</code></h3>
                \(problem)
                <ul class="columns">\(columns)</ul>
                </li>
                """
        }
        let master: HTML = schema.masterSyncMemberName.map { "<p>Schema taken from member <strong>\($0)</strong>.</p>" } ?? ""
        return "\(master)<ul class=\"schema\">\(tables)</ul>"
    }

    private static func conflicts(_ detail: GroupDetail) -> HTML {
        guard let conflicts = detail.conflicts else {
            return "<p class=\"empty\">Conflict logging is off for this group (<code>enableConflictLogging</code>).</p>"
        }
        guard !conflicts.isEmpty else { return "<p class=\"empty\">No conflicts logged.</p>" }
        let items: [HTML] = conflicts.map { entry in
            "<li>\(self.time(entry.timestamp, precise: false)) <span class=\"where\">\(entry.source)</span><br>\(entry.details)</li>"
        }
        return "<ol class=\"conflicts\" reversed>\(items)</ol>"
    }

    private static func logs(_ detail: GroupDetail) -> HTML {
        guard !detail.logs.isEmpty else {
            return "<p class=\"empty\">No log entries\(detail.logFilter == .all ? "" : " of type \(detail.logFilter.rawValue)").</p>"
        }
        let rows: [HTML] = detail.logs.map { entry in
            """
            <tr>
            <td class="nowrap">\(self.time(entry.timestamp, precise: false))</td>
            <td>\(self.badge(entry.type))</td>
            <td>\(entry.operationStatus)</td>
            <td><span class="where">\(entry.source)</span>\(entry.details)</td>
            </tr>
            """
        }
        return """
            <div class="table-scroll" role="region" aria-labelledby="log-heading" tabindex="0">
            <table class="logs">
            <caption>The newest \(GroupDetail.logLimit) entries, newest first</caption>
            <thead><tr><th scope="col">Time (UTC)</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Source and details</th></tr></thead>
            <tbody>\(rows)</tbody>
            </table>
            </div>
            """
    }

    /// A page for a group that does not exist.
    static func notFound(_ message: String, clock: Clock) -> HTML {
        self.layout(
            title: "Not found",
            clock: clock,
            body: "<h1>Not found</h1><p>\(message)</p><p><a href=\"\(root)\">Back to the overview</a></p>"
        )
    }

    // MARK: Pieces

    /// The dashboard URL of a group's page.
    static func groupURL(_ path: SyncGroupPath) -> String {
        let server = path.database.server
        let names = [server.subscriptionID, server.resourceGroup, server.server, path.database.database, path.name]
        return "\(root)/groups/" + names.map { self.segment($0.value) }.joined(separator: "/")
    }

    private static func segment(_ name: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
    }

    /// How a state looks: colour family and a glyph that carries the meaning without colour.
    enum Tone: String {
        case good, progress, warning, error, neutral

        var glyph: String {
            switch self {
            case .good: "✓"
            case .progress: "↻"
            case .warning: "!"
            case .error: "✕"
            case .neutral: "○"
            }
        }
    }

    static func tone(_ state: SyncGroupState) -> Tone {
        switch state {
        case .good: .good
        case .progressing: .progress
        case .warning: .warning
        case .error: .error
        case .notReady: .neutral
        }
    }

    static func tone(_ state: SyncMemberState) -> Tone {
        switch state {
        case .syncSucceeded, .provisioned: .good
        case .syncInProgress, .syncCancelling, .provisioning, .deProvisioning, .reprovisioning: .progress
        case .syncSucceededWithWarnings, .syncCancelled: .warning
        case .syncFailed, .provisionFailed, .deProvisionFailed, .reprovisionFailed, .disabledTombstoneCleanup, .disabledBackupRestore: .error
        case .unProvisioned, .deProvisioned, .unReprovisioned: .neutral
        }
    }

    static func tone(_ state: SyncAgentState) -> Tone {
        switch state {
        case .online: .good
        case .offline: .warning
        case .neverConnected: .neutral
        }
    }

    static func tone(_ type: SyncLogType) -> Tone {
        switch type {
        case .success: .good
        case .warning: .warning
        case .error: .error
        case .all: .neutral
        }
    }

    private static func badge(_ state: SyncGroupState) -> HTML { self.badgeHTML(state.rawValue, tone: self.tone(state)) }
    private static func badge(_ state: SyncMemberState) -> HTML { self.badgeHTML(state.rawValue, tone: self.tone(state)) }
    private static func badge(_ state: SyncAgentState) -> HTML { self.badgeHTML(state.rawValue, tone: self.tone(state)) }
    private static func badge(_ type: SyncLogType) -> HTML { self.badgeHTML(type.rawValue, tone: self.tone(type)) }

    private static func statusBadge(_ status: Int) -> HTML {
        let tone: Tone =
            switch status {
            case 200..<300: .good
            case 300..<500: .warning
            default: .error
            }
        return self.badgeHTML(String(status), tone: tone)
    }

    private static func badgeHTML(_ label: String, tone: Tone) -> HTML {
        "<span class=\"badge badge-\(tone.rawValue)\" data-state=\"\(label)\"><span aria-hidden=\"true\">\(tone.glyph)</span> \(label)</span>"
    }

    private static func direction(_ member: SyncMember) -> HTML {
        let direction = member.settings.syncDirection ?? .bidirectional
        let (glyph, label): (String, String) =
            switch direction {
            case .bidirectional: ("⇄", "Bidirectional")
            case .oneWayMemberToHub: ("→", "Member to hub")
            case .oneWayHubToMember: ("←", "Hub to member")
            }
        return "<span class=\"direction\" data-direction=\"\(direction.rawValue)\"><span aria-hidden=\"true\">\(glyph)</span> \(label)</span>"
    }

    private static func memberDatabase(_ member: SyncMember) -> String {
        let server = member.settings.serverName.map(DatabaseKey.shortServerName) ?? "?"
        return "\(server)/\(member.settings.databaseName ?? "?")"
    }

    private static func interval(_ seconds: Int?) -> String {
        guard let seconds, seconds > 0 else { return "Manual (no interval)" }
        return "Every \(self.duration(TimeInterval(seconds)))"
    }

    private static func duration(_ seconds: TimeInterval) -> String {
        let whole = Int(seconds.rounded())
        if whole < 120 { return "\(whole) s" }
        if whole < 7200 { return "\(whole / 60) min" + (whole % 60 == 0 ? "" : " \(whole % 60) s") }
        if whole < 172_800 { return "\(whole / 3600) h" + (whole % 3600 == 0 ? "" : " \((whole % 3600) / 60) min") }
        return "\(whole / 86_400) days"
    }

    /// A `<time>` element: date and time to the second, or for `precise` the time of day to the millisecond.
    private static func time(_ date: Date, precise: Bool) -> HTML {
        guard date > neverSyncedTime else { return "<span class=\"muted\">never</span>" }
        let wire = WireDate.format(date)
        let parts = wire.dropLast().split(separator: "T", maxSplits: 1)
        let day = parts.first.map(String.init) ?? wire
        let clock = parts.count > 1 ? String(parts[1]) : ""
        let seconds = String(clock.prefix(8))
        let shown: String
        if precise {
            let fraction = clock.count > 9 ? String(clock.dropFirst(9)) : ""
            shown = seconds + "." + fraction.padding(toLength: 3, withPad: "0", startingAt: 0)
        } else {
            shown = "\(day) \(seconds)"
        }
        return "<time datetime=\"\(wire)\">\(shown)</time>"
    }
}
