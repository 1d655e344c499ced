// Settings: email address and mail preferences, data export, account deletion.
import { api } from "../api.js";
import { $, el } from "../dom.js";
import { downloadExport, downloadFollowsCsv } from "../exports.js";
import { confirmDialog, page, runAction, startPage } from "../layout.js";

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

page(async () => {
  const { me } = await startPage({ page: "settings" });
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
      renderEmail(updated);
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

  $("#export").addEventListener("click", () => downloadExport($("#export")));
  $("#export-csv").addEventListener("click", () => downloadFollowsCsv($("#export-csv")));

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
