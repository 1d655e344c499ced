// Admin: queue depths, dead letters and Spotify budget use; pause, resume, redrive.
import { api } from "../api.js";
import { formatDateTime, formatNumber } from "../format.js";
import { $, el, page, runAction, startPage } from "../layout.js";
import { markAdminNav } from "./admin-common.js";

function depthCard(title, depths) {
  return el(
    "section",
    { class: "card" },
    el("h2", {}, title),
    el(
      "dl",
      { class: "facts" },
      Object.entries(depths || {}).flatMap(([key, value]) => [el("dt", {}, key.replaceAll("_", " ")), el("dd", {}, formatNumber(value))]),
    ),
  );
}

function render(view) {
  const budget = view.budget || {};
  $("#queue").replaceChildren(
    depthCard("Follow queue", view.queue),
    depthCard("Dead letters", view.dlq),
    el(
      "section",
      { class: "card" },
      el("h2", {}, "Spotify budget"),
      el(
        "dl",
        { class: "facts" },
        Object.entries(budget).flatMap(([key, value]) => [el("dt", {}, key.replaceAll("_", " ")), el("dd", {}, String(value))]),
      ),
    ),
  );
  const state = view.admin_paused
    ? `Paused by an operator: ${view.pause_reason || "no reason given"}.`
    : view.paused
      ? `Paused by Spotify's rate limit until ${formatDateTime(view.paused_until)}.`
      : "Running.";
  $("#swarm-state").textContent = `Swarm: ${state}`;
  $("#swarm-pause").disabled = Boolean(view.admin_paused);
  $("#swarm-resume").disabled = !view.admin_paused;
}

async function load() {
  render(await api.get("/api/v1/admin/queue"));
}

page(async () => {
  await startPage({ page: "admin", admin: true });
  markAdminNav("queue");
  await load();
  $("#pause-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = $("#pause-reason").value.trim() || null;
    if (await runAction($("#swarm-pause"), () => api.post("/api/v1/admin/queue/pause", { reason }), { success: "Every follow is paused." })) await load();
  });
  $("#swarm-resume").addEventListener("click", async () => {
    if (await runAction($("#swarm-resume"), () => api.post("/api/v1/admin/queue/resume"), { success: "Follows resumed." })) await load();
  });
  $("#redrive").addEventListener("click", async () => {
    const result = await runAction($("#redrive"), () => api.post("/api/v1/admin/dlq/redrive"), {
      success: (moved) => `${formatNumber(moved.moved)} dead-lettered job(s) moved back onto the queue.`,
    });
    if (result) await load();
  });
});
