// A plan as a card (landing and billing pages).
import { formatNumber, TIER_NAMES } from "./format.js";
import { el } from "./dom.js";

/** @param plan one entry of GET /api/v1/plans */
export function planCard(plan, { current = null, action = null } = {}) {
  const monthly =
    plan.follows_per_month === null ? "Unlimited follows a month" : `${formatNumber(plan.follows_per_month)} follows a month`;
  return el(
    "section",
    { class: `card tier${current === plan.tier ? " current" : ""}`, "aria-label": `${TIER_NAMES[plan.tier]} plan` },
    el("h3", {}, TIER_NAMES[plan.tier], current === plan.tier ? el("span", { class: "badge ok" }, "Your plan") : null),
    el(
      "ul",
      {},
      el("li", {}, monthly),
      el("li", {}, `Up to ${formatNumber(plan.follows_per_hour)} an hour, ${formatNumber(plan.follows_per_day)} a day`),
      plan.features.map((feature) => el("li", {}, feature)),
    ),
    action,
  );
}
