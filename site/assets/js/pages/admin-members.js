// Admin: search members; suspend, reinstate, change role, approve artist claims.
import { api, nextPage } from "../api.js";
import { TIER_NAMES } from "../format.js";
import { $, el } from "../dom.js";
import { page, runAction, startPage } from "../layout.js";
import { markAdminNav } from "./admin-common.js";

let cursor = null;

/** The PATCH reply is the member's profile; the list shows flat rows (admin.list_members). */
function rowFromProfile(profile) {
  return {
    id: profile.id,
    display_name: profile.display_name,
    spotify_user_id: profile.spotify_user_id,
    role: profile.role,
    account_status: profile.account_status,
    tier: profile.tier,
    roster_status: profile.roster_status,
    artist_id: profile.artist.id,
    artist_name: profile.artist.name,
    artist_claim_status: profile.artist.claim_status,
  };
}

function actionButton(label, member, patch, { danger = false } = {}) {
  const who = member.display_name || member.spotify_user_id || member.id;
  const button = el(
    "button",
    { type: "button", class: danger ? "danger" : "secondary", "aria-label": `${label}: ${who}` },
    label,
  );
  button.addEventListener("click", async () => {
    const updated = await runAction(button, () => api.patch(`/api/v1/admin/members/${encodeURIComponent(member.id)}`, patch), {
      success: `${who}: updated.`,
    });
    if (!updated) return;
    const fresh = row(rowFromProfile(updated));
    button.closest("tr").replaceWith(fresh);
    fresh.querySelector("button")?.focus(); // the clicked button is gone; stay in the row
  });
  return button;
}

function row(member) {
  const artist = member.artist_name || member.artist_id || "—";
  const claim = member.artist_claim_status;
  const status = member.account_status;
  const actions = [
    status === "suspended"
      ? actionButton("Reinstate", member, { account_status: "active" })
      : actionButton("Suspend", member, { account_status: "suspended" }, { danger: true }),
    member.role === "admin"
      ? actionButton("Remove admin", member, { role: "member" })
      : actionButton("Make admin", member, { role: "admin" }),
    claim === "pending" ? actionButton("Approve artist", member, { approve_artist_claim: true }) : null,
  ];
  return el(
    "tr",
    { "data-member-row": member.id },
    el("td", { "data-label": "Member" }, member.display_name || "—", el("br"), el("small", { class: "muted" }, member.spotify_user_id || member.id)),
    el("td", { "data-label": "Artist" }, artist, claim === "pending" ? el("span", { class: "badge warn" }, " pending") : null),
    el("td", { "data-label": "Plan" }, TIER_NAMES[member.tier] || member.tier || "—"),
    el("td", { "data-label": "Roster" }, member.roster_status || "—"),
    el("td", { "data-label": "Account" }, el("span", { class: `badge ${status === "active" ? "ok" : "bad"}` }, status), member.role === "admin" ? " admin" : ""),
    el("td", { "data-label": "Actions" }, el("div", { class: "actions" }, actions)),
  );
}

async function search({ reset }) {
  if (reset) cursor = null;
  const form = new FormData($("#member-search"));
  const rows = $("#member-rows");
  if (reset) rows.replaceChildren();
  const query = { search: form.get("search"), tier: form.get("tier"), status: form.get("status"), limit: 50 };
  const result = await nextPage("/api/v1/admin/members", query, cursor);
  rows.append(...result.items.map(row));
  cursor = result.cursor;
  $("#more").hidden = !cursor;
  $("#members-empty").hidden = rows.children.length > 0 || Boolean(cursor);
}

page(async () => {
  await startPage({ page: "admin", admin: true });
  markAdminNav("members");
  await search({ reset: true });
  $("#member-search").addEventListener("submit", (event) => {
    event.preventDefault();
    runAction(event.submitter || $("#member-search button"), () => search({ reset: true }));
  });
  $("#more").addEventListener("click", () => runAction($("#more"), () => search({ reset: false })));
});
