// Downloads of the member's own data (through the API client, so an expired session is renewed).
import { api } from "./api.js";
import { download } from "./dom.js";
import { runAction } from "./layout.js";

export async function downloadFollowsCsv(button) {
  const csv = await runAction(button, () => api.get("/api/v1/follows/export.csv"), {
    success: "Your follows are downloading as followswarm-follows.csv.",
  });
  if (csv !== undefined) download("followswarm-follows.csv", csv, "text/csv");
}

export async function downloadExport(button) {
  const data = await runAction(button, () => api.get("/api/v1/me/export"), {
    success: "Your data is downloading as followswarm-export.json.",
  });
  if (data) download("followswarm-export.json", JSON.stringify(data, null, 2), "application/json");
}
