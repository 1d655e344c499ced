// Numbers, dates and durations as people read them.

const number = new Intl.NumberFormat("en");
const dateTime = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" });

export const formatNumber = (value) => number.format(Number(value || 0));

export function formatDateTime(value) {
  if (!value) return "—";
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? "—" : dateTime.format(date);
}

export function formatDay(isoDay) {
  const date = new Date(`${isoDay}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? isoDay : dateOnly.format(date);
}

/** 90061 -> "1 day 1 hour"; the two largest units are enough to plan by. */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  let rest = Math.max(0, Math.round(Number(seconds)));
  if (rest < 60) return "less than a minute";
  const units = [
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ];
  const parts = [];
  for (const [name, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count && parts.length < 2) parts.push(`${count} ${name}${count === 1 ? "" : "s"}`);
  }
  return parts.join(" ");
}

export function percent(used, limit) {
  if (!limit) return 0;
  return Math.min(100, Math.round((100 * Number(used || 0)) / Number(limit)));
}

export const TIER_NAMES = { free: "Free", pro: "Pro", premium: "Premium" };
export const STATUS_NAMES = {
  done: "Followed",
  pending: "Waiting",
  skipped: "Skipped",
  failed: "Failed",
};
