// Bar charts of the usage ratios by district (ECharts from the vendor bundle: a global
// "echarts"). The figures come from the page (data-chart) so the chart and the table below
// it always agree. Renders as SVG: crisp at any zoom, and no inline styles the CSP refuses.
(function () {
  "use strict";

  function draw(element) {
    if (!window.echarts) {
      return;
    }
    var data = JSON.parse(element.dataset.chart);
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      aria: { enabled: true },
      color: ["#0b4f8a", "#b35c00", "#1e6b34", "#6b3fa0"],
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v.toFixed(2) + "%"; } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 48, right: 16, top: 48, bottom: 72 },
      xAxis: { type: "category", data: data.districts, axisLabel: { interval: 0, rotate: 35 } },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", data: s.data, barMaxWidth: 18 };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".chart[data-chart]").forEach(draw);
  });
})();
