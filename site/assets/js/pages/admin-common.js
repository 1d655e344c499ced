// Shared by the admin pages: their sub-navigation.
import { el } from "../dom.js";

const ADMIN_PAGES = [
  { page: "stats", href: "/admin", label: "Stats" },
  { page: "members", href: "/admin/members", label: "Members" },
  { page: "queue", href: "/admin/queue", label: "Queue" },
  { page: "audit", href: "/admin/audit", label: "Audit log" },
];

/** Draws the admin sub-navigation (after the role check) with ``current`` marked. */
export function markAdminNav(current) {
  const nav = document.getElementById("admin-nav");
  if (!nav) return;
  nav.replaceChildren(
    el(
      "ul",
      { class: "admin-nav" },
      ADMIN_PAGES.map((link) =>
        el("li", {}, el("a", { href: link.href, "aria-current": link.page === current ? "page" : null }, link.label)),
      ),
    ),
  );
  nav.hidden = false;
}
