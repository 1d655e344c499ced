// Dashboard: following and followers progress with ETA, follows per day, pacing use, controls.
import { api } from "../api.js";
import { renderBarChart } from "../chart.js";
import { formatDateTime, formatDuration, formatNumber, percent, TIER_NAMES } from "../format.js";
import { $, el } from "../dom.js";
import { confirmDialog, page, runAction, showNotice, startPage } from "../layout.js";

const BLOCKED = {
  needs_reauth: "Spotify no longer accepts our access to your account, so nothing moves until you reconnect.",
  suspended: "Your account is suspended, so no follows go out or come in.",
  paused: "Your follows are paused: your account follows nobody and members don't follow you until you resume.",
  reciprocity:
    "You've unfollowed too many members, so members have stopped following you. Follow them again and it resumes by itself.",
  not_on_roster: "You're not on the roster. Join to start following and being followed.",
};
const WINDOW_NAMES = { hour: "This hour", day: "Today (rolling 24 h)", month: "This month" };

function setBar(id, value) {
  const bar = $(id);
  bar.style.width = `${value}%`;
}

function renderProgress(progress) {
  const f = progress.following;
  const possible = f.done + f.pending + f.skipped;
  $("#following-figure").replaceChildren(
    formatNumber(f.done),
    el("small", {}, ` of ${formatNumber(possible)} members`),
  );
  setBar("#following-bar", percent(f.done, possible));
  $("#following-facts").replaceChildren(
    el("dt", {}, "Waiting"),
    el("dd", {}, formatNumber(f.pending)),
    el("dt", {}, "Skipped"),
    el("dd", {}, formatNumber(f.skipped)),
    el("dt", {}, "Failed"),
    el("dd", {}, formatNumber(f.failed)),
  );
  const followers = progress.followers;
  $("#followers-figure").replaceChildren(
    formatNumber(followers.received),
    el("small", {}, ` of ${formatNumber(followers.possible)} members`),
  );
  setBar("#followers-bar", percent(followers.received, followers.possible));
  $("#followers-note").textContent = `${formatNumber(progress.roster.active_members)} artists on the roster.`;

  const eta = $("#eta-figure");
  const etaNote = $("#eta-note");
  if (progress.roster.status !== "joined") {
    eta.textContent = "—";
    etaNote.textContent = "Join the roster to start.";
  } else if (f.pending === 0) {
    eta.textContent = "All done";
    etaNote.textContent = "You follow every member. New members are followed as they join.";
  } else if (progress.eta_seconds === null || progress.blocked_reason) {
    eta.textContent = "On hold";
    etaNote.textContent = "No estimate while follows are on hold.";
  } else {
    eta.textContent = formatDuration(progress.eta_seconds);
    etaNote.textContent = `Expected by ${formatDateTime(progress.eta)}, at the pace your plan allows.`;
  }

  const line = $("#status-line");
  const reason = progress.blocked_reason;
  line.hidden = !reason;
  line.replaceChildren(reason ? el("p", {}, BLOCKED[reason] || reason) : "");
}

function renderControls(progress) {
  const joined = progress.roster.status === "joined";
  // Resuming needs working Spotify access: the banner's "Reconnect Spotify" comes first.
  const reauth = progress.blocked_reason === "needs_reauth";
  $("#pause").hidden = !joined || progress.paused;
  $("#resume").hidden = !joined || !progress.paused || reauth;
  $("#leave").hidden = !joined;
  $("#rejoin").hidden = joined;
  let note = "You're not on the roster.";
  if (joined && reauth) note = "Reconnect Spotify to resume.";
  else if (joined && progress.paused) note = "Paused. Resume whenever you like.";
  else if (joined) note = "Pausing stops follows both ways until you resume; leaving takes your artist off the roster.";
  $("#controls-note").textContent = note;
}

function renderLimits(limits) {
  const cards = limits.windows.map((window) => {
    const unlimited = window.limit === null;
    const used = percent(window.used, window.limit);
    const fill = el("div", { class: `bar-fill${used >= 100 ? " full" : used >= 80 ? " warn" : ""}` });
    fill.style.width = unlimited ? "0%" : `${used}%`;
    return el(
      "div",
      { class: "card", "data-window": window.window },
      el("h3", {}, WINDOW_NAMES[window.window] || window.window),
      el(
        "p",
        { class: "figure" },
        formatNumber(window.used),
        el("small", {}, unlimited ? " used (no limit)" : ` of ${formatNumber(window.limit)}`),
      ),
      el(
        "div",
        {
          class: "bar-track",
          role: "progressbar",
          "aria-label": `${WINDOW_NAMES[window.window] || window.window}: follows used`,
          "aria-valuemin": "0",
          "aria-valuemax": unlimited ? null : String(window.limit),
          "aria-valuenow": String(window.used),
          "aria-valuetext": unlimited
            ? `${formatNumber(window.used)} used, no limit`
            : `${formatNumber(window.used)} of ${formatNumber(window.limit)}`,
        },
        fill,
      ),
      el("p", { class: "muted" }, window.resets_at ? `Frees up ${formatDateTime(window.resets_at)}` : "Nothing used yet"),
    );
  });
  cards.push(
    el(
      "div",
      { class: "card" },
      el("h3", {}, "Your plan"),
      el("p", { class: "figure" }, TIER_NAMES[limits.tier] || limits.tier),
      el("p", { class: "muted" }, `Follows go out ${formatNumber(limits.batch_size)} at a time. `, el("a", { href: "/dashboard/billing" }, "Change plan")),
    ),
  );
  $("#limits").replaceChildren(...cards);
}

async function loadChart() {
  const period = $("#period").value;
  const stats = await api.get("/api/v1/follows/stats", { query: { period } });
  renderBarChart($("#chart"), stats.daily, { title: "Follows per day" });
  $("#chart-totals").textContent =
    `${formatNumber(stats.done)} followed, ${formatNumber(stats.skipped)} skipped, ${formatNumber(stats.failed)} failed in this period.`;
}

async function load() {
  const [progress, limits] = await Promise.all([
    api.get("/api/v1/follows/progress"),
    api.get("/api/v1/follows/rate-limits"),
  ]);
  renderProgress(progress);
  renderControls(progress);
  renderLimits(limits);
  await loadChart();
  return progress;
}

page(async () => {
  const { me } = await startPage({ page: "dashboard" });
  if (me.roster_status === "none") {
    window.location.replace("/onboarding");
    return;
  }
  const progress = await load();
  if (new URLSearchParams(window.location.search).get("joined")) {
    showNotice(
      progress.paused
        ? "Welcome to the swarm! Your follows are paused; resume them when you're ready."
        : "Welcome to the swarm! Your first follows are on their way.",
      "success",
    );
  }

  // Each action reloads inside runAction, so a failed reload is shown (or signs in) too.
  const act = (button, call, success, focusAfter) =>
    button.addEventListener("click", async () => {
      const done = await runAction(button, async () => {
        await call();
        await load();
        return true;
      }, { success });
      if (done && focusAfter) $(focusAfter).focus();
    });
  $("#period").addEventListener("change", () => runAction($("#period"), loadChart));
  $("#refresh").addEventListener("click", () => runAction($("#refresh"), load));
  act($("#pause"), () => api.post("/api/v1/follows/pause"), "Follows paused.", "#resume");
  act($("#resume"), () => api.post("/api/v1/follows/resume"), "Follows resumed.", "#pause");
  $("#leave").addEventListener("click", async () => {
    if ((await confirmDialog($("#leave-dialog"))) !== "leave") return;
    const left = await runAction($("#leave"), async () => {
      await api.post("/api/v1/roster/leave");
      await load();
      return true;
    }, { success: "You've left the roster. You can join again at any time." });
    if (left) $("#rejoin").focus();
  });
});
