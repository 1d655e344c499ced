// Onboarding: claim the artist profile (after a preview), add and verify an email, join.
import { api } from "../api.js";
import { $, el } from "../dom.js";
import { clearNotice, page, runAction, showNotice, startPage } from "../layout.js";

function initials(name) {
  return (name || "?")
    .split(/\s+/)
    .slice(0, 2)
    .map((word) => word[0]?.toUpperCase() || "")
    .join("");
}

function artistCard(artist) {
  const picture = artist.image_url
    ? el("img", { src: artist.image_url, alt: "" })
    : el("span", { class: "avatar", "aria-hidden": "true" }, initials(artist.name));
  return el(
    "div",
    { class: "artist-card" },
    picture,
    el(
      "div",
      {},
      el("p", { class: "figure", id: "artist-name" }, artist.name || "(no name)"),
      el("a", { href: `https://open.spotify.com/artist/${encodeURIComponent(artist.id)}`, rel: "noopener" }, "Open on Spotify"),
    ),
  );
}

function renderArtist(me) {
  const box = $("#artist-current");
  const step = $("#step-artist");
  if (!me.artist.id) {
    box.replaceChildren();
    step.classList.remove("step-done");
    return;
  }
  const pending = me.artist.claim_status === "pending";
  box.replaceChildren(
    el(
      "p",
      {},
      "Your artist: ",
      el("strong", {}, me.artist.name || me.artist.id),
      " ",
      el("span", { class: `badge ${pending ? "warn" : "ok"}` }, pending ? "Waiting for approval" : "Claimed"),
    ),
  );
  step.classList.toggle("step-done", !pending);
}

function renderEmail(me) {
  const box = $("#email-current");
  if (!me.email) {
    box.replaceChildren();
    return;
  }
  box.replaceChildren(
    el(
      "p",
      {},
      me.email,
      " ",
      me.email_verified
        ? el("span", { class: "badge ok" }, "Verified")
        : el("span", { class: "badge warn" }, "Check your inbox for the verification link"),
    ),
  );
  $("#step-email").classList.toggle("step-done", me.email_verified);
}

function renderJoin(me) {
  const button = $("#join");
  const state = $("#join-state");
  const joined = me.roster_status === "joined";
  const ready = me.artist.id && me.artist.claim_status === "approved";
  button.hidden = joined;
  button.disabled = !ready;
  $("#step-join").classList.toggle("step-done", joined);
  if (joined) {
    state.replaceChildren(el("p", {}, "You're on the roster. ", el("a", { href: "/dashboard" }, "See your progress")));
  } else if (!ready) {
    const why =
      me.artist.claim_status === "pending"
        ? "Your artist claim is waiting for an operator's approval; you can join once it's approved."
        : "Claim your artist profile first.";
    state.replaceChildren(el("p", { class: "muted", id: "join-why" }, why));
    button.setAttribute("aria-describedby", "join-why");
  } else {
    state.replaceChildren();
    button.removeAttribute("aria-describedby");
  }
}

function render(me) {
  renderArtist(me);
  renderEmail(me);
  renderJoin(me);
}

page(async () => {
  let { me } = await startPage({ page: "onboarding" });
  render(me);
  // The pace of the member's own plan (the sentence reads fine with its default if this fails).
  api.get("/api/v1/plans").then(
    (catalog) => {
      const plan = catalog.plans.find((candidate) => candidate.tier === me.tier);
      if (plan) $("#per-hour").textContent = String(plan.follows_per_hour);
    },
    () => {},
  );

  const form = $("#artist-form");
  const previewBox = $("#artist-preview-card");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearNotice();
    const ref = $("#artist-ref").value.trim();
    if (!ref) {
      showNotice("Paste your Spotify artist link first.", "error");
      $("#artist-ref").focus();
      return;
    }
    const preview = await runAction($("#artist-preview"), () =>
      api.get("/api/v1/me/artist/preview", { query: { artist: ref } }),
    );
    if (!preview) return;
    const claim = el("button", { type: "button", id: "artist-claim" }, "This is me: claim it");
    const parts = [artistCard(preview)];
    if (preview.claimed_by_another) {
      parts.push(el("p", { class: "notice error" }, "Another member has already claimed this artist."));
    } else if (preview.claimed_by_you) {
      parts.push(el("p", { class: "badge ok" }, "Already yours"));
    } else {
      parts.push(el("div", { class: "actions" }, claim));
    }
    previewBox.replaceChildren(...parts);
    claim.addEventListener("click", async () => {
      const updated = await runAction(claim, () => api.put("/api/v1/me/artist", { artist: preview.id }), {
        success: (member) =>
          member.artist.claim_status === "pending"
            ? "Claimed. An operator will approve your claim shortly."
            : `Claimed: ${member.artist.name}.`,
      });
      if (updated) {
        me = updated;
        previewBox.replaceChildren();
        form.reset();
        render(me);
        $("#email").focus();
      }
    });
    claim.focus();
  });

  $("#email-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const address = $("#email").value.trim();
    if (!address) {
      showNotice("Enter your email address first.", "error");
      $("#email").focus();
      return;
    }
    const updated = await runAction($("#email-save"), () => api.put("/api/v1/me/email", { email: address }), {
      success: `We sent a verification link to ${address}. Open it to verify your address.`,
    });
    if (updated) {
      me = updated;
      render(me);
    }
  });

  $("#join").addEventListener("click", async () => {
    const joined = await runAction($("#join"), () => api.post("/api/v1/roster/join"));
    if (joined) window.location.assign("/dashboard?joined=1");
  });
});
