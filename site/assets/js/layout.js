// What every page shares: the navigation, the sign-in gate, the status message and busy buttons.
//
//   import { startPage, runAction } from "../layout.js";
//   const { me } = await startPage({ page: "dashboard" });
//   button.addEventListener("click", () => runAction(button, () => api.post("/api/v1/follows/pause")));

import { api, ApiError, signOut } from "./api.js";
import { describeError } from "./messages.js";

const MEMBER_LINKS = [
  { page: "dashboard", href: "/dashboard", label: "Dashboard" },
  { page: "history", href: "/dashboard/history", label: "History" },
  { page: "billing", href: "/dashboard/billing", label: "Plan & billing" },
  { page: "settings", href: "/dashboard/settings", label: "Settings" },
];
const ADMIN_LINK = { page: "admin", href: "/admin", label: "Admin" };
const SIGN_IN_PATH = "/auth/spotify";

/** Creates an element: el("a", { href: "/" }, "Home"). Text is always set as text, never HTML. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function $(selector, root = document) {
  const node = root.querySelector(selector);
  if (!node) throw new Error(`missing element ${selector}`);
  return node;
}

function noticeBox() {
  return document.getElementById("notice");
}

/** Shows a message in the page's live region (kind: info | success | error). */
export function showNotice(text, kind = "info") {
  const box = noticeBox();
  if (!box) return;
  box.className = `notice ${kind}`;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  box.replaceChildren(el("p", {}, text));
}

export function showError(error) {
  if (!(error instanceof ApiError)) console.error(error);
  showNotice(describeError(error), "error");
}

export function clearNotice() {
  const box = noticeBox();
  if (box) {
    box.className = "notice";
    box.replaceChildren();
  }
}

/** Runs an action from a button: disabled while it runs, its error shown in words. */
export async function runAction(button, action, { success } = {}) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    const result = await action();
    if (success) showNotice(typeof success === "function" ? success(result) : success, "success");
    return result;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return goToSignIn();
    showError(error);
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

function goToSignIn() {
  window.location.assign("/?signin=required");
  return new Promise(() => {}); // the page is going away
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
}

function reauthBanner(me) {
  if (!me.needs_reauth) return;
  const main = document.querySelector("main");
  const banner = el(
    "div",
    { class: "notice info", role: "status" },
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
  let me;
  try {
    me = await api.get("/api/v1/me");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) await goToSignIn();
    showError(error);
    throw error;
  }
  renderNav(me, admin ? "admin" : page);
  reauthBanner(me);
  if (admin && me.role !== "admin") {
    const main = $("main");
    main.replaceChildren(
      el("h1", {}, "Admin only"),
      el("p", {}, "These pages are for Follow-Swarm operators. "),
      el("p", {}, el("a", { href: "/dashboard" }, "Back to your dashboard")),
    );
    throw new Error("not an admin");
  }
  return { me };
}

/** Runs a page's main function, showing any error that escapes it. */
export function page(main) {
  const run = async () => {
    try {
      await main();
    } catch (error) {
      if (error instanceof Error && error.message === "not an admin") return;
      if (!document.querySelector("#notice.error")) showError(error);
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
