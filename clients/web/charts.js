/* charts.js: the console's live charts: one small uPlot time series per figure, over a
 * sliding window (10 minutes of one-second samples). Without uPlot (vendor files not
 * installed) it keeps the samples and draws nothing. */
(function (root) {
  'use strict';

  var WINDOW_S = 600;

  /* new Charts(container, [{key, label, color}]) ; push({key: value, ...}) each second. */
  function Charts(container, series) {
    this.series = series;
    this.times = [];
    this.values = {};
    this.plots = {};
    var self = this;
    series.forEach(function (s) {
      self.values[s.key] = [];
    });
    this.enabled = typeof root.uPlot === 'function';
    if (!this.enabled) return;
    series.forEach(function (s) {
      var box = document.createElement('div');
      box.className = 'chart';
      box.dataset.key = s.key;
      container.appendChild(box);
      self.plots[s.key] = new root.uPlot(self._opts(s, box.clientWidth || 280), [[], []], box);
    });
    root.addEventListener('resize', function () {
      series.forEach(function (s) {
        var box = container.querySelector('[data-key="' + s.key + '"]');
        self.plots[s.key].setSize({ width: box.clientWidth || 280, height: 130 });
      });
    });
  }

  Charts.prototype._opts = function (s, width) {
    return {
      width: width,
      height: 130,
      title: s.label,
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: true },
        y: {
          range: function (u, min, max) {
            return [0, Math.max(1, max * 1.15)];
          },
        },
      },
      axes: [
        { stroke: '#666', grid: { stroke: '#eee' }, ticks: { stroke: '#ddd' } },
        { stroke: '#666', grid: { stroke: '#eee' }, ticks: { stroke: '#ddd' }, size: 44 },
      ],
      series: [
        {},
        { label: s.label, stroke: s.color, width: 2, fill: s.color + '22', points: { show: false } },
      ],
    };
  };

  /* Adds one sample (unix seconds now) and redraws. */
  Charts.prototype.push = function (sample) {
    var now = Date.now() / 1000;
    var self = this;
    this.times.push(now);
    this.series.forEach(function (s) {
      var v = sample[s.key];
      self.values[s.key].push(typeof v === 'number' ? v : null);
    });
    while (this.times.length && this.times[0] < now - WINDOW_S) {
      this.times.shift();
      this.series.forEach(function (s) {
        self.values[s.key].shift();
      });
    }
    if (!this.enabled) return;
    this.series.forEach(function (s) {
      self.plots[s.key].setData([self.times, self.values[s.key]]);
    });
  };

  root.Charts = Charts;
})(this);
