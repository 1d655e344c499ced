// API error codes in words a person understands. The API's own message (written for people)
// is the fallback, then a sentence chosen by the HTTP status: a code is never shown.

const BY_CODE = {
  network_error: "We couldn't reach Follow-Swarm. Check your connection and try again.",
  unauthenticated: "Please sign in with Spotify to continue.",
  token_expired: "Your session has expired. Please sign in again.",
  token_invalid: "Your session is no longer valid. Please sign in again.",
  session_expired: "Your session has expired. Please sign in again.",
  session_revoked: "You were signed out. Please sign in again.",
  refresh_invalid: "Your session has expired. Please sign in again.",
  refresh_reused: "For your safety we signed you out everywhere. Please sign in again.",
  csrf_failed: "This page is out of date. Reload it and try again.",
  forbidden: "You don't have permission to do that.",
  account_suspended: "Your account is suspended. Contact support if you think this is a mistake.",
  account_inactive: "Your account is not active.",
  needs_reauth: "Spotify no longer accepts our access to your account. Sign in with Spotify again to continue.",
  artist_ref_invalid:
    "That doesn't look like a Spotify artist. Paste an artist link (open.spotify.com/artist/…), a spotify:artist: URI or the 22-character artist ID.",
  artist_not_found: "Spotify has no artist with that link or ID. Check it and try again.",
  artist_claimed: "Another member has already claimed this artist. If it's yours, contact support.",
  artist_not_claimed: "Claim your artist profile before joining the roster.",
  leave_roster_first: "Leave the roster before changing your artist profile.",
  already_joined: "You're already on the roster.",
  not_joined: "You're not on the roster.",
  email_invalid: "That is not a valid email address.",
  email_token_invalid: "This verification link isn't valid for your account. Request a new one from Settings.",
  email_token_expired: "This verification link has expired. Request a new one from Settings.",
  premium_required: "The CSV export comes with the Premium plan.",
  subscription_exists: "You already have a subscription. Use “Manage subscription” to change it.",
  no_billing_account: "You don't have a subscription yet.",
  billing_unavailable: "Payments are unavailable right now. Please try again later.",
  billing_failed: "The payment service didn't answer. Please try again in a moment.",
  tier_invalid: "That plan is not available.",
  spotify_unavailable: "Spotify isn't answering right now. Please try again in a few minutes.",
  busy: "Things are busy right now. Please try again in a moment.",
  vault_busy: "Things are busy right now. Please try again in a moment.",
  invalid_cursor: "That page of results is no longer available. Start again from the first page.",
  invalid_status: "Choose one of the listed statuses.",
  invalid_period: "Choose one of the listed periods.",
  day_invalid: "Pick a valid day.",
  member_not_found: "That member no longer exists.",
  no_pending_claim: "This member has no artist claim waiting for approval.",
  preference_invalid: "That mail setting is not known.",
  validation_error: "Some of the details aren't valid. Check them and try again.",
  method_not_allowed: "That action isn't possible here.",
  not_found: "We couldn't find what you asked for.",
  state_missing: "Your sign-in took too long or was started elsewhere. Please try again.",
  state_unknown: "Your sign-in took too long or was started elsewhere. Please try again.",
  state_expired: "Your sign-in took too long. Please try again.",
  state_reused: "This sign-in link was already used. Please try again.",
  state_foreign: "This sign-in was started in another browser. Please try again here.",
  code_missing: "Spotify didn't complete the sign-in. Please try again.",
  code_invalid: "Spotify didn't complete the sign-in. Please try again.",
  internal_error: "Something went wrong on our side. Please try again.",
};

const BY_STATUS = {
  0: BY_CODE.network_error,
  400: "That request wasn't valid. Check the details and try again.",
  401: BY_CODE.unauthenticated,
  403: BY_CODE.forbidden,
  404: BY_CODE.not_found,
  409: "That conflicts with the current state. Reload the page and try again.",
  422: BY_CODE.validation_error,
  429: "You're going a bit fast. Please wait a moment and try again.",
};

/** A sentence for a person, from an ApiError (or any Error). */
export function describeError(error) {
  if (!error) return BY_CODE.internal_error;
  let text = BY_CODE[error.code];
  if (!text && error.apiMessage && error.status && error.status < 500) text = error.apiMessage;
  if (!text) text = BY_STATUS[error.status] || BY_CODE.internal_error;
  if (error.status === 429 && error.retryAfter) {
    text = `${text} (Try again in ${error.retryAfter} s.)`;
  }
  return text;
}
