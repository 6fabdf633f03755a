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

window.sgBegin = function (width, height) {
  canvas.width = width;
  canvas.height = height;
  holistic.reset(); /* no tracking or smoothing carried over from the previous video */
  return true;
};

window.sgFrame = async function (url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error('frame fetch ' + url + ': HTTP ' + res.status);
  const buf = await res.arrayBuffer();
  const img = new ImageData(new Uint8ClampedArray(buf), canvas.width, canvas.height);
  ctx.putImageData(img, 0, 0);
  latest = null;
  await holistic.send({image: canvas});
  const r = latest || {};
  return {
    pose: flat(r.poseLandmarks, true),
    left_hand: flat(r.leftHandLandmarks, false),
    right_hand: flat(r.rightHandLandmarks, false),
    face: flat(r.faceLandmarks, false),
  };
};
