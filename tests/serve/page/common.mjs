// What the browser tests share: Debian's Chromium driven by playwright-core (or exit 77,
// skipped, saying what is missing), and a test mix.
import fs from "node:fs";

// { playwright, chromium }: the module and the browser's path. `alsoNeeded` lists other
// programs the test needs ([path, package]); any missing one skips the test too.
export async function browserOrSkip(alsoNeeded = []) {
  const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => fs.existsSync(p));
  let playwright;
  try {
    playwright = await import("playwright-core");
  } catch (e) {
    console.log("SKIPPED: playwright-core is not installed (scripts/install-deps.sh installs it)");
    process.exit(77);
  }
  const missing = alsoNeeded.filter(([program]) => !fs.existsSync(program)).map(([, pkg]) => pkg);
  if (!chromium) missing.unshift("chromium");
  if (missing.length) {
    console.log(`SKIPPED: not installed: ${missing.join(", ")} (apt-get install ${missing.join(" ")})`);
    process.exit(77);
  }
  return { playwright, chromium };
}

// A test mix, written here: a chord with a little noise, stereo 16-bit WAV, `seconds` long
// at 44.1 kHz (a louder middle third when `dynamic`).
export function writeWav(file, seconds = 12, dynamic = false) {
  const rate = 44100, frames = rate * seconds, data = Buffer.alloc(frames * 4);
  let seed = 1;
  for (let i = 0; i < frames; i++) {
    const t = i / rate;
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const noise = (seed / 0x7fffffff - 0.5) * 0.05;
    const gain = dynamic && i > frames / 3 && i < (2 * frames) / 3 ? 2.5 : 1;
    const v = gain * (0.15 * (Math.sin(2 * Math.PI * 220 * t) + Math.sin(2 * Math.PI * 330 * t) + Math.sin(2 * Math.PI * 440 * t)) / 3 + noise);
    const s = Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
    data.writeInt16LE(s, i * 4);
    data.writeInt16LE(Math.round(s * 0.9), i * 4 + 2);
  }
  const header = Buffer.alloc(44);
  header.write("RIFF", 0); header.writeUInt32LE(36 + data.length, 4); header.write("WAVE", 8);
  header.write("fmt ", 12); header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(2, 22);
  header.writeUInt32LE(rate, 24); header.writeUInt32LE(rate * 4, 28); header.writeUInt16LE(4, 32); header.writeUInt16LE(16, 34);
  header.write("data", 36); header.writeUInt32LE(data.length, 40);
  fs.writeFileSync(file, Buffer.concat([header, data]));
}
