// History: the follows your account made, newest first, filtered by status, a page at a time.
import { api } from "../api.js";
import { formatDateTime, STATUS_NAMES } from "../format.js";
import { $, el, page, runAction, startPage } from "../layout.js";

const REASONS = {
  not_found: "The artist no longer exists on Spotify",
  forbidden: "Spotify refused this follow",
};
const PAGE_SIZE = 25;
let cursor = null;

function row(item) {
  const badge = { done: "ok", pending: "warn", skipped: "bad", failed: "bad" }[item.status] || "";
  return el(
    "tr",
    {},
    el("td", { "data-label": "When" }, formatDateTime(item.at)),
    el(
      "td",
      { "data-label": "Artist" },
      el("a", { href: `https://open.spotify.com/artist/${encodeURIComponent(item.artist_id)}`, rel: "noopener" }, item.artist_id),
    ),
    el("td", { "data-label": "Status" }, el("span", { class: `badge ${badge}` }, STATUS_NAMES[item.status] || item.status)),
    el("td", { "data-label": "Note" }, item.reason ? REASONS[item.reason] || item.reason.replaceAll("_", " ") : ""),
  );
}

async function loadPage({ reset }) {
  if (reset) cursor = null;
  const status = $("#status").value;
  const result = await api.get("/api/v1/follows/history", {
    query: { status: status || null, cursor, limit: PAGE_SIZE },
  });
  const rows = $("#history-rows");
  if (reset) rows.replaceChildren();
  rows.append(...result.items.map(row));
  cursor = result.next_cursor;
  $("#more").hidden = !cursor;
  $("#history-empty").hidden = rows.children.length > 0 || Boolean(cursor);
}

page(async () => {
  const { me } = await startPage({ page: "history" });
  $("#export-csv").hidden = me.tier !== "premium";
  await loadPage({ reset: true });
  $("#status").addEventListener("change", () => runAction($("#status"), () => loadPage({ reset: true })));
  $("#filter-form").addEventListener("submit", (event) => event.preventDefault());
  $("#more").addEventListener("click", () => runAction($("#more"), () => loadPage({ reset: false })));
});
