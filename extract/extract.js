#!/usr/bin/env node
/* extract.js — MediaPipe Holistic landmarks of videos and images, offline, for
 * `signstgcn extract` (which runs this program; it is not meant to be run by hand, but can be).
 *
 *   node extract.js [--fps N] [--complexity 0|1|2] [--refine-face] [--inference cpu|gpu]
 *                   [--chromium PATH] FILE...
 *
 * --inference: where TFLite runs the models, cpu (default; $SIGNSTGCN_EXTRACT_INFERENCE
 * overrides) or gpu (WebGL, which is software SwiftShader on a machine without a GPU).
 * $SIGNSTGCN_EXTRACT_ANGLE picks chromium's ANGLE back end (swiftshader by default; gl and
 * vulkan measured no faster here). $SIGNSTGCN_CHROMIUM or --chromium: the browser.
 *
 * How: ffprobe reads each file's size, frame rate and rotation; ffmpeg decodes it to raw RGBA
 * frames (resampled to --fps N when given); a local HTTP server on 127.0.0.1 serves page.html,
 * page.js, MediaPipe Holistic's WASM build and models (node_modules/@mediapipe/holistic) and
 * the current frame; the system chromium, headless with software WebGL (SwiftShader), runs
 * Holistic on each frame through puppeteer-core (which never downloads a browser).
 *
 * Offline by construction: every request the page makes that is not to this server is aborted
 * and counted (reported in the final "done" record); the browser itself is started with its
 * background services off, a host resolver that resolves nothing, and a proxy that does not
 * exist for anything but loopback, so that nothing it does on its own reaches a network.
 *
 * Output: JSON lines on stdout, one record per line; the C side (src/cli/cmd_extract.c)
 * validates every array and writes npz / .pose with the project's writers:
 *   {"type":"ready","startup_s":S,"browser":"..."}
 *   {"type":"video","index":I,"path":P,"width":W,"height":H,"fps":F,"frames":N,"image":B}
 *        N is the expected frame count (0 when unknown); F is 0 for an image
 *   {"type":"frame","index":I,"t":T,"pose":[33*4]|null,"left_hand":[21*3]|null,
 *        "right_hand":[21*3]|null,"face":[468*3 or 478*3]|null}
 *        x, y normalised to the frame (0..1), z as MediaPipe gives it, pose visibility
 *   {"type":"end","index":I,"frames":N}
 *   {"type":"error","index":I,"message":"..."}       this file failed; the others go on
 *   {"type":"done","served":N,"refused":M,"refused_urls":[...]}
 *   {"type":"fatal","message":"..."}                 nothing more will come (exit 1)
 * Exit status: 0 after "done", 1 after "fatal", 2 for bad arguments.
 */
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const {spawn, spawnSync} = require('child_process');

const HERE = __dirname;
const MP_DIR = path.join(HERE, 'node_modules', '@mediapipe', 'holistic');

function emit(rec) {
  process.stdout.write(JSON.stringify(rec) + '\n');
}

function usage(msg) {
  process.stderr.write('extract.js: ' + msg + '\n' +
    'usage: node extract.js [--fps N] [--complexity 0|1|2] [--refine-face] ' +
    '[--inference cpu|gpu] [--chromium PATH] FILE...\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = {fps: 0, complexity: 1, refineFace: false, chromium: null, files: [],
    inference: process.env.SIGNSTGCN_EXTRACT_INFERENCE || 'cpu'};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--fps') {
      o.fps = Number(argv[++i]);
      if (!(o.fps > 0 && o.fps <= 1000)) usage('--fps expects a number in (0, 1000]');
    } else if (a === '--complexity') {
      o.complexity = Number(argv[++i]);
      if (![0, 1, 2].includes(o.complexity)) usage('--complexity expects 0, 1 or 2');
    } else if (a === '--refine-face') {
      o.refineFace = true;
    } else if (a === '--inference') {
      o.inference = argv[++i];
      if (!['cpu', 'gpu'].includes(o.inference)) usage('--inference expects cpu or gpu');
    } else if (a === '--chromium') {
      o.chromium = argv[++i];
      if (!o.chromium) usage('--chromium expects a path');
    } else if (a.startsWith('--')) {
      usage('unknown option ' + a);
    } else {
      o.files.push(a);
    }
  }
  if (!['cpu', 'gpu'].includes(o.inference)) usage('inference must be cpu or gpu (SIGNSTGCN_EXTRACT_INFERENCE)');
  if (!o.files.length) usage('no input file');
  return o;
}

function findChromium(given) {
  const cands = given ? [given]
    : [process.env.SIGNSTGCN_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser',
      '/usr/bin/google-chrome'].filter(Boolean);
  for (const c of cands) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return c;
    } catch (e) { /* next */ }
  }
  return null;
}

function rate(s) {
  if (!s || typeof s !== 'string') return 0;
  const [a, b] = s.split('/').map(Number);
  const r = b ? a / b : a;
  return Number.isFinite(r) && r > 0 ? r : 0;
}

/* What ffprobe says of a file: {width, height, fps, frames, image} or {error}. */
function probe(file) {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries',
    'stream=codec_name,width,height,avg_frame_rate,r_frame_rate,nb_frames,duration:' +
    'stream_tags=rotate:stream_side_data=rotation:format=format_name,duration',
    '-of', 'json', file], {encoding: 'utf8', maxBuffer: 1 << 20});
  if (r.error) return {error: 'cannot run ffprobe: ' + r.error.message};
  if (r.status !== 0) {
    /* ffprobe's last line says why ("FILE: Invalid data found when processing input") */
    const lines = (r.stderr || '').trim().split('\n');
    let why = lines[lines.length - 1] || 'exit status ' + r.status;
    if (why.startsWith(file + ': ')) why = why.slice(file.length + 2);
    why = why.replace(/^\[[^\]]*\] */, '');
    return {error: 'not a video or image ffmpeg can decode (ffprobe: ' + why + ')'};
  }
  let j;
  try {
    j = JSON.parse(r.stdout);
  } catch (e) {
    return {error: 'ffprobe gave output that is not JSON'};
  }
  const s = (j.streams || [])[0];
  const fmt = (j.format || {}).format_name || '';
  /* ffmpeg renders text files (.txt, .nfo...) as ANSI-art "video": not a recording */
  if (!s || !s.width || !s.height || s.codec_name === 'ansi' || fmt === 'tty') {
    return {error: 'not a video or image ffmpeg can decode (no video stream' +
      (fmt ? ', format ' + fmt : '') + ')'};
  }
  let rot = 0;
  if (s.tags && s.tags.rotate) rot = Number(s.tags.rotate);
  for (const sd of s.side_data_list || []) if (sd.rotation !== undefined) rot = Number(sd.rotation);
  const swap = Math.abs(rot) % 180 === 90;
  const image = /_pipe$|^image2$|^png|^webp|^bmp/.test(fmt);
  const fps = image ? 0 : (rate(s.avg_frame_rate) || rate(s.r_frame_rate));
  let frames = image ? 1 : Number(s.nb_frames) || 0;
  const dur = Number(s.duration) || Number((j.format || {}).duration) || 0;
  if (!frames && fps && dur) frames = Math.round(dur * fps);
  return {width: swap ? s.height : s.width, height: swap ? s.width : s.height, fps, frames,
    image, dur};
}

/* Raw RGBA frames of a file from ffmpeg, one Buffer per next() (null at the end). */
class FrameReader {
  constructor(file, opts, width, height) {
    this.size = width * height * 4;
    this.chunks = [];
    this.have = 0;
    this.ended = false;
    this.waiter = null;
    this.stderr = '';
    const args = ['-v', 'error', '-nostdin', '-i', file, '-an', '-sn', '-dn'];
    if (opts.fps) args.push('-vf', 'fps=' + opts.fps);
    args.push('-f', 'rawvideo', '-pix_fmt', 'rgba', '-');
    this.proc = spawn('ffmpeg', args, {stdio: ['ignore', 'pipe', 'pipe']});
    this.proc.stdout.on('data', (d) => {
      this.chunks.push(d);
      this.have += d.length;
      if (this.have >= 4 * this.size) this.proc.stdout.pause();
      this.wake();
    });
    this.proc.stderr.on('data', (d) => { if (this.stderr.length < 4096) this.stderr += d; });
    this.proc.on('close', (code) => { this.code = code; this.ended = true; this.wake(); });
    this.proc.on('error', (e) => { this.stderr += e.message; this.ended = true; this.wake(); });
  }

  wake() {
    if (this.waiter) { const w = this.waiter; this.waiter = null; w(); }
  }

  async next() {
    while (this.have < this.size && !this.ended) {
      this.proc.stdout.resume();
      await new Promise((res) => { this.waiter = res; });
    }
    if (this.have < this.size) return null;
    const buf = Buffer.concat(this.chunks);
    const frame = buf.subarray(0, this.size);
    const rest = buf.subarray(this.size);
    this.chunks = rest.length ? [rest] : [];
    this.have = rest.length;
    if (this.have < 4 * this.size) this.proc.stdout.resume();
    return frame;
  }

  kill() {
    if (!this.ended) this.proc.kill('SIGKILL');
  }
}

const TYPES = {'.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.data': 'application/octet-stream', '.binarypb': 'application/octet-stream',
  '.tflite': 'application/octet-stream'};

function serve(state) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let file = null;
    if (url.pathname === '/' || url.pathname === '/page.html') file = path.join(HERE, 'page.html');
    else if (url.pathname === '/page.js') file = path.join(HERE, 'page.js');
    else if (url.pathname.startsWith('/mp/')) {
      const name = path.basename(url.pathname);
      if (/^[A-Za-z0-9_.-]+$/.test(name)) file = path.join(MP_DIR, name);
    } else if (url.pathname === '/frame' && state.frame) {
      res.writeHead(200, {'Content-Type': 'application/octet-stream',
        'Content-Length': state.frame.length, 'Cache-Control': 'no-store'});
      res.end(state.frame);
      return;
    }
    if (!file) { res.writeHead(404); res.end(); return; }
    fs.readFile(file, (e, data) => {
      if (e) { res.writeHead(404); res.end(); return; }
      res.writeHead(200, {'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream'});
      res.end(data);
    });
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  let puppeteer;
  try {
    puppeteer = require('puppeteer-core');
  } catch (e) {
    emit({type: 'fatal', message: 'puppeteer-core is not installed in ' + HERE +
      ' (run: cd ' + HERE + ' && npm ci)'});
    process.exit(1);
  }
  if (!fs.existsSync(path.join(MP_DIR, 'holistic.js'))) {
    emit({type: 'fatal', message: '@mediapipe/holistic is not installed in ' + HERE +
      ' (run: cd ' + HERE + ' && npm ci)'});
    process.exit(1);
  }
  const exe = findChromium(opts.chromium);
  if (!exe) {
    emit({type: 'fatal', message: 'no chromium found (' + (opts.chromium || '/usr/bin/chromium') +
      '; install Debian\'s chromium: apt-get install chromium)'});
    process.exit(1);
  }
  const ff = spawnSync('ffmpeg', ['-version'], {encoding: 'utf8'});
  if (ff.error || ff.status !== 0) {
    emit({type: 'fatal', message: 'ffmpeg not found (apt-get install ffmpeg)'});
    process.exit(1);
  }

  const state = {frame: null, served: 0, refused: 0, refusedUrls: []};
  const server = await serve(state);
  const origin = 'http://127.0.0.1:' + server.address().port + '/';
  let browser = null;
  let reader = null;
  const cleanup = async () => {
    if (reader) reader.kill();
    if (browser) await browser.close().catch(() => {});
    server.close();
  };
  try {
    const args = ['--headless=new', '--no-first-run', '--no-default-browser-check',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-default-apps', '--disable-extensions', '--disable-domain-reliability',
      '--disable-client-side-phishing-detection', '--disable-breakpad', '--no-pings',
      '--metrics-recording-only', '--mute-audio', '--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider',
      /* nothing but loopback resolves or connects */
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      '--proxy-server=http://127.0.0.1:9', '--proxy-bypass-list=<-loopback>;127.0.0.1',
      /* software WebGL for MediaPipe's GPU calculators */
      '--use-angle=' + (process.env.SIGNSTGCN_EXTRACT_ANGLE || 'swiftshader'),
      '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'];
    if (typeof process.getuid === 'function' && process.getuid() === 0) args.push('--no-sandbox');
    browser = await puppeteer.launch({executablePath: exe, headless: true, pipe: true, args,
      protocolTimeout: 600000});
    const page = await browser.newPage();
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      const u = req.url();
      if (u.startsWith(origin) || u.startsWith('data:') || u.startsWith('blob:')) {
        state.served++;
        req.continue();
      } else {
        state.refused++;
        if (state.refusedUrls.length < 10) state.refusedUrls.push(u);
        req.abort('blockedbyclient');
      }
    });
    page.on('pageerror', (e) => process.stderr.write('extract.js: page error: ' + e.message + '\n'));
    await page.goto(origin + 'page.html', {waitUntil: 'load'});
    await page.evaluate((o) => window.sgInit(o),
      {complexity: opts.complexity, refineFace: opts.refineFace, inference: opts.inference,
        probeUrl: process.env.SIGNSTGCN_EXTRACT_PROBE_URL || ''});
    emit({type: 'ready', startup_s: (Date.now() - t0) / 1000, browser: await browser.version(),
      webgl: await page.evaluate(() => window.sgRenderer()), inference: opts.inference});

    let begun = false;
    let clock = 1000;  /* ms: where the next video's frame 0 goes on the graph's clock (not 0:
                        * a filter whose last time is 0 takes itself for unstarted) */
    let last = 0;
    let untimed = 0;   /* frames sent with the browser's clock (no inner runner found) */
    for (let i = 0; i < opts.files.length; i++) {
      const file = opts.files[i];
      const p = probe(file);
      if (p.error) { emit({type: 'error', index: i, message: p.error}); continue; }
      const fps = p.image ? 0 : (opts.fps || p.fps);
      const expect = p.image ? 1 : (opts.fps && p.dur ? Math.round(p.dur * opts.fps) : p.frames);
      emit({type: 'video', index: i, path: file, width: p.width, height: p.height, fps,
        frames: expect, image: p.image});
      await page.evaluate((w, h, f) => window.sgBegin(w, h, f), p.width, p.height, !begun);
      begun = true;
      reader = new FrameReader(file, p.image ? {} : opts, p.width, p.height);
      let t = 0;
      let failed = null;
      for (;;) {
        const frame = await reader.next();
        if (!frame) break;
        state.frame = frame;
        let r;
        try {
          /* the frame's time in the video, after every earlier video's (the graph wants
           * timestamps that only grow) */
          const ms = clock + (fps > 0 ? t * 1000 / fps : t * 1000);
          r = await page.evaluate((u, m) => window.sgFrame(u, m), origin + 'frame?t=' + t, ms);
          last = ms;
        } catch (e) {
          failed = 'frame ' + t + ': ' + e.message.split('\n')[0];
          break;
        }
        if (!r.timed) untimed++;
        delete r.timed;
        emit(Object.assign({type: 'frame', index: i, t}, r));
        t++;
      }
      state.frame = null;
      clock = last + 1000;
      reader.kill();
      if (!failed && reader.code !== 0 && reader.code !== undefined) {
        failed = 'ffmpeg failed after ' + t + ' frames: ' +
          (reader.stderr.trim().split('\n')[0] || 'exit status ' + reader.code);
      }
      if (!failed && t === 0) failed = 'ffmpeg decoded no frame';
      reader = null;
      if (failed) emit({type: 'error', index: i, message: failed});
      else emit({type: 'end', index: i, frames: t});
    }
    if (untimed) {
      process.stderr.write('extract.js: warning: ' + untimed + ' frames were smoothed on the ' +
        'browser\'s clock (Holistic\'s inner runner was not found)\n');
    }
    emit({type: 'done', served: state.served, refused: state.refused,
      refused_urls: state.refusedUrls});
    await cleanup();
    process.exit(0);
  } catch (e) {
    emit({type: 'fatal', message: String(e && e.message ? e.message : e).split('\n')[0]});
    await cleanup();
    process.exit(1);
  }
}

main();
