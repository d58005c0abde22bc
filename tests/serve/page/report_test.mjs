// The HTML reports in headless Chromium (issue 23), as a musician opens them on a desktop
// and on a phone, and prints them: no console errors; every chart has data and titled axes;
// the figures shown are the JSON report's; nothing scrolls sideways at 390 px; the series'
// colours stay apart under simulated deuteranopia (or their dashes do); a PDF print keeps
// each chart whole on one page. Screenshots and PDFs are kept in WORK_DIR.
// Exit 77 (skipped) when Chromium, playwright-core or pdftotext is missing.
// Usage: node report_test.mjs BOUNCE_BINARY WORK_DIR
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { browserOrSkip, writeWav } from "./common.mjs";

const [bounce, work] = process.argv.slice(2);
const { playwright, chromium } = await browserOrSkip([["/usr/bin/pdftotext", "poppler-utils"]]);
fs.mkdirSync(work, { recursive: true });
const problems = [];
const expect = (ok, message) => { if (!ok) problems.push(message); };

// ---- colour: sRGB -> simulated deuteranopia (Machado, Oliveira & Fernandes 2009, severity 1) -> CIELAB ----
const linear = (c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
function deuteranopiaLab(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => linear(parseInt(hex.slice(i, i + 2), 16) / 255));
  const m = [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]];
  const [R, G, B] = m.map((row) => Math.min(1, Math.max(0, row[0] * r + row[1] * g + row[2] * b)));
  const X = 0.4124 * R + 0.3576 * G + 0.1805 * B, Y = 0.2126 * R + 0.7152 * G + 0.0722 * B, Z = 0.0193 * R + 0.1192 * G + 0.9505 * B;
  const f = (t) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  const [fx, fy, fz] = [f(X / 0.95047), f(Y), f(Z / 1.08883)];
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}
const deltaE = (p, q) => Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);

// ---- the reports ----
const mix = path.join(work, "mix.wav");
writeWav(mix, 40, true);
const checkHtml = path.join(work, "check.html"), checkJson = path.join(work, "check.json");
try {
  execFileSync(bounce, ["check", mix, "--target", "spotify", "--report", checkHtml, "--json", checkJson, "-q"]);
} catch (e) {
  if (e.status !== 1) throw e;  // 1: the mix fails the target or QC, which is fine here
}
const json = JSON.parse(fs.readFileSync(checkJson, "utf8"));
const sizeKb = fs.statSync(checkHtml).size / 1024;
expect(sizeKb < 2048, `the check report is ${sizeKb.toFixed(0)} KB (under 2 MB to e-mail)`);
const masterHtml = path.join(work, "master.html"), masterJson = path.join(work, "master.json");
execFileSync(bounce, ["master", mix, "-o", path.join(work, "master.wav"), "--target", "spotify", "--report", masterHtml, "--json", masterJson, "-q"]);
const mjson = JSON.parse(fs.readFileSync(masterJson, "utf8"));
const masterKb = fs.statSync(masterHtml).size / 1024;
expect(masterKb < 2048, `the master report is ${masterKb.toFixed(0)} KB (under 2 MB to e-mail)`);

const browser = await playwright.chromium.launch({
  executablePath: chromium,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"],
});

async function inspect(file, width, name) {
  const page = await browser.newPage({ viewport: { width, height: 1200 } });
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(`${m.type()}: ${m.text()}`); });
  page.on("pageerror", (e) => errors.push("page error: " + e.message));
  page.on("request", (r) => { if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) errors.push("network: " + r.url()); });
  await page.goto("file://" + file);
  expect(errors.length === 0, `${name} at ${width} px: ${errors.join("; ")}`);
  const facts = await page.evaluate(() => {
    const charts = [...document.querySelectorAll("section.chart")].map((s) => ({
      id: s.id,
      points: Number(s.dataset.points),
      axisTitles: [...s.querySelectorAll("text.axis-title")].map((t) => t.textContent.trim()).filter((t) => t.length > 0),
      ticks: s.querySelectorAll("text.tick").length,
    }));
    const figures = Object.fromEntries([...document.querySelectorAll("#figures tr[data-key]")].map((r) => [
      r.dataset.key, r.dataset.value !== undefined ? r.dataset.value : { mix: r.dataset.mix, master: r.dataset.master }]));
    const verdict = document.getElementById("verdict");
    return {
      charts, figures, verdict: verdict ? verdict.dataset.passes : null,
      scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
      spectrum: [...document.querySelectorAll("#chart-spectrum path.series")].map((p) => [p.getAttribute("stroke"), p.getAttribute("stroke-dasharray")]),
    };
  });
  expect(facts.charts.length >= 4, `${name}: ${facts.charts.length} charts`);
  for (const c of facts.charts) {
    expect(c.points > 0, `${name}: chart ${c.id} has no data`);
    expect(c.axisTitles.length === 2, `${name}: chart ${c.id} has axis titles ${JSON.stringify(c.axisTitles)}`);
    expect(c.ticks >= 4, `${name}: chart ${c.id} has ${c.ticks} tick labels`);
  }
  expect(facts.scrollWidth <= facts.innerWidth, `${name} at ${width} px scrolls sideways (${facts.scrollWidth} > ${facts.innerWidth})`);
  // A chart over time zooms in x4 and pans by scrolling its own frame (the page does not).
  await page.click("#chart-loudness button.zoom");
  const zoom = await page.evaluate(() => {
    const plot = document.querySelector("#chart-loudness .plot");
    return { svg: plot.querySelector("svg").getBoundingClientRect().width, frame: plot.clientWidth, scrolls: plot.scrollWidth > plot.clientWidth,
             page: document.documentElement.scrollWidth <= window.innerWidth };
  });
  expect(zoom.svg >= 3.9 * zoom.frame && zoom.scrolls && zoom.page, `${name} at ${width} px: zoom ${JSON.stringify(zoom)}`);
  await page.click("#chart-loudness button.zoom");
  await page.screenshot({ path: path.join(work, `${name}-${width}.png`), fullPage: true });
  await page.close();
  return facts;
}

// Printed: every chart's title and its axis titles on one page of the PDF.
async function printed(file, name) {
  const page = await browser.newPage();
  await page.goto("file://" + file);
  const pdf = path.join(work, name + ".pdf");
  await page.pdf({ path: pdf, format: "A4", printBackground: true });
  const titles = await page.evaluate(() => [...document.querySelectorAll("section.chart")].map((s) => ({
    title: s.querySelector("h2").textContent.trim(),
    axes: [...s.querySelectorAll("text.axis-title")].map((t) => t.textContent.trim()),
  })));
  await page.close();
  const pages = execFileSync("pdftotext", ["-layout", pdf, "-"]).toString().split("\f");
  // A chart is whole when its title and both its axes' titles (the x title at its foot) come
  // on one page, before the next chart's title.
  for (const t of titles) {
    const at = pages.findIndex((p) => p.includes(t.title));
    const from = at >= 0 ? pages[at].indexOf(t.title) : -1;
    const rest = from >= 0 ? pages[at].slice(from + t.title.length) : "";
    const next = Math.min(...titles.filter((u) => u !== t).map((u) => rest.indexOf(u.title)).filter((i) => i >= 0), rest.length);
    const own = rest.slice(0, next);
    expect(t.axes.every((axis) => own.includes(axis)), `${name}.pdf: "${t.title}" is cut: its axes ${JSON.stringify(t.axes)} are not on its page`);
  }
  console.log(`${name}.pdf: ${pages.filter((p) => p.trim()).length} pages, ${titles.length} charts each whole on a page`);
}

try {
  for (const width of [1400, 390]) {
    const facts = await inspect(checkHtml, width, "check");
    for (const id of ["chart-loudness", "chart-histogram", "chart-waveform", "chart-true-peak", "chart-spectrum", "chart-spectrogram", "chart-stereo",
                      "chart-correlation", "chart-vectorscope"])
      expect(facts.charts.some((c) => c.id === id), `check: no ${id}`);
    // The figures shown are the JSON's.
    const a = json.analysis;
    for (const key of ["integrated_lufs", "true_peak_dbtp", "loudness_range_lu", "max_short_term_lufs", "max_momentary_lufs", "sample_peak_dbfs"]) {
      const shown = Number(facts.figures[key]);
      expect(Math.abs(shown - a[key]) < 0.051, `check: ${key} shown ${facts.figures[key]}, JSON ${a[key]}`);
    }
    expect(Math.abs(Number(facts.figures.plr_db) - (a.true_peak_dbtp - a.integrated_lufs)) < 0.051, `check: PLR ${facts.figures.plr_db}`);
    expect(facts.verdict === String(json.target.passes), `check: verdict ${facts.verdict}, JSON passes ${json.target.passes}`);
    // Colours apart under deuteranopia, or the lines' dashes.
    const s = facts.spectrum;
    let closest = Infinity;
    for (let i = 0; i < s.length; i++)
      for (let j = i + 1; j < s.length; j++) {
        const d = deltaE(deuteranopiaLab(s[i][0]), deuteranopiaLab(s[j][0]));
        closest = Math.min(closest, d);
        expect(d >= 10 || s[i][1] !== s[j][1], `check: spectrum lines ${i} and ${j} (${s[i][0]}, ${s[j][0]}) alike under deuteranopia (dE ${d.toFixed(1)}) with the same dashes`);
      }
    if (width === 1400) console.log(`spectrum: ${s.length} lines, closest pair under deuteranopia dE ${closest.toFixed(1)}`);
  }
  for (const [file, name] of [[checkHtml, "check"], [masterHtml, "master"]]) await printed(file, name);
  // The master report: mix and master side by side, the figures the JSON's.
  for (const width of [1400, 390]) {
    const facts = await inspect(masterHtml, width, "master");
    const ids = facts.charts.map((c) => c.id);
    for (const id of ["chart-loudness", "chart-true-peak", "chart-gain-reduction", "chart-spectrum", "chart-tone", "chart-width"])
      expect(ids.includes(id), `master: no ${id}`);
    for (const [key, digits] of [["integrated_lufs", 0.051], ["true_peak_dbtp", 0.0051], ["loudness_range_lu", 0.051]]) {
      expect(Math.abs(Number(facts.figures[key].mix) - mjson.input[key]) < digits, `master: mix ${key} ${facts.figures[key].mix}, JSON ${mjson.input[key]}`);
      expect(Math.abs(Number(facts.figures[key].master) - mjson.output[key]) < digits, `master: master ${key} ${facts.figures[key].master}, JSON ${mjson.output[key]}`);
    }
    expect(facts.verdict === String(mjson.verdict.passes), `master: verdict ${facts.verdict}, JSON ${mjson.verdict.passes}`);
  }
} finally {
  await browser.close();
}
if (problems.length) { console.error("FAILED:\n" + problems.join("\n")); process.exit(1); }
console.log(`reports ok (check report ${sizeKb.toFixed(0)} KB, master report ${masterKb.toFixed(0)} KB for 40 s); screenshots and PDFs in ${work}`);
