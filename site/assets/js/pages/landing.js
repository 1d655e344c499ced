// Landing: "Connect with Spotify", the plans, and what brought the visitor back here.
import { api } from "../api.js";
import { page, showNotice } from "../layout.js";
import { planCard } from "../plans.js";

const ARRIVALS = {
  signin: ["required", "Please sign in with Spotify to continue.", "info"],
  signedout: ["1", "You're signed out. See you soon!", "success"],
  deleted: ["1", "Your account and its data have been deleted.", "success"],
};

page(async () => {
  const query = new URLSearchParams(window.location.search);
  for (const [key, [value, text, kind]] of Object.entries(ARRIVALS)) {
    if (query.get(key) === value) showNotice(text, kind);
  }
  const [status, catalog] = await Promise.all([api.get("/auth/status"), api.get("/api/v1/plans")]);
  if (status.authenticated) {
    const cta = document.getElementById("connect");
    cta.textContent = "Go to your dashboard";
    cta.setAttribute("href", "/dashboard");
  }
  document.getElementById("plans").replaceChildren(...catalog.plans.map((plan) => planCard(plan)));
});
