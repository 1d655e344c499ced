// Shared by the admin pages: the admin sub-navigation.
export function markAdminNav(current) {
  for (const link of document.querySelectorAll("[data-admin-page]")) {
    if (link.dataset.adminPage === current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}
