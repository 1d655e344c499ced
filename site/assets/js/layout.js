// What every page shares: the navigation, the sign-in gate, the status message and busy buttons.
//
//   import { page, runAction, startPage } from "../layout.js";
//   page(async () => {
//     const { me } = await startPage({ page: "dashboard" });
//     button.addEventListener("click", () => runAction(button, () => api.post("/api/v1/follows/pause")));
//   });

import { api, ApiError, signOut } from "./api.js";
import { $, el } from "./dom.js";
import { describeError } from "./messages.js";

const MEMBER_LINKS = [
  { page: "dashboard", href: "/dashboard", label: "Dashboard" },
  { page: "history", href: "/dashboard/history", label: "History" },
  { page: "billing", href: "/dashboard/billing", label: "Plan & billing" },
  { page: "settings", href: "/dashboard/settings", label: "Settings" },
];
const ADMIN_LINK = { page: "admin", href: "/admin", label: "Admin" };
const SIGN_IN_PATH = "/auth/spotify";
// Where a visitor was going when they had to sign in; sign-in always lands on /dashboard.
const RETURN_KEY = "followswarm.returnTo";
const RETURNABLE = /^\/(dashboard|onboarding|admin)(\/[a-z-]*)*\/?(\?[^#]*)?$/;

/** Raised by startPage on an admin page for a member who isn't one (the page says so). */
export class NotAdminError extends Error {}

/** Shows a message in the page's live region (kind: info | success | error). */
export function showNotice(text, kind = "info") {
  const box = document.getElementById("notice");
  if (!box) return;
  box.className = `notice ${kind}`;
  box.replaceChildren(el("p", {}, text));
}

export function showError(error) {
  if (!(error instanceof ApiError)) console.error(error);
  showNotice(describeError(error), "error");
}

export function clearNotice() {
  const box = document.getElementById("notice");
  if (box) {
    box.className = "notice";
    box.replaceChildren();
  }
}

/**
 * Runs an action from a control: a button is disabled while it runs (and keeps the keyboard
 * focus it had), the error is shown in words, a lost session goes to sign-in. Resolves with
 * the action's result, or undefined when it failed.
 */
export async function runAction(control, action, { success } = {}) {
  const isButton = control instanceof HTMLButtonElement;
  const hadFocus = document.activeElement === control;
  if (isButton) control.disabled = true;
  control.setAttribute("aria-busy", "true");
  try {
    const result = await action();
    if (success) showNotice(typeof success === "function" ? success(result) : success, "success");
    return result;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return goToSignIn();
    showError(error);
    return undefined;
  } finally {
    if (isButton) control.disabled = false;
    control.removeAttribute("aria-busy");
    // A disabled control drops the focus to <body>; give it back if it is still shown.
    if (hadFocus && control.isConnected && !control.hidden) control.focus();
  }
}

function goToSignIn() {
  const here = window.location.pathname + window.location.search;
  if (RETURNABLE.test(here)) sessionStorage.setItem(RETURN_KEY, here);
  window.location.assign("/?signin=required");
  return new Promise(() => {}); // the page is going away
}

/** After signing in (which lands on /dashboard), goes back to where the visitor was going. */
function resumeAfterSignIn() {
  const target = sessionStorage.getItem(RETURN_KEY);
  sessionStorage.removeItem(RETURN_KEY);
  if (!target || !RETURNABLE.test(target)) return false;
  const here = window.location.pathname + window.location.search;
  if (target === here) return false;
  window.location.replace(target);
  return true;
}

function renderNav(me, current) {
  const nav = document.querySelector(".site-nav");
  if (!nav) return;
  const links = me.role === "admin" ? [...MEMBER_LINKS, ADMIN_LINK] : MEMBER_LINKS;
  const items = links.map((link) =>
    el(
      "li",
      {},
      el("a", { href: link.href, "aria-current": link.page === current ? "page" : null }, link.label),
    ),
  );
  const signOutButton = el("button", { type: "button", class: "secondary" }, "Sign out");
  signOutButton.addEventListener("click", () =>
    runAction(signOutButton, async () => {
      await signOut();
      window.location.assign("/?signedout=1");
    }),
  );
  items.push(el("li", { class: "nav-signout" }, signOutButton));
  nav.replaceChildren(el("ul", {}, items));
  nav.hidden = false;
}

function reauthBanner(me) {
  if (!me.needs_reauth) return;
  const main = document.querySelector("main");
  const banner = el(
    "div",
    { class: "notice info" },
    el("p", {}, "Spotify no longer accepts our access to your account, so your follows are paused. "),
    el("a", { class: "button", href: SIGN_IN_PATH }, "Reconnect Spotify"),
  );
  main?.prepend(banner);
}

/**
 * Signs the page in: loads the member (or sends them to the landing page to sign in),
 * draws the navigation and, for admin pages, checks the role.
 */
export async function startPage({ page, admin = false }) {
  if (page === "dashboard" && resumeAfterSignIn()) await new Promise(() => {});
  let me;
  try {
    me = await api.get("/api/v1/me");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) await goToSignIn();
    throw error;
  }
  renderNav(me, admin ? "admin" : page);
  reauthBanner(me);
  if (admin && me.role !== "admin") {
    $("main").replaceChildren(
      el("h1", {}, "Admin only"),
      el("p", {}, "These pages are for Follow-Swarm operators."),
      el("p", {}, el("a", { href: "/dashboard" }, "Back to your dashboard")),
    );
    throw new NotAdminError("not an admin");
  }
  return { me };
}

/** Runs a page's main function, showing any error that escapes it in words. */
export function page(main) {
  const run = async () => {
    try {
      await main();
    } catch (error) {
      if (error instanceof NotAdminError) return;
      if (error instanceof ApiError && error.status === 401) {
        await goToSignIn();
        return;
      }
      showError(error);
    } finally {
      document.body.dataset.ready = "true";
    }
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
}

/** Opens a <dialog> and resolves with the button value that closed it ("" when dismissed). */
export function confirmDialog(dialog) {
  return new Promise((resolve) => {
    dialog.returnValue = "";
    dialog.addEventListener("close", () => resolve(dialog.returnValue), { once: true });
    dialog.showModal();
  });
}
