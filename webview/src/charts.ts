// Charts through Apache ECharts (SVG renderer: crisp, selectable text, no canvas), coloured from
// VS Code's theme variables so light, dark and high-contrast themes all read well.
import * as echarts from 'echarts/core';
import { HeatmapChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, TitleComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([HeatmapChart, LineChart, ScatterChart, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, TitleComponent, SVGRenderer]);

export interface Theme {
  fg: string;
  muted: string;
  bg: string;
  lines: string;
  palette: string[];
  heatLow: string;
  heatHigh: string;
  font: string;
  highContrast: boolean;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

export function theme(): Theme {
  const hc = document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light');
  return {
    fg: cssVar('--vscode-foreground', '#333'),
    muted: cssVar('--vscode-descriptionForeground', '#777'),
    bg: cssVar('--vscode-editor-background', '#fff'),
    lines: cssVar('--vscode-charts-lines', '#8888'),
    palette: [
      cssVar('--vscode-charts-blue', '#3794ff'),
      cssVar('--vscode-charts-orange', '#d18616'),
      cssVar('--vscode-charts-green', '#89d185'),
      cssVar('--vscode-charts-red', '#f14c4c'),
      cssVar('--vscode-charts-purple', '#b180d7'),
      cssVar('--vscode-charts-yellow', '#cca700'),
    ],
    heatLow: cssVar('--vscode-editor-background', '#fff'),
    heatHigh: cssVar('--vscode-charts-blue', '#3794ff'),
    font: cssVar('--vscode-font-family', 'system-ui, sans-serif'),
    highContrast: hc,
  };
}

const charts = new Set<echarts.ECharts>();
const redraws = new Map<echarts.ECharts, () => void>();

/** A chart in `el`, redrawn (with the new theme's colours) when the VS Code theme changes. */
export function chart(el: HTMLElement, option: (t: Theme) => echarts.EChartsCoreOption): echarts.ECharts {
  const existing = echarts.getInstanceByDom(el);
  if (existing && charts.has(existing)) {
    // Same element (e.g. live curves): update in place, no flicker.
    const redraw = () => existing.setOption(option(theme()), true);
    redraw();
    redraws.set(existing, redraw);
    return existing;
  }
  const c = echarts.init(el, undefined, { renderer: 'svg' });
  const draw = () => c.setOption(option(theme()), true);
  draw();
  charts.add(c);
  redraws.set(c, draw);
  return c;
}

export function disposeCharts(root: Element): void {
  for (const c of [...charts]) {
    const dom = c.getDom();
    if (root.contains(dom)) {
      charts.delete(c);
      redraws.delete(c);
      c.dispose();
    }
  }
}

new MutationObserver(() => {
  for (const draw of redraws.values()) draw();
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });
window.addEventListener('resize', () => {
  for (const c of charts) c.resize();
});

const axisStyle = (t: Theme) => ({
  axisLine: { lineStyle: { color: t.lines } },
  axisLabel: { color: t.fg, fontFamily: t.font },
  splitLine: { lineStyle: { color: t.lines, opacity: 0.35 } },
  nameTextStyle: { color: t.muted, fontFamily: t.font },
});

/** Confusion matrix: rows true class, columns predicted; the count printed in each cell. */
export function confusionOption(matrix: number[][], classes: string[]) {
  return (t: Theme): echarts.EChartsCoreOption => {
    const data: [number, number, number][] = [];
    let max = 0;
    matrix.forEach((row, i) => row.forEach((v, j) => {
      data.push([j, i, v]);
      max = Math.max(max, v);
    }));
    return {
      textStyle: { fontFamily: t.font, color: t.fg },
      tooltip: { formatter: (p: { value: [number, number, number] }) => `true ${classes[p.value[1]]}, predicted ${classes[p.value[0]]}: ${p.value[2]} image(s) — click to see them` },
      grid: { left: 110, right: 16, top: 16, bottom: 80 },
      xAxis: { type: 'category', data: classes, name: 'Predicted', nameLocation: 'middle', nameGap: 48, ...axisStyle(t), axisLabel: { color: t.fg, fontFamily: t.font, interval: 0, rotate: classes.length > 4 ? 20 : 0 } },
      yAxis: { type: 'category', data: classes, name: 'True', nameLocation: 'middle', nameGap: 96, inverse: true, ...axisStyle(t), axisLabel: { color: t.fg, fontFamily: t.font, interval: 0 } },
      visualMap: { show: false, min: 0, max: Math.max(1, max), inRange: { color: [t.heatLow, t.heatHigh] } },
      series: [
        {
          type: 'heatmap',
          data,
          label: { show: true, color: t.fg, fontFamily: t.font, fontWeight: 'bold', textBorderColor: t.bg, textBorderWidth: 2 },
          itemStyle: { borderColor: t.lines, borderWidth: 1 },
          emphasis: { itemStyle: { borderColor: t.fg, borderWidth: 2 } },
        },
      ],
    };
  };
}

export interface CurvePoint {
  epoch: number;
  loss: number;
  valLoss?: number;
  accuracy?: number;
  valAccuracy?: number;
}

/** Training curves: loss (left axis) and accuracy (right axis) per epoch, training and validation. */
export function curvesOption(points: CurvePoint[], xName: string) {
  return (t: Theme): echarts.EChartsCoreOption => {
    const series: object[] = [];
    const line = (name: string, key: keyof CurvePoint, color: string, dashed: boolean, yAxisIndex: number) => {
      const data = points.filter((p) => p[key] !== undefined && Number.isFinite(p[key] as number)).map((p) => [p.epoch, p[key]]);
      if (data.length) series.push({ name, type: 'line', data, yAxisIndex, showSymbol: data.length < 40, lineStyle: { color, type: dashed ? 'dashed' : 'solid', width: 2 }, itemStyle: { color } });
    };
    line('loss', 'loss', t.palette[0]!, false, 0);
    line('val loss', 'valLoss', t.palette[1]!, true, 0);
    line('accuracy', 'accuracy', t.palette[2]!, false, 1);
    line('val accuracy', 'valAccuracy', t.palette[4]!, true, 1);
    return {
      animation: false,
      textStyle: { fontFamily: t.font, color: t.fg },
      tooltip: { trigger: 'axis' },
      legend: { textStyle: { color: t.fg }, top: 0 },
      grid: { left: 56, right: 56, top: 36, bottom: 40 },
      xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 26, minInterval: 1, ...axisStyle(t) },
      yAxis: [
        { type: 'value', name: 'loss', scale: true, ...axisStyle(t) },
        { type: 'value', name: 'accuracy', min: 0, max: 1, show: series.some((x) => (x as { yAxisIndex: number }).yAxisIndex === 1), ...axisStyle(t), splitLine: { show: false } },
      ],
      series,
    };
  };
}

/** Embedding map: one point per test image, coloured by true class; misclassified ones hollow. */
export function embeddingOption(points: { x: number; y: number; label: string; correct: boolean; name: string }[], classes: string[]) {
  return (t: Theme): echarts.EChartsCoreOption => ({
    animation: false,
    textStyle: { fontFamily: t.font, color: t.fg },
    legend: { textStyle: { color: t.fg }, top: 0 },
    tooltip: { formatter: (p: { data: { name: string } }) => p.data.name },
    grid: { left: 56, right: 16, top: 40, bottom: 40 },
    xAxis: { type: 'value', scale: true, name: 'PC 1', nameLocation: 'middle', nameGap: 24, ...axisStyle(t) },
    yAxis: { type: 'value', scale: true, name: 'PC 2', nameLocation: 'middle', nameGap: 32, ...axisStyle(t) },
    series: classes.map((c, k) => {
      const color = t.palette[k % t.palette.length]!;
      return {
        name: c,
        type: 'scatter',
        symbolSize: 8,
        itemStyle: { color },
        data: points
          .filter((p) => p.label === c)
          .map((p) => ({ value: [p.x, p.y], name: p.name, itemStyle: p.correct ? { color } : { color: 'transparent', borderColor: color, borderWidth: 2 } })),
      };
    }),
  });
}
