//! The report's charts, drawn with plotters' SVG backend into strings that the HTML report
//! inlines (no script, no font files: text is SVG `<text>` in the browser's sans-serif).
//!
//! Three shapes: [`bars`] (per row, each peer's value as a multiple of the row's best, on a log
//! axis, with gmp's goal as a red mark), [`lines`] (cost against size, log-log, one line per
//! peer) and [`changes`] (`--compare`: new/old per cell with its noise band).

use plotters::coord::Shift;
use plotters::prelude::*;

use gmp_bench::rt::Peer;

use super::compare::{Change, Verdict};
use super::report::{BarRow, LineChart};

const WIDTH: u32 = 1000;
const FONT: &str = "sans-serif";
/// Left margin for the row labels.
const LABEL_W: u32 = 260;

/// Each peer's colour, the same in every chart.
pub(crate) fn color(p: Peer) -> RGBColor {
    match p {
        Peer::Gmp => RGBColor(232, 89, 12),
        Peer::Threads => RGBColor(130, 130, 130),
        Peer::Tokio => RGBColor(31, 119, 180),
        Peer::AsyncExecutor => RGBColor(44, 160, 44),
        Peer::Go => RGBColor(0, 150, 200),
    }
}

const GOAL: RGBColor = RGBColor(200, 0, 0);

type Res = Result<(), Box<dyn std::error::Error>>;

fn render(height: u32, draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Res) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .map_err(Into::into)
            .and_then(|()| draw(&root));
        if let Err(e) = drawn.and_then(|()| root.present().map_err(Into::into)) {
            return format!("<p>chart failed: {e}</p>");
        }
    }
    svg
}

/// Rows of grouped horizontal bars: each peer's value divided by the row's best (1.0 = best,
/// more = worse), log axis, the value written at the bar's end, gmp's goal as a red mark.
pub(crate) fn bars(rows: &[BarRow]) -> String {
    let bar = 18.0;
    let gap = 14.0;
    let slots: Vec<f64> = rows
        .iter()
        .map(|r| r.values.len() as f64 * bar + gap)
        .collect();
    let total: f64 = slots.iter().sum();
    let height = total as u32 + 110;
    let worst = rows
        .iter()
        .flat_map(|r| r.values.iter().map(|v| r.vs_best(v.1)))
        .chain(
            rows.iter()
                .filter_map(|r| r.goal.as_ref().map(|g| r.vs_best(g.0))),
        )
        .filter(|v| v.is_finite())
        .fold(1.0f64, f64::max);
    let xmax = (worst * 4.0).clamp(4.0, 2000.0);
    let peers: Vec<Peer> = Peer::ALL
        .into_iter()
        .filter(|p| rows.iter().any(|r| r.values.iter().any(|v| v.0 == *p)))
        .collect();
    render(height, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .margin_left(LABEL_W)
            .margin_right(30)
            .x_label_area_size(40)
            .build_cartesian_2d((0.5f64..xmax).log_scale(), 0f64..total)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc("times the best peer of the row (1x = best; log scale)")
            .x_label_formatter(&|v| format!("{}x", sig(*v)))
            .label_style((FONT, 13))
            .draw()?;
        // y of row i's top edge (rows run down from the top).
        let mut tops = Vec::new();
        let mut y = total;
        for s in &slots {
            tops.push(y);
            y -= s;
        }
        for &p in &peers {
            let c = color(p);
            let mut rects = Vec::new();
            for (r, &top) in rows.iter().zip(&tops) {
                if let Some(i) = r.values.iter().position(|v| v.0 == p) {
                    let x = r.vs_best(r.values[i].1).clamp(0.5, xmax);
                    let y0 = top - gap / 2.0 - i as f64 * bar;
                    rects.push(Rectangle::new([(0.5, y0 - bar + 2.0), (x, y0)], c.filled()));
                }
            }
            chart
                .draw_series(rects)?
                .label(p.name())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
        }
        for (r, &top) in rows.iter().zip(&tops) {
            let (_, py) = chart.backend_coord(&(1.0, top - gap / 2.0));
            let (_, pb) =
                chart.backend_coord(&(1.0, top - gap / 2.0 - r.values.len() as f64 * bar));
            root.draw(&Text::new(
                r.label.clone(),
                (10, (py + pb) / 2 - 7),
                (FONT, 14).into_font().style(FontStyle::Bold),
            ))?;
            for (i, (p, v, shown)) in r.values.iter().enumerate() {
                let ratio = r.vs_best(*v);
                let y0 = top - gap / 2.0 - i as f64 * bar;
                let (px, py) = chart.backend_coord(&(ratio.clamp(0.5, xmax), y0 - bar / 2.0 + 1.0));
                let text = format!("{} {shown} ({}x)", p.name(), sig(ratio));
                root.draw(&Text::new(
                    text,
                    (px + 4, py - 7),
                    (FONT, 12).into_font().color(&BLACK),
                ))?;
            }
            if let Some((g, label)) = &r.goal {
                let gx = r.vs_best(*g);
                if gx.is_finite() && gx > 0.0 {
                    let gx = gx.clamp(0.5, xmax);
                    let y1 = top - gap / 2.0 + 3.0;
                    let y0 = top - gap / 2.0 - r.values.len() as f64 * bar;
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(gx, y0), (gx, y1)],
                        GOAL.stroke_width(3),
                    )))?;
                    let (px, py) = chart.backend_coord(&(gx, y1));
                    root.draw(&Text::new(
                        label.clone(),
                        (px + 4, py - 4),
                        (FONT, 11).into_font().color(&GOAL),
                    ))?;
                }
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 13))
            .draw()?;
        Ok(())
    })
}

/// Cost against size on log-log axes, one line per peer.
pub(crate) fn lines(c: &LineChart) -> String {
    let pts = c.series.iter().flat_map(|(_, s)| s.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in pts.filter(|(x, y)| *x > 0.0 && *y > 0.0) {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if x0 > x1 {
        return "<p>no points</p>".into();
    }
    let (x0, x1, y0, y1) = (x0 / 1.5, x1 * 1.5, y0 / 2.0, y1 * 2.0);
    render(420, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .margin_right(30)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())?;
        chart
            .configure_mesh()
            .x_desc(c.x_label.as_str())
            .y_desc(c.y_label.as_str())
            .x_label_formatter(&|v| count(*v))
            .y_label_formatter(&|v| sig(*v))
            .label_style((FONT, 13))
            .draw()?;
        for (p, s) in &c.series {
            let col = color(*p);
            let s: Vec<(f64, f64)> = s
                .iter()
                .copied()
                .filter(|(x, y)| *x > 0.0 && *y > 0.0)
                .collect();
            chart
                .draw_series(LineSeries::new(s.clone(), col.stroke_width(2)))?
                .label(p.name())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 14, y)], col.stroke_width(2))
                });
            chart.draw_series(s.iter().map(|&xy| Circle::new(xy, 4, col.filled())))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 13))
            .draw()?;
        Ok(())
    })
}

/// `--compare`: per cell, new median / old median (log axis around 1), its noise band
/// (new min / old max .. new max / old min) as a whisker, coloured by the verdict.
pub(crate) fn changes(rows: &[Change]) -> String {
    let row_h = 20.0;
    let total = rows.len() as f64 * row_h;
    let spread = rows
        .iter()
        .flat_map(|c| [c.band_ratio().0, c.band_ratio().1, c.ratio()])
        .filter(|v| v.is_finite() && *v > 0.0)
        .map(|v| v.max(1.0 / v))
        .fold(1.2f64, f64::max)
        .min(100.0)
        * 1.2;
    render(total as u32 + 90, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .margin_left(LABEL_W)
            .margin_right(30)
            .x_label_area_size(40)
            .build_cartesian_2d((1.0 / spread..spread).log_scale(), 0f64..total)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc("new / old (median); whisker: the noise band; < 1 is faster for time, > 1 for rates")
            .x_label_formatter(&|v| format!("{}x", sig(*v)))
            .label_style((FONT, 13))
            .draw()?;
        for (i, c) in rows.iter().enumerate() {
            let y = total - (i as f64 + 0.5) * row_h;
            let col = match c.verdict {
                Verdict::Faster => RGBColor(44, 160, 44),
                Verdict::Slower => GOAL,
                _ => RGBColor(150, 150, 150),
            };
            let clamp = |v: f64| v.clamp(1.0 / spread, spread);
            chart.draw_series(std::iter::once(Rectangle::new(
                [
                    (1.0, y - row_h * 0.35),
                    (clamp(c.ratio()), y + row_h * 0.35),
                ],
                col.filled(),
            )))?;
            let (lo, hi) = c.band_ratio();
            if lo.is_finite() && hi.is_finite() {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(clamp(lo), y), (clamp(hi), y)],
                    BLACK.stroke_width(1),
                )))?;
            }
            let (_, py) = chart.backend_coord(&(1.0, y));
            root.draw(&Text::new(
                format!("{} {}", c.label, c.verdict.word()),
                (10, py - 7),
                (FONT, 12).into_font().color(&col),
            ))?;
        }
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(1.0, 0.0), (1.0, total)],
            BLACK.stroke_width(1),
        )))?;
        Ok(())
    })
}

/// `0.5`, `2`, `12`, `150`.
fn sig(v: f64) -> String {
    if v >= 10.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        let s = format!("{v:.1}");
        s.trim_end_matches(".0").to_string()
    } else {
        format!("{v:.2}")
    }
}

/// `1k`, `100k`, `1M`.
fn count(v: f64) -> String {
    if v >= 1e6 {
        format!("{}M", sig(v / 1e6))
    } else if v >= 1e3 {
        format!("{}k", sig(v / 1e3))
    } else {
        sig(v)
    }
}
