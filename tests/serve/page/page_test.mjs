// Drives bounce serve's web page in headless Chromium: upload a mix through the page,
// wait for the job, play the A/B player and switch sides, fetch the download link, and
// keep a screenshot. Exit 77 (skipped) when Chromium or playwright-core is missing.
// Usage: node page_test.mjs BOUNCE_BINARY WORK_DIR
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { browserOrSkip, writeWav } from "./common.mjs";

const [bounce, work] = process.argv.slice(2);
const { playwright, chromium } = await browserOrSkip();
fs.mkdirSync(work, { recursive: true });

const mix = path.join(work, "mix.wav");
writeWav(mix);

const port = await new Promise((resolve) => {
  const s = net.createServer();
  s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
});
const token = "page-test-token-9a8b7c6d";
const server = spawn(bounce, ["serve", "--port", String(port), "--data", path.join(work, "data"), "--jobs", "2", "--token", token],
                     { stdio: "ignore" });
const base = `http://127.0.0.1:${port}`;
const fail = (message) => { console.error("FAILED: " + message); server.kill("SIGTERM"); process.exit(1); };
for (let i = 0; ; i++) {
  try { if ((await fetch(base + "/api/health")).ok) break; } catch (e) { /* not up yet */ }
  if (i > 100) fail("the server did not come up");
  await new Promise((r) => setTimeout(r, 50));
}

const browser = await playwright.chromium.launch({
  executablePath: chromium,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
});
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 1400 } });
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  await page.goto(base + "/?token=" + token);  // signs in: the cookie, then the page
  // Every target the server has is offered, those the page once left out too.
  const targets = (await page.evaluate(async () => (await (await fetch("/api/targets")).json()).targets.map((t) => t.name)));
  await page.waitForFunction((n) => document.querySelectorAll("#target option").length === n, targets.length);
  for (const name of ["spotify-loud", "spotify-quiet", "atsc-a85", "ebu-r128"])
    if (!targets.includes(name)) problems.push("the server lists no target " + name);
  await page.setInputFiles("#file", mix);
  await page.selectOption("#target", "apple");
  await page.click("text=Metadata and artwork");
  await page.fill("#title", "Page Song");
  await page.fill("#artist", "The Testers");
  await page.click("#start");
  await page.waitForSelector("#result", { state: "visible", timeout: 90000 });
  const status = await page.textContent("#status");
  if (!/Done: -1[56]\.\d LUFS/.test(status)) problems.push("status after the job: " + status);
  await page.waitForSelector("#ab", { state: "visible" });
  await page.click("#play");
  await page.waitForTimeout(1500);
  await page.click("#toB");
  const player = await page.evaluate(() => {
    const a = document.getElementById("audioA"), b = document.getElementById("audioB");
    return { a: a.currentTime, b: b.currentTime, aMuted: a.muted, bMuted: b.muted, aVolume: a.volume, bVolume: b.volume };
  });
  if (!(player.a > 0.3)) problems.push("the player did not play: " + JSON.stringify(player));
  if (Math.abs(player.a - player.b) > 0.25) problems.push("A and B are not in step: " + JSON.stringify(player));
  if (!player.aMuted || player.bMuted) problems.push("switching to B did not: " + JSON.stringify(player));
  if (!(Math.min(player.aVolume, player.bVolume) < 1)) problems.push("no loudness matching: " + JSON.stringify(player));
  // The waveform seeks both sides: a click three quarters along goes to three quarters of the song.
  const box = await page.locator("#wave").boundingBox();
  await page.mouse.click(box.x + box.width * 0.75, box.y + box.height / 2);
  await page.waitForTimeout(300);
  const seeked = await page.evaluate(() => {
    const a = document.getElementById("audioA"), b = document.getElementById("audioB");
    return { a: a.currentTime, b: b.currentTime, duration: a.duration, clock: document.getElementById("clock").textContent };
  });
  if (Math.abs(seeked.a / seeked.duration - 0.75) > 0.05 || Math.abs(seeked.a - seeked.b) > 0.25)
    problems.push("the waveform did not seek both sides: " + JSON.stringify(seeked));
  if (!/^0:\d\d \/ 0:12$/.test(seeked.clock)) problems.push("the clock reads " + seeked.clock);
  // Previews play in place; the job is in this browser's list, and stays there after a reload.
  const previews = await page.evaluate(async () => {
    const audios = [...document.querySelectorAll("#previews audio")];
    const first = audios.length ? await fetch(audios[0].src) : null;
    return { count: audios.length, status: first ? first.status : 0 };
  });
  if (previews.count !== 6 || previews.status !== 200) problems.push("previews in place: " + JSON.stringify(previews));
  const download = await page.evaluate(async () => {
    const r = await fetch(document.getElementById("downloadMaster").href);
    return { status: r.status, size: (await r.arrayBuffer()).byteLength };
  });
  if (download.status !== 200 || download.size < 100000) problems.push("download: " + JSON.stringify(download));
  const masterFile = path.join(work, "from-page.wav");
  fs.writeFileSync(masterFile, Buffer.from(await page.evaluate(async () => {
    const r = await fetch(document.getElementById("downloadMaster").href);
    return [...new Uint8Array(await r.arrayBuffer())];
  })));
  try {
    const tags = execFileSync("ffprobe", ["-v", "error", "-show_entries", "format_tags=title,artist", "-of", "json", masterFile]).toString();
    if (!tags.includes("Page Song") || !tags.includes("The Testers")) problems.push("the master's tags: " + tags);
  } catch (e) { problems.push("ffprobe could not read the master: " + e.message); }
  await page.reload();
  await page.waitForFunction(() => /done: -1[56]\.\d LUFS/.test(document.querySelector("#jobs tbody tr td:nth-child(3)")?.textContent || ""));
  const listed = await page.evaluate(() => document.querySelectorAll("#jobs tbody tr").length);
  if (listed !== 1) problems.push(listed + " jobs listed after a reload");
  // At phone width nothing scrolls sideways.
  await page.setViewportSize({ width: 390, height: 900 });
  const wide = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  if (wide.scroll > wide.inner) problems.push("the page scrolls sideways at 390 px: " + JSON.stringify(wide));
  await page.screenshot({ path: path.join(work, "page-390.png"), fullPage: true });
  await page.setViewportSize({ width: 1400, height: 1400 });
  await page.screenshot({ path: path.join(work, "page-1400.png"), fullPage: true });
  await page.setViewportSize({ width: 900, height: 1400 });
  await page.screenshot({ path: path.join(work, "page.png"), fullPage: false });
} finally {
  await browser.close();
  server.kill("SIGTERM");
}
if (problems.length) { console.error("FAILED:\n" + problems.join("\n")); process.exit(1); }
console.log("page ok; screenshot " + path.join(work, "page.png"));
