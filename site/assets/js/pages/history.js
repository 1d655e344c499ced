// History: the follows your account made, newest first, filtered by status, a page at a time.
import { nextPage } from "../api.js";
import { formatDateTime, STATUS_NAMES } from "../format.js";
import { $, el } from "../dom.js";
import { downloadFollowsCsv } from "../exports.js";
import { page, runAction, startPage } from "../layout.js";

// Why a follow was skipped or failed, as the follow worker records it.
const REASONS = {
  already_followed: "You already followed this artist",
  target_inactive: "The artist left the roster before the follow",
  spotify_400: "Spotify refused this artist",
  spotify_403: "Spotify refused this follow",
  spotify_404: "The artist no longer exists on Spotify",
};
const OTHER_REASON = "Spotify didn't accept this follow";
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
    el("td", { "data-label": "Note" }, item.reason ? REASONS[item.reason] || OTHER_REASON : ""),
  );
}

async function loadPage({ reset }) {
  if (reset) cursor = null;
  const status = $("#status").value;
  const rows = $("#history-rows");
  if (reset) rows.replaceChildren();
  const result = await nextPage("/api/v1/follows/history", { status, limit: PAGE_SIZE }, cursor);
  rows.append(...result.items.map(row));
  cursor = result.cursor;
  $("#more").hidden = !cursor;
  $("#history-empty").hidden = rows.children.length > 0 || Boolean(cursor);
}

page(async () => {
  const { me } = await startPage({ page: "history" });
  $("#export-csv").hidden = me.tier !== "premium";
  $("#export-csv").addEventListener("click", () => downloadFollowsCsv($("#export-csv")));
  await loadPage({ reset: true });
  $("#status").addEventListener("change", () => runAction($("#status"), () => loadPage({ reset: true })));
  $("#filter-form").addEventListener("submit", (event) => event.preventDefault());
  $("#more").addEventListener("click", () => runAction($("#more"), () => loadPage({ reset: false })));
});
