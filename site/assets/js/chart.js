// A small bar chart in SVG (no library), with the same numbers in a table for screen readers.
//
//   renderBarChart(container, [{ date: "2026-05-28", follows: 12 }], { title: "Follows per day" });

import { el } from "./dom.js";
import { formatDay, formatNumber } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
// Drawn at the container's own width (within bounds), so its 12 px labels stay 12 px.
const MIN_WIDTH = 300;
const MAX_WIDTH = 900;
const HEIGHT = 200;
const PAD = { top: 12, right: 8, bottom: 28, left: 36 };

function svg(tag, attributes = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

export function renderBarChart(container, series, { title }) {
  if (!series.some((point) => point.follows > 0)) {
    container.replaceChildren(el("p", { class: "muted" }, "No follows in this period yet."));
    return;
  }
  const width = Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, container.clientWidth || 640)));
  const max = Math.max(1, ...series.map((point) => point.follows));
  const innerW = width - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const slot = innerW / series.length;
  const barW = Math.max(2, Math.min(48, slot * 0.7));
  const total = series.reduce((sum, point) => sum + point.follows, 0);

  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${HEIGHT}`,
    role: "img",
    "aria-label": `${title}: ${formatNumber(total)} follows in ${series.length} ${series.length === 1 ? "day" : "days"}, at most ${formatNumber(max)} in a day`,
  });
  chart.append(svg("line", { class: "axis", x1: PAD.left, y1: PAD.top + innerH, x2: width - PAD.right, y2: PAD.top + innerH }));
  chart.append(svg("text", { x: PAD.left - 6, y: PAD.top + 4, "text-anchor": "end" }, formatNumber(max)));
  chart.append(svg("text", { x: PAD.left - 6, y: PAD.top + innerH, "text-anchor": "end" }, "0"));
  const labelEvery = Math.ceil(series.length / Math.max(2, Math.floor(width / 70)));
  series.forEach((point, index) => {
    const height = (point.follows / max) * innerH;
    const x = PAD.left + index * slot + (slot - barW) / 2;
    const bar = svg("rect", { class: "bar", x, y: PAD.top + innerH - height, width: barW, height, rx: 2 });
    bar.append(svg("title", {}, `${formatDay(point.date)}: ${formatNumber(point.follows)}`));
    chart.append(bar);
    if (index % labelEvery === 0) {
      chart.append(
        svg("text", { x: x + barW / 2, y: HEIGHT - 8, "text-anchor": "middle" }, point.date.slice(5)),
      );
    }
  });

  const table = el(
    "table",
    { class: "visually-hidden" },
    el("caption", {}, title),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Day"), el("th", { scope: "col" }, "Follows"))),
    el(
      "tbody",
      {},
      series.map((point) => el("tr", {}, el("td", {}, formatDay(point.date)), el("td", {}, formatNumber(point.follows)))),
    ),
  );
  container.replaceChildren(chart, table);
}
