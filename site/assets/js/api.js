// The one way the pages talk to the Follow-Swarm API.
//
//   import { api } from "./api.js";
//   const me = await api.get("/api/v1/me");
//   await api.post("/api/v1/follows/pause");
//
// Sessions live in HttpOnly cookies set by /auth/callback. State-changing requests echo the
// readable CSRF cookie in X-CSRF-Token. An expired access token is refreshed once, transparently
// (POST /auth/refresh rotates the refresh cookie), then the request is retried.

const CSRF_COOKIE = "fs_csrf";
const CSRF_HEADER = "X-CSRF-Token";
const SAFE_METHODS = new Set(["GET", "HEAD"]);
// 401 codes a refresh can cure: the access token (or its cookie) expired, the session didn't.
const REFRESHABLE = new Set(["token_expired", "unauthenticated"]);

/**
 * An API failure: HTTP status, the API's machine-readable code and, when the API wrote one,
 * its own message (``apiMessage``; empty for a proxy's or gateway's reply, whose text is
 * not meant for people).
 */
export class ApiError extends Error {
  constructor(status, code, apiMessage, { retryAfter = null, details = null } = {}) {
    super(`${status} ${code}`);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.apiMessage = apiMessage || "";
    this.retryAfter = retryAfter;
    this.details = details;
  }
}

export function readCookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function send(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (!SAFE_METHODS.has(method)) {
    const csrf = readCookie(CSRF_COOKIE);
    if (csrf) headers[CSRF_HEADER] = csrf;
  }
  try {
    return await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (cause) {
    throw new ApiError(0, "network_error", "The network request failed", { details: String(cause) });
  }
}

async function errorFrom(response) {
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    // A non-JSON failure (a proxy's error page, say): the status alone must do.
  }
  const error = (payload && payload.error) || {};
  const retry = response.headers.get("Retry-After");
  return new ApiError(response.status, error.code || `http_${response.status}`, error.message || "", {
    retryAfter: retry ? Number(retry) : null,
    details: error.details || null,
  });
}

let refreshing = null;

/**
 * Rotates the session once, however many requests (or tabs) found it expired at the same
 * moment: presenting a rotated refresh token twice counts as theft and revokes the session,
 * so tabs take turns (Web Locks) and a tab first retries with what another tab just rotated.
 */
function refreshSession(retry) {
  if (!refreshing) {
    const rotate = async () => {
      const again = await retry();
      if (again.status !== 401) return again;
      const rotated = await send("POST", "/auth/refresh");
      return rotated.ok ? retry() : again;
    };
    const locked = navigator.locks ? navigator.locks.request("followswarm-session-refresh", rotate) : rotate();
    refreshing = locked.finally(() => {
      refreshing = null;
    });
    return refreshing;
  }
  // Another request of this tab is rotating already: wait for it, then retry this one.
  return refreshing.then(() => retry());
}

async function request(method, path, { body, query, raw = false } = {}) {
  const url = withQuery(path, query);
  let response = await send(method, url, body);
  if (response.status === 401) {
    const error = await errorFrom(response.clone());
    if (REFRESHABLE.has(error.code) && readCookie(CSRF_COOKIE)) {
      response = await refreshSession(() => send(method, url, body));
    }
  }
  if (!response.ok) throw await errorFrom(response);
  if (raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : response.text();
}

export const api = {
  get: (path, options) => request("GET", path, options),
  post: (path, body, options = {}) => request("POST", path, { ...options, body }),
  put: (path, body, options = {}) => request("PUT", path, { ...options, body }),
  patch: (path, body, options = {}) => request("PATCH", path, { ...options, body }),
  delete: (path, options) => request("DELETE", path, options),
};

/** Signs out on the server (revokes the session) and forgets the cookies. */
export async function signOut() {
  try {
    await api.post("/auth/logout");
  } catch (error) {
    // Already signed out (or the session expired): the result is the same.
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
  }
}

// A filtered page can come back empty while later pages still match: read on, a few at most.
const MAX_EMPTY_PAGES = 5;

/**
 * The next non-empty page of a cursor-paged list (``{items, next_cursor}``), reading past
 * pages the server's filter emptied: ``{ items, cursor }``, ``cursor`` null at the end.
 */
export async function nextPage(path, query, cursor) {
  let next = cursor;
  for (let read = 0; read < MAX_EMPTY_PAGES; read += 1) {
    const page = await api.get(path, { query: { ...query, cursor: next } });
    next = page.next_cursor;
    if (page.items.length || !next) return { items: page.items, cursor: next };
  }
  return { items: [], cursor: next };
}

