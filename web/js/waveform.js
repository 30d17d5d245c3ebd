// web/js/waveform.js: a recording's waveform on a canvas, drawn from the WAV
// decoded in the browser with WebAudio (one lane per channel: hark records
// the caller left, the agent right), a playhead that follows the <audio>
// element, and click / arrow keys to seek.
import { h } from './dom.js';

export class Waveform {
  constructor(audio, label) {
    this.audio = audio;
    this.peaks = null; // [channel][column] -> [min, max]
    this.canvas = h('canvas.waveform', { width: 900, height: 120, tabindex: 0, role: 'slider',
      'aria-label': label || 'Recording position', 'aria-valuemin': 0, 'aria-valuenow': 0 });
    this.canvas.addEventListener('click', (e) => {
      const r = this.canvas.getBoundingClientRect();
      this.seek(((e.clientX - r.left) / r.width) * (isFinite(this.audio.duration) ? this.audio.duration : this.duration || 0));
    });
    this.canvas.addEventListener('keydown', (e) => {
      const step = e.shiftKey ? 10 : 2;
      if (e.key === 'ArrowRight') { this.seek(this.audio.currentTime + step); e.preventDefault(); }
      if (e.key === 'ArrowLeft') { this.seek(this.audio.currentTime - step); e.preventDefault(); }
      if (e.key === ' ') { this.audio.paused ? this.audio.play() : this.audio.pause(); e.preventDefault(); }
    });
    const redraw = () => this.draw();
    audio.addEventListener('timeupdate', redraw);
    audio.addEventListener('seeked', redraw);
    audio.addEventListener('loadedmetadata', redraw);
  }

  seek(t) {
    if (!isFinite(t)) return;
    const end = isFinite(this.audio.duration) && this.audio.duration > 0 ? this.audio.duration : this.duration || t;
    this.audio.currentTime = Math.max(0, Math.min(t, end));
    this.draw();
  }

  // bytes: the WAV file; decoded off the page's critical path
  async load(bytes) {
    const Ctx = window.OfflineAudioContext || window.webkitOfflineAudioContext;
    const ctx = new Ctx(1, 1, 8000);
    const buf = await ctx.decodeAudioData(bytes);
    const cols = this.canvas.width;
    this.duration = buf.duration;
    this.peaks = [];
    for (let ch = 0; ch < buf.numberOfChannels; ch++) {
      const d = buf.getChannelData(ch), per = Math.max(1, Math.floor(d.length / cols)), out = [];
      for (let c = 0; c < cols; c++) {
        let lo = 0, hi = 0;
        for (let i = c * per, end = Math.min(d.length, i + per); i < end; i++) {
          if (d[i] < lo) lo = d[i];
          if (d[i] > hi) hi = d[i];
        }
        out.push([lo, hi]);
      }
      this.peaks.push(out);
    }
    this.canvas.dataset.channels = String(buf.numberOfChannels);
    this.canvas.dataset.seconds = buf.duration.toFixed(2);
    this.draw();
  }

  draw() {
    const { canvas, peaks } = this, g = canvas.getContext('2d'), W = canvas.width, H = canvas.height;
    g.clearRect(0, 0, W, H);
    g.fillStyle = '#f4f6f8';
    g.fillRect(0, 0, W, H);
    if (peaks) {
      const lane = H / peaks.length, colors = ['#1f5fbf', '#0f7b4a'];
      peaks.forEach((p, ch) => {
        const mid = lane * ch + lane / 2;
        g.fillStyle = colors[ch % 2];
        for (let x = 0; x < p.length; x++) {
          const top = mid - p[x][1] * (lane / 2 - 2), bot = mid - p[x][0] * (lane / 2 - 2);
          g.fillRect(x, top, 1, Math.max(1, bot - top));
        }
      });
    }
    const dur = isFinite(this.audio.duration) && this.audio.duration > 0 ? this.audio.duration : this.duration;
    if (dur > 0) {
      const x = (this.audio.currentTime / dur) * W;
      g.fillStyle = '#c0392b';
      g.fillRect(Math.round(x), 0, 2, H);
      canvas.setAttribute('aria-valuemax', dur.toFixed(1));
      canvas.setAttribute('aria-valuenow', this.audio.currentTime.toFixed(1));
      canvas.setAttribute('aria-valuetext', `${this.audio.currentTime.toFixed(1)} of ${dur.toFixed(1)} seconds`);
    }
  }
}
