// FTTL in a real VS Code (code-server), driven like a person in Debian's Chromium with playwright-core.
// Env: URL (code-server), FOLDER (the workspace made by workspace.ts), SHOTS (screenshot folder).
// Prints `N passed, N failed` and exits non-zero on any failure.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BASE = process.env.URL || 'http://127.0.0.1:18080';
const FOLDER = process.env.FOLDER;
const SHOTS = process.env.SHOTS || path.resolve('test/e2e/artifacts');
if (!FOLDER) throw new Error('set FOLDER to the e2e workspace');
fs.rmSync(SHOTS, { recursive: true, force: true });
fs.mkdirSync(SHOTS, { recursive: true });
const t0 = Date.now();
const lap = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${m}`);

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fttl-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1500, height: 950 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = ctx.pages()[0] || (await ctx.newPage());
page.setDefaultTimeout(30000);
page.on('pageerror', (e) => console.log('  [pageerror]', e.message.slice(0, 200)));
page.on('console', (m) => {
  const t = m.text();
  if (/\[fttl webview\]|FTTL|fttl\./.test(t) && !/marketplace|gallery/i.test(t)) console.log('  [console]', t.slice(0, 300));
});

let passed = 0;
let failed = 0;
let shot = 0;
const screenshot = async (name) => {
  shot++;
  await page.screenshot({ path: path.join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`) }).catch(() => {});
};
async function step(name, fn, opts = {}) {
  lap(`…    ${name}`);
  try {
    await fn();
    passed++;
    lap(`ok   ${name}`);
  } catch (e) {
    failed++;
    lap(`FAIL ${name}: ${e.message.split('\n').slice(0, 3).join(' | ')}`);
    await screenshot(`FAIL-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}`);
    await page.keyboard.press('Escape').catch(() => {});
    if (opts.essential) {
      console.log('  the workbench did not come up: the remaining steps cannot run');
      console.log(`${passed} passed, ${failed} failed`);
      await ctx.close();
      process.exit(1);
    }
  }
}

// ---- helpers ----------------------------------------------------------------------------------

async function runCommand(title, tries = 5) {
  for (let i = 1; ; i++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill('>' + title);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: 5000 });
    } catch (e) {
      console.log(`  palette try ${i}: "${title}" not listed yet`);
      await page.keyboard.press('Escape');
      if (i >= tries) throw e;
      continue;
    }
    await page.keyboard.press('Enter');
    return;
  }
}

/** The quick pick row with this text (after a command opened a quick pick). */
async function pickQuick(text) {
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ state: 'visible' });
  await row.click();
}

const toasts = () => page.locator('.notifications-toasts .notification-toast');
/** Waits for a notification whose text matches `re`; returns its text. */
async function notification(re, timeout = 60000) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    const texts = await toasts().allTextContents().catch(() => []);
    const hit = texts.find((t) => re.test(t));
    if (hit) return hit;
    // An FTTL error notification that is not the one awaited ends the wait at once.
    const error = texts.find((t) => /FTTL: .* failed: /.test(t));
    if (error) throw new Error(`FTTL reported an error instead: ${error.slice(0, 300)}`);
    await page.waitForTimeout(250);
  }
  const texts = await toasts().allTextContents().catch(() => []);
  throw new Error(`no notification matching ${re}; showing: ${JSON.stringify(texts.map((t) => t.slice(0, 160)))}`);
}
async function clearNotifications() {
  await runCommand('Notifications: Clear All Notifications').catch(() => {});
  await page.waitForTimeout(300);
}

/** The webview frame whose document has `selector` (VS Code nests iframe.webview > iframe#active-frame). */
async function webviewFrame(selector, timeout = 60000, pred) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    for (const f of page.frames()) {
      if (f.isDetached()) continue;
      // A frame that is being replaced may never answer: give each look one second.
      const ok = await Promise.race([
        f.evaluate(({ selector }) => !!document.querySelector(selector), { selector }).catch(() => false),
        new Promise((r) => setTimeout(() => r(false), 1000)),
      ]);
      if (ok && (!pred || (await pred(f).catch(() => false)))) return f;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no webview showing ${selector}`);
}

const explorerRow = (name) => page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${name}"]`).first();
async function openExplorer() {
  await page.keyboard.press('Escape');
  await runCommand('View: Show Explorer');
  await page.locator('.explorer-folders-view').waitFor();
}
async function expand(folder) {
  const row = explorerRow(folder);
  await row.waitFor();
  for (let i = 0; i < 4 && (await row.getAttribute('aria-expanded')) !== 'true'; i++) {
    if (i === 0) await row.click();
    else {
      await row.click(); // select (and maybe toggle)
      if ((await row.getAttribute('aria-expanded')) !== 'true') await page.keyboard.press('ArrowRight');
    }
    await page.waitForTimeout(400);
  }
  assert.equal(await row.getAttribute('aria-expanded'), 'true', `explorer folder ${folder} did not expand`);
}
async function contextMenu(name, item, opts = {}) {
  const row = explorerRow(name);
  await row.waitFor();
  if (!opts.keepSelection) await row.click();
  await row.click({ button: 'right' });
  const mi = page.getByRole('menuitem', { name: item });
  await mi.waitFor({ state: 'visible' });
  if (opts.shot) await screenshot(opts.shot);
  // VS Code's menus ignore a mouse-up that comes too soon after they open: hover, wait, click,
  // and fall back to Enter on the focused item if the menu is still open.
  await mi.hover();
  await page.waitForTimeout(300);
  await mi.click();
  try {
    await mi.waitFor({ state: 'hidden', timeout: 1500 });
  } catch {
    await mi.hover();
    await page.keyboard.press('Enter');
    await mi.waitFor({ state: 'hidden', timeout: 5000 });
  }
}

function latestRun(predicate = () => true) {
  const runsDir = path.join(FOLDER, '.fttl', 'runs');
  const runs = fs
    .readdirSync(runsDir)
    .filter((d) => !d.startsWith('.') && fs.existsSync(path.join(runsDir, d, 'run.json')))
    .map((d) => JSON.parse(fs.readFileSync(path.join(runsDir, d, 'run.json'), 'utf8')))
    .filter(predicate)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return runs.at(-1);
}
const runCount = () => {
  const runsDir = path.join(FOLDER, '.fttl', 'runs');
  return fs.existsSync(runsDir) ? fs.readdirSync(runsDir).filter((d) => fs.existsSync(path.join(runsDir, d, 'run.json'))).length : 0;
};
const partials = () => {
  const runsDir = path.join(FOLDER, '.fttl', 'runs');
  return fs.existsSync(runsDir) ? fs.readdirSync(runsDir).filter((d) => d.endsWith('.partial')) : [];
};
async function closeEditors() {
  await runCommand('View: Close All Editors');
  await page.waitForTimeout(300);
}

// ---- the test ---------------------------------------------------------------------------------

await step('workbench opens the workspace and shows the FTTL activity-bar container', async () => {
  await page.goto(`${BASE}/?folder=${encodeURIComponent(FOLDER)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 90000 });
  await explorerRow('samples').waitFor({ timeout: 90000 });
  await page.locator('.activitybar a.action-label[aria-label="FTTL"]').waitFor({ timeout: 90000 });
  await screenshot('workbench');
}, { essential: true });

await step('side panel lists no runs and no dataset yet', async () => {
  await page.locator('.activitybar a.action-label[aria-label="FTTL"]').click();
  const f = await webviewFrame('#side-dataset');
  assert.match(await f.locator('#side-dataset').textContent(), /none selected/);
  assert.match(await f.locator('#runs').textContent(), /No runs yet/);
  await screenshot('sidebar-empty');
});

await step('bad input: "Use as Dataset" on a folder with no images → clear error, dataset unchanged', async () => {
  await openExplorer();
  await contextMenu('empty-folder', 'FTTL: Use as Dataset', { shot: 'context-menu-folder' });
  const text = await notification(/No images found/);
  console.log('  error shown:', text.slice(0, 200));
  await screenshot('empty-folder-error');
  await page.locator('.activitybar a.action-label[aria-label="FTTL"]').click();
  const f = await webviewFrame('#side-dataset');
  assert.match(await f.locator('#side-dataset').textContent(), /none selected/);
  await clearNotifications();
});

await step('cancelling mid-extraction → "cancelled" message, no run, no partial run', async () => {
  await openExplorer();
  await expand('data');
  await contextMenu('big', 'FTTL: Use as Dataset');
  await notification(/FTTL dataset: big — 5 classes, 300 images/);
  await clearNotifications();
  await runCommand('FTTL: Extract Features');
  // Wait until images are going through the network, then press the notification's Cancel.
  await notification(/extract features [1-9]\d*\/300/, 120000);
  await screenshot('extracting');
  const toast = toasts().filter({ hasText: 'Extracting features' }).first();
  await toast.hover();
  await toast.getByRole('button', { name: 'Cancel' }).click();
  const text = await notification(/Extracting features cancelled/);
  console.log('  shown:', text.slice(0, 160));
  await screenshot('extraction-cancelled');
  assert.equal(runCount(), 0);
  assert.deepEqual(partials(), []);
  await clearNotifications();
});

await step('"Use as Dataset" on data/retina, then "Extract Features" from the palette completes', async () => {
  await openExplorer();
  await contextMenu('retina', 'FTTL: Use as Dataset');
  await notification(/FTTL dataset: retina — 5 classes, 60 images/);
  await clearNotifications();
  await runCommand('FTTL: Extract Features');
  const text = await notification(/features ready/, 180000);
  console.log('  ', text.slice(0, 220));
  assert.match(text, /60 images → 1280-d/);
  await screenshot('features-ready');
  await clearNotifications();
});

let run1;
await step('"Train Head…" → quick pick with the seed presets → MLP-1 trains, live curves, then its report', async () => {
  await runCommand('FTTL: Train Head');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Logistic regression' }).waitFor();
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Edit head settings' }).waitFor();
  await screenshot('train-quick-pick');
  await pickQuick('MLP-1');
  const live = await webviewFrame('#live-curves', 60000);
  await live.locator('#live-status').waitFor();
  const text = await notification(/trained MLP-1/, 240000);
  console.log('  ', text.slice(0, 200));
  run1 = latestRun((r) => r.config.head.kind === 'mlp1');
  assert.ok(run1, 'run.json of the MLP-1 run');
  await screenshot('trained');
});

await step('report: confusion-matrix cells sum to the test count; kappa and accuracy equal the run record', async () => {
  const f = await webviewFrame('#metric-kappa-quadratic', 60000);
  await f.locator('#confusion svg').waitFor();
  const count = Number(await f.locator('#metric-count .metric-value').textContent());
  const numbers = (await f.locator('#confusion svg text').allTextContents()).filter((t) => /^\d+$/.test(t.trim())).map(Number);
  const classes = run1.metrics.classes.length;
  assert.equal(numbers.length, classes * classes, `expected ${classes}² cell labels, got ${numbers.length}`);
  const sum = numbers.reduce((a, b) => a + b, 0);
  console.log(`  cells ${numbers.length}, sum ${sum}, test count shown ${count}, record ${run1.metrics.count}`);
  assert.equal(sum, run1.metrics.count);
  assert.equal(count, run1.metrics.count);
  const kappa = (await f.locator('#metric-kappa-quadratic .metric-value').textContent()).trim();
  assert.equal(kappa, run1.metrics.kappa.quadratic.toFixed(3));
  assert.equal((await f.locator('#metric-kappa-linear .metric-value').textContent()).trim(), run1.metrics.kappa.linear.toFixed(3));
  assert.equal((await f.locator('#metric-kappa-unweighted .metric-value').textContent()).trim(), run1.metrics.kappa.unweighted.toFixed(3));
  assert.equal((await f.locator('#metric-accuracy .metric-value').textContent()).trim(), run1.metrics.accuracy.toFixed(3));
  console.log(`  kappa shown ${kappa} = record ${run1.metrics.kappa.quadratic}`);
  assert.equal(await f.locator('#classification-report tbody tr').count(), classes + 3);
  await f.locator('#curves svg').waitFor();
  await screenshot('report');
  await f.evaluate(() => document.querySelector('#curves')?.scrollIntoView());
  await screenshot('report-curves');
});

await step('report: clicking a confusion cell lists the images in it', async () => {
  const f = await webviewFrame('#metric-kappa-quadratic');
  // The diagonal cell of the first class (true 0, predicted 0); click its label in the heat map.
  const m = run1.metrics.confusionMatrix;
  let target = [0, 0];
  outer: for (let i = 0; i < m.length; i++) for (let j = 0; j < m.length; j++) if (m[i][j] > 0 && i !== j) { target = [i, j]; break outer; }
  const grid = await f.evaluate(() => {
    const el = document.querySelector('#confusion');
    const r = el.getBoundingClientRect();
    return { w: r.width, h: r.height };
  });
  // grid: left 110, right 16, top 16, bottom 80 (charts.ts)
  const n = m.length;
  const cw = (grid.w - 110 - 16) / n;
  const ch = (grid.h - 16 - 80) / n;
  await f.locator('#confusion').click({ position: { x: 110 + cw * (target[1] + 0.5), y: 16 + ch * (target[0] + 0.5) } });
  await f.locator('#cell-title').waitFor();
  const title = await f.locator('#cell-title').textContent();
  console.log('  ', title);
  assert.match(title, new RegExp(`: ${m[target[0]][target[1]]} image`));
  await f.locator('#gallery-cell img').first().waitFor({ timeout: 30000 });
  assert.equal(await f.locator('#gallery-cell figure').count(), Math.min(60, m[target[0]][target[1]]));
  await f.evaluate(() => document.querySelector('#cell-images')?.scrollIntoView());
  await screenshot('report-cell-images');
  await f.evaluate(() => document.querySelector('#gallery-misclassified')?.scrollIntoView());
  await screenshot('report-gallery');
});

await step('closing the training panel mid-training → message; training finishes; state consistent', async () => {
  await closeEditors();
  const before = runCount();
  await runCommand('FTTL: Train Head');
  await pickQuick('MLP-2');
  const live = await webviewFrame('#live-curves', 60000);
  await live.locator('#live-status[data-state="running"]').waitFor();
  await screenshot('training-live');
  await closeEditors();
  const text = await notification(/training view was closed/);
  console.log('  ', text.slice(0, 200));
  await screenshot('training-panel-closed');
  await notification(/trained MLP-2/, 240000);
  assert.equal(runCount(), before + 1);
  assert.deepEqual(partials(), []);
  await clearNotifications();
});

await step('side panel lists both runs with head, accuracy and kappa; a click opens the report', async () => {
  await page.locator('.activitybar a.action-label[aria-label="FTTL"]').click();
  const f = await webviewFrame('.run[data-run-id]', 30000, async (fr) => (await fr.locator('.run[data-run-id]').count()) >= 2);
  const rows = await f.locator('.run[data-run-id]').allTextContents();
  console.log('  runs:', rows.map((r) => r.replace(/\s+/g, ' ').slice(0, 120)));
  assert.equal(rows.length, 2);
  assert.ok(rows.every((r) => /acc \d\.\d{3}/.test(r) && /κ -?\d\.\d{3}/.test(r)));
  await screenshot('sidebar-runs');
  await f.locator(`.run[data-run-id="${run1.id}"] .run-model`).click();
  const rep = await webviewFrame('#metric-kappa-quadratic', 60000);
  assert.equal((await rep.locator('#metric-kappa-quadratic .metric-value').textContent()).trim(), run1.metrics.kappa.quadratic.toFixed(3));
});

await step('explorer right-click on an image → "FTTL: Classify Image" → class probabilities and Grad-CAM', async () => {
  await closeEditors();
  await openExplorer();
  await expand('samples');
  await contextMenu('fundus_3_severe.png', 'FTTL: Classify Image', { shot: 'context-menu-image' });
  const f = await webviewFrame('table.probs', 120000);
  const probs = await f.locator('table.probs tr').allTextContents();
  console.log('  probabilities:', probs);
  assert.ok(probs.length >= 3);
  assert.ok(probs.every((p) => /\d+\.\d%$/.test(p.trim())));
  await f.locator('img.gradcam').waitFor();
  await screenshot('classified');
});

await step('bad input: multi-select with a text file named .png → one result, one clear error', async () => {
  await closeEditors();
  await clearNotifications();
  await openExplorer();
  await explorerRow('fundus_0_no_dr.png').click();
  await explorerRow('broken.png').click({ modifiers: ['Control'] });
  await contextMenu('broken.png', 'FTTL: Classify Image', { keepSelection: true });
  const f = await webviewFrame('.result-error', 120000);
  assert.equal(await f.locator('section.result').count(), 2);
  assert.equal(await f.locator('section.result:not(.result-error) table.probs').count(), 1);
  const err = await f.locator('.result-error .error').textContent();
  console.log('  ', err);
  assert.match(err, /broken\.png|not|unsupported|image/i);
  await notification(/1 of 2 file\(s\) could not be classified/);
  await screenshot('classified-with-bad-file');
  await clearNotifications();
});

await step('activations view: right-click an image → feature-map grid; another layer; filters; Grad-CAM', async () => {
  await closeEditors();
  await openExplorer();
  await expand('samples');
  await contextMenu('fundus_3_severe.png', 'FTTL: Show Activations');
  const f = await webviewFrame('#act-grid-img', 120000);
  const maps = Number(await f.locator('#act-grid-img').getAttribute('data-maps'));
  assert.ok(maps > 0, 'a grid of feature maps');
  console.log('  ', await f.locator('#act-grid h2').textContent());
  await screenshot('activations');
  const options = await f.locator('#layer-select vscode-option').evaluateAll((els) => els.map((e) => e.getAttribute('value')));
  assert.ok(options.length > 3);
  const other = options[Math.floor(options.length * 0.25)];
  const before = await f.locator('#act-grid h2').textContent();
  await f.evaluate((v) => {
    const s = document.querySelector('#layer-select');
    s.value = v;
    s.dispatchEvent(new Event('change', { bubbles: true }));
  }, other);
  await f.waitForFunction((b) => document.querySelector('#act-grid h2')?.textContent !== b, before, { timeout: 60000 });
  console.log('  ', await f.locator('#act-grid h2').textContent());
  await screenshot('activations-other-layer');
  await f.locator('#show-filters').click();
  await f.locator('#filters-img').waitFor({ timeout: 60000 });
  await f.locator('#show-gradcam').click();
  await f.locator('#gradcam-img').waitFor({ timeout: 60000 });
  await screenshot('activations-filters-gradcam');
});

await step('"Fine-tune…" from the learned head of the best transfer run → a fine-tune run and its report', async () => {
  await closeEditors();
  await clearNotifications();
  const before = runCount();
  await runCommand('FTTL: Fine-tune');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Random head: MLP-1' }).waitFor();
  await screenshot('finetune-quick-pick');
  await pickQuick('best transfer run');
  await webviewFrame('#live-curves', 60000);
  const text = await notification(/trained .*accuracy/, 420000);
  console.log('  ', text.slice(0, 200));
  assert.equal(runCount(), before + 1);
  const ft = latestRun((r) => r.kind === 'finetune');
  assert.ok(ft, 'a fine-tune run.json');
  const f = await webviewFrame('#metric-kappa-quadratic', 60000, async (fr) => /fine-tuned/.test(await fr.locator('.report-header').textContent()));
  assert.equal((await f.locator('#metric-kappa-quadratic .metric-value').textContent()).trim(), ft.metrics.kappa.quadratic.toFixed(3));
  await screenshot('finetuned-report');
  await clearNotifications();
});

await step('"Compare Runs" shows the seed-style table of the selected runs', async () => {
  await closeEditors();
  await runCommand('FTTL: Compare Runs');
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor();
  await page.waitForTimeout(300);
  await screenshot('compare-quick-pick');
  await page.locator('.quick-input-widget').getByRole('button', { name: 'OK' }).click();
  const f = await webviewFrame('#comparison', 60000);
  assert.equal(await f.locator('#comparison tbody tr').count(), runCount());
  await screenshot('compare');
});

await step('the report follows the colour theme (light, high contrast)', async () => {
  await closeEditors();
  await page.locator('.activitybar a.action-label[aria-label="FTTL"]').click();
  const side = await webviewFrame('.run[data-run-id]');
  await side.locator(`.run[data-run-id="${run1.id}"] .run-model`).click();
  const f = await webviewFrame('#confusion svg', 60000);
  const look = () => f.evaluate(() => ({ bg: getComputedStyle(document.body).backgroundColor, cell: document.querySelector('#confusion svg path[fill]:not([fill="none"])')?.getAttribute('fill') }));
  const dark = await look();
  // Through the theme picker, as a person would.
  const setTheme = async (theme) => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.fill('>Preferences: Color Theme');
    await page.locator('.quick-input-list .monaco-list-row .label-name', { hasText: /^Preferences: Color Theme$/ }).first().click();
    await page.waitForTimeout(500);
    await input.fill(theme);
    await page.locator('.quick-input-list .monaco-list-row .label-name', { hasText: new RegExp(`^${theme}$`) }).first().click();
  };
  let previous = dark.bg;
  for (const [theme, name] of [['Light Modern', 'light'], ['Dark High Contrast', 'high-contrast']]) {
    await setTheme(theme);
    await f.waitForFunction((bg) => getComputedStyle(document.body).backgroundColor !== bg, previous, { timeout: 20000 });
    await page.waitForTimeout(800);
    const now = await look();
    console.log(`  ${name}: page ${now.bg}, first heat-map cell ${now.cell} (dark: ${dark.bg}, ${dark.cell})`);
    assert.notEqual(now.cell, dark.cell, 'the heat map is redrawn with the theme\'s colours');
    previous = now.bg;
    await screenshot(`report-${name}`);
  }
  await setTheme('Dark Modern');
  await f.waitForFunction((bg) => getComputedStyle(document.body).backgroundColor === bg, dark.bg, { timeout: 20000 });
});

await step('"Show Compute Backend" names the backend', async () => {
  await clearNotifications();
  await runCommand('FTTL: Show Compute Backend');
  const text = await notification(/FTTL compute backend: (wasm|cpu|tensorflow)/);
  console.log('  ', text.slice(0, 200));
  await screenshot('backend');
});

await ctx.close();
fs.rmSync(profile, { recursive: true, force: true });
lap(`done; screenshots in ${SHOTS}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
