// Admin: queue depths, dead letters and Spotify budget use; pause, resume, redrive.
import { api } from "../api.js";
import { formatDateTime, formatNumber } from "../format.js";
import { $, el } from "../dom.js";
import { page, runAction, startPage } from "../layout.js";
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
        el("dt", {}, "Calls in this window"),
        el("dd", {}, `${formatNumber(budget.used)} of ${formatNumber(budget.limit)}`),
        el("dt", {}, "Share used"),
        el("dd", {}, `${Math.round(100 * Number(budget.share || 0))} %`),
        el("dt", {}, "Window"),
        el("dd", {}, `${formatNumber(budget.window_seconds)} s`),
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
  // Each control reloads inside runAction, so a failed reload is shown too.
  const reloadAfter = (call) => async () => {
    const result = await call();
    await load();
    return result;
  };
  $("#pause-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const reason = $("#pause-reason").value.trim() || null;
    runAction($("#swarm-pause"), reloadAfter(() => api.post("/api/v1/admin/queue/pause", { reason })), {
      success: "Every follow is paused.",
    });
  });
  $("#swarm-resume").addEventListener("click", () =>
    runAction($("#swarm-resume"), reloadAfter(() => api.post("/api/v1/admin/queue/resume")), {
      success: "Follows resumed.",
    }),
  );
  $("#redrive").addEventListener("click", () =>
    runAction($("#redrive"), reloadAfter(() => api.post("/api/v1/admin/dlq/redrive")), {
      success: (moved) => `${formatNumber(moved.moved)} dead-lettered job(s) moved back onto the queue.`,
    }),
  );
});
