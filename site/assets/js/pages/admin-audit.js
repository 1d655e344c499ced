// Admin: the audit log of one UTC day.
import { api } from "../api.js";
import { formatDateTime } from "../format.js";
import { $, el } from "../dom.js";
import { page, runAction, startPage } from "../layout.js";
import { markAdminNav } from "./admin-common.js";

function row(entry) {
  return el(
    "tr",
    {},
    el("td", { "data-label": "When" }, formatDateTime(entry.at)),
    el("td", { "data-label": "Event" }, entry.action.replaceAll("_", " ")),
    el("td", { "data-label": "By" }, entry.actor_id || "system"),
    el("td", { "data-label": "Member" }, entry.subject_id || "—"),
    el("td", { "data-label": "Details" }, entry.details ? JSON.stringify(entry.details) : ""),
  );
}

async function load() {
  const day = $("#day").value || null;
  const result = await api.get("/api/v1/admin/audit", { query: { day, limit: 200 } });
  $("#audit-rows").replaceChildren(...result.entries.map(row));
  $("#audit-empty").hidden = result.entries.length > 0;
}

page(async () => {
  await startPage({ page: "admin", admin: true });
  markAdminNav("audit");
  await load();
  $("#audit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    runAction($("#audit-form button"), load);
  });
});
