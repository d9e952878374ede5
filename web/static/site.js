// The site page's 24-hour charts: one ECharts line chart per quantity, one line per device,
// hourly means from the page itself (data-site-chart), so the chart never disagrees with the
// server. SVG renderer: crisp at any zoom and no inline styles the CSP refuses.
(function () {
  "use strict";

  function draw(element) {
    if (!window.echarts) {
      return;
    }
    var data = JSON.parse(element.dataset.siteChart);
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      aria: { enabled: true },
      color: ["#0b4f8a", "#b35c00", "#1e6b34", "#6b3fa0", "#8a0b3c"],
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 56, right: 16, top: 40, bottom: 40 },
      xAxis: { type: "time" },
      yAxis: { type: "value", name: data.unit, scale: true },
      series: data.series.map(function (s) {
        return {
          name: s.name, type: "line", showSymbol: false,
          data: s.points.map(function (p) { return [p[0], p[1]]; })
        };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".chart[data-site-chart]").forEach(draw);
  });
})();
