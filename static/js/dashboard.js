// Home-page charts: each panel fetches its figures (the same dict the table beside it was
// rendered from) and draws them with ECharts; a click on a bar opens the rows behind it.
// Every chart has a table view, and series are told apart by labels, not only colour.
(function () {
  // The tables work without the charts: bound first, and shown at once if ECharts is missing.
  function showTable(button, shown) {
    document.getElementById(button.dataset.toggleTable).hidden = !shown;
    button.setAttribute("aria-expanded", String(shown));
    button.textContent = shown ? button.dataset.hideLabel : button.dataset.showLabel;
  }
  document.querySelectorAll("[data-toggle-table]").forEach(function (button) {
    button.addEventListener("click", function () {
      showTable(button, button.getAttribute("aria-expanded") !== "true");
    });
    if (typeof echarts === "undefined") showTable(button, true);
  });
  if (typeof echarts === "undefined") return;
  const patterns = ["solid", "dashed", "dotted", "solid"];
  function option(chart) {
    const horizontal = chart.horizontal;
    // Every label shown; under a vertical chart, slanted when there are many.
    const rotate = !horizontal && chart.categories.length > 4 ? 30 : 0;
    const categoryAxis = {
      type: "category",
      data: chart.categories,
      axisLabel: { interval: 0, rotate: rotate },
    };
    const valueAxis = { type: "value", name: chart.unit };
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: horizontal ? 120 : 50, right: 20, top: 40, bottom: 40, containLabel: true },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? Object.assign({}, categoryAxis, { inverse: true }) : valueAxis,
      series: chart.series.map(function (s, i) {
        return {
          name: s.name,
          type: chart.kind === "line" ? "line" : "bar",
          stack: chart.kind === "stacked" ? "total" : undefined,
          data: s.data.map(Number),
          label: { show: chart.kind !== "line", position: chart.kind === "stacked" ? "inside" : "top" },
          lineStyle: { type: patterns[i % patterns.length] },
          itemStyle: { decal: { symbol: ["rect", "circle", "triangle", "diamond"][i % 4] } },
        };
      }),
      aria: { enabled: true, decal: { show: true } },
    };
  }
  document.querySelectorAll("[data-chart-url]").forEach(async function (box) {
    const response = await fetch(box.dataset.chartUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const chart = await response.json();
    const height = chart.horizontal ? Math.max(240, chart.categories.length * 28) : 300;
    box.style.height = height + "px";
    const instance = echarts.init(box);
    instance.setOption(option(chart));
    instance.on("click", function (params) {
      const link = chart.links[params.dataIndex];
      if (link) window.location.href = link;
    });
    window.addEventListener("resize", function () { instance.resize(); });
  });
})();
