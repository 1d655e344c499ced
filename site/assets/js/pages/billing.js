// Plan & billing: the plans, upgrading through Stripe Checkout, managing through the portal.
import { api } from "../api.js";
import { TIER_NAMES } from "../format.js";
import { $, el, safeExternalUrl } from "../dom.js";
import { page, runAction, showNotice, startPage } from "../layout.js";
import { planCard } from "../plans.js";

const TIER_ORDER = ["free", "pro", "premium"];
// Stripe's webhook usually lands before the browser returns; give it a few seconds if not.
const CONFIRM_ATTEMPTS = 5;
const CONFIRM_DELAY_MS = 1000;

/** Follows a Checkout or portal session's URL (only an https page, or a loopback stand-in). */
function goTo(session) {
  if (!session) return;
  const url = safeExternalUrl(session.url);
  if (url) window.location.assign(url);
  else showNotice("The payment page couldn't be opened. Please try again later.", "error");
}

function renderCurrent(me) {
  $("#current-tier").textContent = TIER_NAMES[me.tier] || me.tier;
  const paid = me.tier !== "free";
  $("#portal").hidden = !paid;
  $("#current-note").textContent = paid
    ? "Change plan, update your card or cancel in the subscription portal."
    : "You're on the free plan. Upgrade for more follows each month.";
}

async function waitForUpgrade(me) {
  for (let attempt = 0; attempt < CONFIRM_ATTEMPTS && me.tier === "free"; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, CONFIRM_DELAY_MS));
    me = await api.get("/api/v1/me");
  }
  return me;
}

page(async () => {
  let { me } = await startPage({ page: "billing" });
  const query = new URLSearchParams(window.location.search);
  if (query.get("checkout") === "success") {
    me = await waitForUpgrade(me);
    showNotice(
      me.tier === "free"
        ? "Thank you! Your payment went through; your plan will update in a moment."
        : `Thank you! You're now on the ${TIER_NAMES[me.tier]} plan.`,
      "success",
    );
  } else if (query.get("checkout") === "cancelled") {
    showNotice("Checkout cancelled. Nothing was charged.", "info");
  }
  renderCurrent(me);

  const catalog = await api.get("/api/v1/plans");
  const rank = TIER_ORDER.indexOf(me.tier);
  $("#plans").replaceChildren(
    ...catalog.plans.map((plan) => {
      let action = null;
      if (TIER_ORDER.indexOf(plan.tier) > rank && plan.purchasable) {
        const button = el("button", { type: "button", "data-tier": plan.tier }, `Upgrade to ${TIER_NAMES[plan.tier]}`);
        button.addEventListener("click", async () => {
          const path = me.tier === "free" ? "/api/v1/billing/checkout" : null;
          const session = await runAction(button, () =>
            path ? api.post(path, { tier: plan.tier }) : api.get("/api/v1/billing/portal"),
          );
          goTo(session);
        });
        action = el("div", { class: "actions" }, button);
      }
      return planCard(plan, { current: me.tier, action });
    }),
  );

  $("#portal").addEventListener("click", async () => {
    goTo(await runAction($("#portal"), () => api.get("/api/v1/billing/portal")));
  });
});
