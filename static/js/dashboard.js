// Charts of the 工作台, drawn from data the page carries in data-* attributes.
(function () {
  var warnings = document.getElementById("chart-warnings");
  if (warnings && window.echarts) {
    var values = JSON.parse(warnings.dataset.values);
    var names = ["逾期", "临期", "正常", "已完成"];
    var colours = ["#dc3545", "#ffc107", "#198754", "#adb5bd"];
    echarts.init(warnings).setOption({
      animation: false,
      tooltip: { trigger: "item", renderMode: "richText", formatter: "{b}：{c}项（{d}%）" },
      legend: { bottom: 0 },
      series: [{ type: "pie", radius: ["40%", "70%"], color: colours,
        data: names.map(function (name, i) { return { name: name, value: values[i] }; }) }]
    });
  }
  var units = document.getElementById("chart-units");
  if (units && window.echarts) {
    var rows = JSON.parse(units.dataset.units);
    units.style.height = 80 + 28 * rows.length + "px";  // a bar per unit; set before the chart measures it
    echarts.init(units).setOption({
      animation: false,
      tooltip: { trigger: "axis", renderMode: "richText", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 28, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.unit; }) },
      series: [
        { name: "已完成", type: "bar", stack: "all", color: "#198754", data: rows.map(function (r) { return r.done; }) },
        { name: "逾期", type: "bar", stack: "all", color: "#dc3545", data: rows.map(function (r) { return r.overdue; }) },
        { name: "其他", type: "bar", stack: "all", color: "#9ec5fe", data: rows.map(function (r) { return r.measures - r.done - r.overdue; }) }
      ]
    });
  }
})();
