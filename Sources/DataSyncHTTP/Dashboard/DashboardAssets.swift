/// The dashboard's stylesheet and script, compiled in so the emulator serves them itself and the dashboard
/// works with no network and no files beside the binary.
enum DashboardAssets {
    /// Large type and strong contrast for a projector; every state colour pairs with a glyph and a label.
    static let stylesheet = """
        :root {
          --ink: #15181d; --muted: #4a5260; --paper: #ffffff; --wash: #f3f5f8; --line: #c9d0da;
          --accent: #0b57d0; --accent-ink: #ffffff; --focus: #f2a900;
          --good-bg: #e3f3e6; --good-ink: #0b5a1f; --progress-bg: #e4eefc; --progress-ink: #0a3b8c;
          --warning-bg: #fff1d6; --warning-ink: #6b3c00; --error-bg: #fde7e6; --error-ink: #9b0f0f;
          --neutral-bg: #eceff3; --neutral-ink: #343b46;
          font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
          font-size: 112.5%; line-height: 1.5; color: var(--ink); background: var(--paper);
        }
        * { box-sizing: border-box; }
        body { margin: 0; }
        code, .checksum, .path, .id { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.88em; }
        a { color: var(--accent); text-underline-offset: 0.15em; }
        a:hover { text-decoration-thickness: 2px; }
        :focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 2px; }
        .skip-link { position: absolute; left: 1rem; top: -4rem; padding: 0.5rem 1rem; background: var(--paper); color: var(--accent); z-index: 10; }
        .skip-link:focus { top: 0.5rem; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        .masthead { background: #172033; color: #ffffff; }
        .masthead-inner { max-width: 84rem; margin: 0 auto; padding: 0.6rem 1.5rem; display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 2rem; }
        .masthead a { color: #ffffff; }
        .brand { margin: 0; font-weight: 700; font-size: 1.15rem; }
        .brand a { text-decoration: none; }
        .version { font-weight: 400; color: #c6cfdd; font-size: 0.85em; }
        .clock { flex: 1; color: #e7ecf4; }
        .clock .label { color: #c6cfdd; margin-right: 0.4em; }
        .clock .offset { color: #ffd98a; }
        .masthead nav ul { list-style: none; margin: 0; padding: 0; display: flex; gap: 1.25rem; }
        main { max-width: 84rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
        main:focus { outline: none; }
        h1 { font-size: 1.9rem; margin: 0.6rem 0 0.4rem; line-height: 1.2; }
        h2 { font-size: 1.35rem; margin: 2rem 0 0.6rem; padding-bottom: 0.25rem; border-bottom: 2px solid var(--line); }
        h3 { font-size: 1.1rem; margin: 0 0 0.4rem; }
        .lede { color: var(--muted); margin-top: 0; }
        .kind { display: inline-block; font-size: 0.72rem; font-weight: 700; letter-spacing: 0.05em; text-transform: uppercase; color: var(--muted); margin-right: 0.35em; }
        h1 .kind { font-size: 0.9rem; vertical-align: middle; }
        .muted, .empty { color: var(--muted); }
        .sub { display: block; font-weight: 400; font-size: 0.82rem; color: var(--muted); }
        .badge { display: inline-block; padding: 0.05em 0.6em; border-radius: 999px; font-weight: 600; font-size: 0.9rem; border: 1px solid currentColor; white-space: nowrap; vertical-align: 0.08em; }
        .badge-good { background: var(--good-bg); color: var(--good-ink); }
        .badge-progress { background: var(--progress-bg); color: var(--progress-ink); }
        .badge-warning { background: var(--warning-bg); color: var(--warning-ink); }
        .badge-error { background: var(--error-bg); color: var(--error-ink); }
        .badge-neutral { background: var(--neutral-bg); color: var(--neutral-ink); }
        .tree, .tree ul { list-style: none; margin: 0; padding: 0; }
        .tree ul { margin-left: 0.7rem; padding-left: 1rem; border-left: 2px solid var(--line); }
        .node-label { margin: 0.35rem 0 0.2rem; }
        .node-label .name { font-weight: 600; }
        .agents li { margin: 0.2rem 0; }
        .groups > li { margin: 0.5rem 0 1rem; }
        .group article { border: 1px solid var(--line); border-left: 6px solid var(--accent); border-radius: 6px; padding: 0.8rem 1rem; background: var(--paper); box-shadow: 0 1px 2px rgba(0, 0, 0, 0.06); }
        .facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: 0.4rem 1.5rem; margin: 0.3rem 0 0.5rem; }
        .facts dt { font-size: 0.8rem; font-weight: 700; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
        .facts dd { margin: 0; }
        .facts-wide { background: var(--wash); border-radius: 6px; padding: 0.8rem 1rem; }
        .members { list-style: none; margin: 0.4rem 0 0; padding: 0; border-top: 1px solid var(--line); }
        .members li { padding: 0.35rem 0; border-bottom: 1px solid var(--wash); display: flex; flex-wrap: wrap; gap: 0.2rem 0.9rem; align-items: baseline; }
        .members .name { font-weight: 600; }
        .where { color: var(--muted); font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.85em; }
        .direction { white-space: nowrap; }
        .table-scroll { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; margin: 0.4rem 0 1rem; }
        caption { text-align: left; color: var(--muted); padding: 0.2rem 0 0.4rem; }
        th, td { text-align: left; vertical-align: top; padding: 0.45rem 0.7rem; border-bottom: 1px solid var(--line); }
        thead th { background: var(--wash); font-size: 0.9rem; border-bottom: 2px solid var(--line); }
        tbody tr:nth-child(even) { background: #fafbfc; }
        td.number { text-align: right; white-space: nowrap; }
        .nowrap { white-space: nowrap; }
        .requests .operation { font-weight: 600; }
        .requests .method { display: inline-block; min-width: 3.6em; font-size: 0.8rem; font-weight: 700; }
        .requests .path { word-break: break-all; }
        .comparison td .rows { display: block; font-weight: 600; font-size: 1.05rem; }
        .comparison td .checksum { color: var(--muted); }
        .comparison th[scope=row] { font-size: 1.05rem; }
        td.cell-differs { background: var(--warning-bg); box-shadow: inset 4px 0 0 var(--warning-ink); }
        .marker { display: inline-block; font-weight: 700; border-radius: 6px; padding: 0.2rem 0.7rem; border: 2px solid currentColor; }
        p.marker { display: block; font-size: 1.2rem; padding: 0.55rem 1rem; margin: 0.6rem 0 1rem; }
        .marker-converged { background: var(--good-bg); color: var(--good-ink); }
        .marker-differs { background: var(--warning-bg); color: var(--warning-ink); }
        .marker-unknown { background: var(--neutral-bg); color: var(--neutral-ink); }
        .actions { background: var(--wash); border-radius: 6px; padding: 0.2rem 1rem 0.6rem; margin-top: 1.5rem; }
        .actions h2 { border-bottom: none; margin-top: 0.6rem; }
        .action-row, .clock-form, .filter { display: flex; flex-wrap: wrap; gap: 0.6rem 0.8rem; align-items: center; margin: 0.6rem 0; }
        button { font: inherit; font-weight: 600; min-height: 2.75rem; padding: 0.4rem 1.1rem; border-radius: 6px; border: 2px solid var(--accent); background: var(--accent); color: var(--accent-ink); cursor: pointer; }
        button.secondary { background: var(--paper); color: var(--accent); }
        button:hover { filter: brightness(0.93); }
        button[disabled] { cursor: progress; opacity: 0.65; }
        input, select { font: inherit; min-height: 2.75rem; padding: 0.3rem 0.5rem; border: 2px solid var(--muted); border-radius: 6px; background: var(--paper); color: var(--ink); }
        input[type=number] { width: 8rem; }
        label { font-weight: 600; }
        .status { min-height: 1.5em; margin: 0.4rem 0; font-weight: 600; }
        .status.failed { color: var(--error-ink); }
        .crumbs ol { list-style: none; display: flex; flex-wrap: wrap; gap: 0.2rem 0.4rem; margin: 0.6rem 0 0; padding: 0; font-size: 0.92rem; }
        .crumbs li + li::before { content: "›"; margin-right: 0.4rem; color: var(--muted); }
        .schema, .columns, .conflicts { margin: 0; padding: 0; list-style: none; }
        .schema-table { margin: 0.6rem 0 1rem; }
        .columns { display: flex; flex-wrap: wrap; gap: 0.4rem 0.6rem; }
        .columns li { border: 1px solid var(--line); border-radius: 6px; padding: 0.15rem 0.6rem; }
        .type { color: var(--muted); font-size: 0.85em; }
        .pk { font-size: 0.75rem; font-weight: 700; text-transform: uppercase; color: var(--progress-ink); }
        .problem { color: var(--warning-ink); }
        .conflicts li { border-left: 4px solid var(--warning-ink); padding: 0.3rem 0.8rem; margin: 0.4rem 0; background: var(--wash); }
        .logs .where { display: block; }
        @media (prefers-reduced-motion: no-preference) { button { transition: filter 0.15s; } }
        @media (max-width: 48rem) { :root { font-size: 100%; } main, .masthead-inner { padding-left: 0.8rem; padding-right: 0.8rem; } }
        """

    /// Light polling: every two seconds, refetch the page and swap the `data-live` regions that changed,
    /// keeping keyboard focus; and send the action forms with `fetch` so the page never reloads.
    static let script = """
        "use strict";
        (() => {
          const announcer = document.getElementById("announcer");
          const status = document.getElementById("action-status");
          const convergence = () => document.getElementById("convergence")?.dataset.convergence;

          async function refresh() {
            const response = await fetch(location.href, { headers: { Accept: "text/html" }, cache: "no-store" });
            if (!response.ok) return;
            const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
            const before = convergence();
            for (const region of fresh.querySelectorAll("[data-live]")) {
              const current = document.getElementById(region.id);
              if (!current || current.innerHTML === region.innerHTML) continue;
              const focused = current.contains(document.activeElement) ? document.activeElement : null;
              const key = focused && (focused.id ? "#" + CSS.escape(focused.id) : focused.getAttribute("href") && `[href="${CSS.escape(focused.getAttribute("href"))}"]`);
              current.innerHTML = region.innerHTML;
              if (key) current.querySelector(key)?.focus();
            }
            const after = convergence();
            if (after && before && after !== before) announcer.textContent = after === "converged" ? "The data has converged." : "The data differs.";
          }

          let busy = false;
          async function tick() {
            if (busy || document.hidden) return;
            busy = true;
            try { await refresh(); } catch (error) { /* the emulator may be restarting; try again next tick */ } finally { busy = false; }
          }
          setInterval(tick, 2000);

          for (const form of document.querySelectorAll("form[data-action]")) {
            form.addEventListener("submit", async (event) => {
              event.preventDefault();
              const button = form.querySelector("button");
              button.disabled = true;
              status.classList.remove("failed");
              status.textContent = button.textContent.trim() + "…";
              try {
                const response = await fetch(form.action, {
                  method: "POST",
                  headers: { Accept: "application/json", "Content-Type": "application/json" },
                  body: JSON.stringify(Object.fromEntries(new FormData(form))),
                });
                const body = await response.json();
                status.textContent = response.ok ? body.message : "Failed: " + (body.error?.message ?? response.status);
                status.classList.toggle("failed", !response.ok);
                await refresh();
              } catch (error) {
                status.textContent = "Failed: " + error.message;
                status.classList.add("failed");
              } finally {
                button.disabled = false;
              }
            });
          }
        })();
        """
}
