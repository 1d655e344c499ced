// Settings: email address and mail preferences, data export, account deletion.
import { api } from "../api.js";
import { $, confirmDialog, el, page, runAction, startPage } from "../layout.js";

const MAIL_KINDS = {
  welcome: "A welcome mail when your address is verified",
  first_followers: "When your first followers arrive",
  roster_complete: "When you follow every member",
  weekly_digest: "A weekly summary of your progress",
  needs_reauth: "When Spotify access needs renewing",
  reciprocity_warning: "When follows stop because of unfollows",
};
const CONFIRM_WORD = "DELETE";

function renderEmail(me) {
  $("#email-current").replaceChildren(
    me.email
      ? el(
          "p",
          {},
          "Current address: ",
          el("strong", {}, me.email),
          " ",
          me.email_verified
            ? el("span", { class: "badge ok" }, "Verified")
            : el("span", { class: "badge warn" }, "Not verified yet: check your inbox"),
        )
      : el("p", { class: "muted" }, "No email address yet."),
  );
}

function renderPreferences(preferences) {
  $("#prefs").replaceChildren(
    ...Object.entries(preferences).map(([kind, wanted]) =>
      el(
        "label",
        { class: "checkbox" },
        el("input", { type: "checkbox", name: kind, checked: wanted }),
        MAIL_KINDS[kind] || kind.replaceAll("_", " "),
      ),
    ),
  );
}

function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

page(async () => {
  let { me } = await startPage({ page: "settings" });
  renderEmail(me);
  $("#export-csv").hidden = me.tier !== "premium";
  const { preferences } = await api.get("/api/v1/me/email/preferences");
  renderPreferences(preferences);

  $("#email-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const address = $("#email").value.trim();
    const updated = await runAction($("#email-save"), () => api.put("/api/v1/me/email", { email: address }), {
      success: `We sent a verification link to ${address}.`,
    });
    if (updated) {
      me = updated;
      renderEmail(me);
      $("#email-form").reset();
    }
  });

  $("#prefs-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const wanted = {};
    for (const box of $("#prefs").querySelectorAll("input[type=checkbox]")) wanted[box.name] = box.checked;
    const saved = await runAction($("#prefs-save"), () => api.put("/api/v1/me/email/preferences", { preferences: wanted }), {
      success: "Email preferences saved.",
    });
    if (saved) renderPreferences(saved.preferences);
  });

  $("#export").addEventListener("click", async () => {
    const data = await runAction($("#export"), () => api.get("/api/v1/me/export"), {
      success: "Your data is downloading as followswarm-export.json.",
    });
    if (data) download("followswarm-export.json", JSON.stringify(data, null, 2), "application/json");
  });

  const confirmInput = $("#delete-confirm");
  const confirmButton = $("#delete-confirm-button");
  confirmInput.addEventListener("input", () => {
    confirmButton.disabled = confirmInput.value.trim() !== CONFIRM_WORD;
  });
  $("#delete").addEventListener("click", async () => {
    $("#delete-form").reset();
    confirmButton.disabled = true;
    if ((await confirmDialog($("#delete-dialog"))) !== "delete") return;
    const done = await runAction($("#delete"), async () => {
      await api.delete("/api/v1/me");
      return true;
    });
    if (done) window.location.assign("/?deleted=1");
  });
});
