// The email verification link lands here: confirm the signed token with the API.
import { api } from "../api.js";
import { page, showError, startPage } from "../layout.js";

page(async () => {
  await startPage({ page: "verify-email" });
  const state = document.getElementById("verify-state");
  const token = new URLSearchParams(window.location.search).get("token");
  // The token is a credential: keep it out of the history and of later Referer headers.
  window.history.replaceState(null, "", window.location.pathname);
  if (!token) {
    state.textContent = "This link has no verification token. Open the link from the email again.";
    return;
  }
  try {
    const me = await api.post("/api/v1/me/email/verify", { token });
    state.textContent = `Thank you! ${me.email} is verified.`;
  } catch (error) {
    state.textContent = "We couldn't verify your email address.";
    showError(error);
  }
});
