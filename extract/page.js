/* page.js — runs inside the headless chromium page that extract.js drives.
 *
 * extract.js calls sgInit(options) once, sgBegin(width, height) before each video and
 * sgFrame(url) per frame: the frame's raw RGBA bytes are fetched from the local server, drawn
 * on a canvas and sent through MediaPipe Holistic; the landmarks come back as flat number
 * arrays (x, y, z[, visibility] per landmark, normalised to the frame as MediaPipe gives
 * them) or null for a part that was not detected. Nothing here writes files or formats: the
 * C side validates the arrays and writes npz / .pose.
 */
'use strict';
let holistic = null;
let latest = null;
let canvas = null;
let ctx = null;

function flat(list, withVisibility) {
  if (!list || !list.length) return null;
  const k = withVisibility ? 4 : 3;
  const out = new Array(list.length * k);
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    out[i * k] = p.x;
    out[i * k + 1] = p.y;
    out[i * k + 2] = p.z;
    if (withVisibility) out[i * k + 3] = p.visibility === undefined ? 1 : p.visibility;
  }
  return out;
}

window.sgInit = async function (opts) {
  canvas = document.getElementById('frame');
  ctx = canvas.getContext('2d', {willReadFrequently: false});
  holistic = new Holistic({locateFile: (file) => '/mp/' + file});
  holistic.setOptions({
    modelComplexity: opts.complexity,
    refineFaceLandmarks: opts.refineFace,
    smoothLandmarks: true,
    enableSegmentation: false,
    /* TFLite on the CPU (XNNPACK, WASM SIMD) rather than through WebGL: here WebGL is
     * SwiftShader, software, and GPU inference spent ~95% of the CPU time in chromium's GPU
     * process — 20x slower (docs/decisions.md). The option defaults to true on iOS only. */
    useCpuInference: opts.inference !== 'gpu',
    minDetectionConfidence: 0.5,
    minTrackingConfidence: 0.5,
  });
  holistic.onResults((r) => { latest = r; });
  await holistic.initialize();
  if (opts.probeUrl) {
    /* test hook: a request that must be refused (and counted) by extract.js */
    try { await fetch(opts.probeUrl); } catch (e) { /* refused: expected */ }
  }
  return true;
};

/* Before each video but the first: holistic.reset(), so that nothing of the previous video
 * (tracked regions of interest, landmark and visibility filters) carries over and a video's
 * landmarks do not depend on what else was in the batch. It rebuilds the graph: measured at
 * about five frames' time (docs/decisions.md, where a cheaper black frame is weighed). */
window.sgBegin = function (width, height, first) {
  canvas.width = width;
  canvas.height = height;
  if (!first) holistic.reset();
  return true;
};

/* What renders WebGL here (for the benchmark's notes), e.g. "ANGLE (Google, Vulkan 1.3.0
 * (SwiftShader Device (Subzero) ...), SwiftShader driver)". */
window.sgRenderer = function () {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return 'no WebGL2';
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
};

/* Holistic's public send() stamps each frame with performance.now(), so its landmark and
 * visibility filters (one-euro smoothing) would see processing time — seconds between frames
 * here — instead of the video's time, and results would depend on the machine's speed. The
 * solution's inner graph runner takes the timestamp as a second argument (holistic.js of the
 * pinned 0.5.1675471629: `send=function(a,b){... d=1E3*(void 0===b||null===b?performance.now():b)`);
 * we give it the frame's time in the video. When that inner runner is not found the public
 * send() is used (and `timed` says so). */
function sendTimed(image, ms) {
  for (const k of Object.keys(holistic)) {
    const inner = holistic[k];
    if (inner && typeof inner === 'object' && typeof inner.send === 'function' &&
        inner.send.length === 2 && typeof inner.initialize === 'function') {
      return inner.send({image}, ms).then(() => true);
    }
  }
  return holistic.send({image}).then(() => false);
}

window.sgFrame = async function (url, ms) {
  const res = await fetch(url);
  if (!res.ok) throw new Error('frame fetch ' + url + ': HTTP ' + res.status);
  const buf = await res.arrayBuffer();
  const img = new ImageData(new Uint8ClampedArray(buf), canvas.width, canvas.height);
  ctx.putImageData(img, 0, 0);
  latest = null;
  const timed = await sendTimed(canvas, ms);
  const r = latest || {};
  return {
    timed,
    pose: flat(r.poseLandmarks, true),
    left_hand: flat(r.leftHandLandmarks, false),
    right_hand: flat(r.rightHandLandmarks, false),
    face: flat(r.faceLandmarks, false),
  };
};
