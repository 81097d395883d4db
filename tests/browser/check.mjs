// Browser checks of a built site, in headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core; nothing is downloaded).
//
//   node tests/browser/check.mjs --site DIR --base URL [--shots DIR] [--axe]
//
// DIR is the built site (for its status.json); URL is where it is loaded
// from (file:///.../public/ or http://127.0.0.1:PORT/). Every page is
// loaded with JavaScript disabled in five modes: desktop (1280x800) and
// phone (390x844), each light and dark, and desktop in print media. Each
// load checks: no failed resource and no error response; no horizontal
// overflow; every chart has a drawn SVG of non-zero size that names its
// title and description, and a data table; chart texts do not overlap;
// chart text has 4.5:1 contrast and solid chart marks 3:1 against the page.
// With --axe, axe-core runs on every page in both themes: no violation of
// impact "serious" or "critical". Prints one line per problem and exits 1
// when there is any.

import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const site = opt('--site');
const base = opt('--base');
const shots = opt('--shots');
const withAxe = args.includes('--axe');
if (!site || !base) {
  console.error('usage: check.mjs --site DIR --base URL [--shots DIR] [--axe]');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const status = JSON.parse(readFileSync(join(site, 'status.json'), 'utf8'));
const pages = status.pages;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const MODES = [
  { name: 'desktop-light', viewport: { width: 1280, height: 800 }, colorScheme: 'light' },
  { name: 'desktop-dark', viewport: { width: 1280, height: 800 }, colorScheme: 'dark' },
  { name: 'phone-light', viewport: { width: 390, height: 844 }, colorScheme: 'light', phone: true },
  { name: 'phone-dark', viewport: { width: 390, height: 844 }, colorScheme: 'dark', phone: true },
  { name: 'print', viewport: { width: 1280, height: 800 }, colorScheme: 'light', print: true },
];

const problems = [];
const problem = (page, mode, text) => problems.push(`${page} [${mode}]: ${text}`);

// Runs in the page: measures what the checks need.
function measure() {
  const parse = (c) => {
    const m = c && c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const luminance = ({ r, g, b }) => {
    const f = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (x, y) => {
    const [a, b] = [luminance(x), luminance(y)].sort((p, q) => q - p);
    return (a + 0.05) / (b + 0.05);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  // the grid and the heat map's frame are decoration, in the palette's grid colour
  const probe = document.createElement('span');
  probe.style.color = 'var(--chart-grid)';
  document.body.append(probe);
  const grid = getComputedStyle(probe).color;
  probe.remove();
  const out = {
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    charts: [],
  };
  for (const fig of document.querySelectorAll('figure.chart')) {
    const chart = { id: fig.id, drawn: 0, labelled: true, table: !!fig.querySelector('table'), overlaps: [], lowContrast: [] };
    for (const svg of fig.querySelectorAll('svg')) {
      if (!visible(svg)) continue;
      chart.drawn += 1;
      const ids = (svg.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
      const names = ids.map((id) => document.getElementById(id));
      if (svg.getAttribute('role') !== 'img' || names.length < 2 || names.some((n) => !n || !n.textContent.trim())) {
        chart.labelled = false;
      }
      const bg = background(svg);
      const texts = [...svg.querySelectorAll('text')].filter(visible);
      const boxes = texts.map((t) => ({ text: t.textContent.trim(), box: t.getBoundingClientRect() }));
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i].box;
          const b = boxes[j].box;
          const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
          const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
          if (w > 1 && h > 1) chart.overlaps.push(`"${boxes[i].text}" and "${boxes[j].text}"`);
        }
      }
      for (const t of texts) {
        const c = parse(getComputedStyle(t).fill);
        if (c && ratio(c, bg) < 4.5) chart.lowContrast.push(`text "${t.textContent.trim()}" ${ratio(c, bg).toFixed(2)}:1`);
      }
      for (const mark of svg.querySelectorAll('rect, circle, path, polygon')) {
        const style = getComputedStyle(mark);
        // shaded cells and count bars carry their value in the data table too
        if (Number(style.opacity) < 1 || Number(style.fillOpacity) < 1 || style.fill === grid) continue;
        const c = parse(style.fill);
        if (c && c.a === 1 && ratio(c, bg) < 3) chart.lowContrast.push(`mark ${ratio(c, bg).toFixed(2)}:1`);
      }
      // lines: data, axes, and the outlines of light bars (not the grid)
      for (const line of svg.querySelectorAll('polyline, line')) {
        const style = getComputedStyle(line);
        if (style.stroke === grid || Number(style.opacity) < 1) continue;
        const c = parse(style.stroke);
        if (c && c.a === 1 && ratio(c, bg) < 3) chart.lowContrast.push(`line ${ratio(c, bg).toFixed(2)}:1`);
      }
    }
    out.charts.push(chart);
  }
  return out;
}

const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
try {
  for (const mode of MODES) {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: mode.viewport,
      colorScheme: mode.colorScheme,
    });
    for (const name of pages) {
      const page = await context.newPage();
      page.setDefaultTimeout(30000);
      if (mode.print) await page.emulateMedia({ media: 'print' });
      const failed = [];
      page.on('requestfailed', (r) => failed.push(`${r.url()} (${r.failure()?.errorText})`));
      page.on('response', (r) => {
        if (r.status() >= 400) failed.push(`${r.url()} (HTTP ${r.status()})`);
      });
      await page.goto(new URL(name, base).href, { waitUntil: 'load' });
      for (const f of failed) problem(name, mode.name, `failed to load ${f}`);
      const m = await page.evaluate(measure);
      if (m.scrollWidth > m.clientWidth + 1) {
        problem(name, mode.name, `overflows horizontally (${m.scrollWidth}px wide in ${m.clientWidth}px)`);
      }
      for (const c of m.charts) {
        if (!mode.print || c.drawn > 0) {
          if (c.drawn === 0) problem(name, mode.name, `chart ${c.id} has no drawn SVG`);
        }
        if (!c.labelled) problem(name, mode.name, `chart ${c.id} does not name its title and description`);
        if (!c.table) problem(name, mode.name, `chart ${c.id} has no data table`);
        for (const o of c.overlaps) problem(name, mode.name, `chart ${c.id}: texts overlap: ${o}`);
        if (!mode.print) for (const l of c.lowContrast) problem(name, mode.name, `chart ${c.id}: low contrast: ${l}`);
      }
      if (shots) {
        mkdirSync(shots, { recursive: true });
        await page.screenshot({ path: join(shots, `${name.replace(/\.html$/, '')}-${mode.name}.png`), fullPage: true });
      }
      await page.close();
    }
    await context.close();
  }
  // axe-core is a script: it runs in a context of its own, where scripts
  // may run (the pages have none of their own) and the site's CSP is bypassed
  for (const colorScheme of withAxe ? ['light', 'dark'] : []) {
    const mode = `axe-${colorScheme}`;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme, bypassCSP: true });
    const page = await context.newPage();
    for (const name of pages) {
      await page.goto(new URL(name, base).href, { waitUntil: 'load' });
      await page.evaluate(axeSource);
      const result = await page.evaluate(() =>
        // eslint-disable-next-line no-undef
        axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }),
      );
      for (const v of result.violations) {
        if (v.impact === 'serious' || v.impact === 'critical') {
          const where = v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ');
          problem(name, mode, `axe ${v.impact}: ${v.id}: ${v.help} (${v.nodes.length}: ${where})`);
        }
      }
    }
    await context.close();
  }
} finally {
  await browser.close();
}

for (const p of problems) console.log(p);
console.log(`${pages.length} pages x ${MODES.length} modes checked from ${base}: ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
