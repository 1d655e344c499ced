// Admin: platform statistics (live roster counts and the latest daily rollup).
import { api } from "../api.js";
import { formatNumber } from "../format.js";
import { $, el } from "../dom.js";
import { page, startPage } from "../layout.js";
import { markAdminNav } from "./admin-common.js";

function figure(title, value) {
  return el("section", { class: "card" }, el("h2", {}, title), el("p", { class: "figure" }, formatNumber(value)));
}

page(async () => {
  await startPage({ page: "admin", admin: true });
  markAdminNav("stats");
  const stats = await api.get("/api/v1/admin/stats");
  $("#stats").replaceChildren(
    figure("Active members", stats.roster.active_members),
    // The join sequence also advances when a member resumes or is reinstated.
    figure("Roster entries (joins and returns)", stats.roster.joins),
  );
  const rollup = stats.latest_rollup;
  if (!rollup) {
    $("#rollup").replaceChildren(el("p", { class: "muted" }, "No daily rollup yet: it runs once a day."));
    return;
  }
  const { date, ...values } = rollup;
  $("#rollup").replaceChildren(
    el("p", {}, `Day: ${date}`),
    el(
      "dl",
      { class: "facts" },
      Object.entries(values).flatMap(([key, value]) => [
        el("dt", {}, key.replaceAll("_", " ")),
        el("dd", {}, typeof value === "object" ? JSON.stringify(value) : String(value)),
      ]),
    ),
  );
});
