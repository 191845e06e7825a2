//! Line charts as standalone SVG for `BENCHMARKS.md`: a few series of (x, y) points on a
//! logarithmic x axis (base 2 or 10), ticks, a legend. No dependencies; the bench code that
//! measured the numbers draws them.

use std::fmt::Write as _;

/// One line of a chart.
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Points, in x order.
    pub points: Vec<(f64, f64)>,
}

/// A chart: title, axis labels, series.
pub struct Chart {
    /// Above the plot.
    pub title: String,
    /// Under the x axis.
    pub x_label: String,
    /// Beside the y axis.
    pub y_label: String,
    /// How x maps to the axis.
    pub x_scale: Scale,
    /// The lines, drawn in order.
    pub series: Vec<Series>,
}

/// An x axis's scale.
#[derive(Clone, Copy, PartialEq, Eq)]
#[allow(dead_code, reason = "each program that includes this file uses the scales it needs")]
pub enum Scale {
    /// Base 2, a tick at each x of the first series (concurrency sweeps).
    Log2,
    /// Base 10, a tick at each power of ten (latencies).
    Log10,
}

impl Scale {
    fn map(self, x: f64) -> f64 {
        match self {
            Scale::Log2 => x.max(f64::MIN_POSITIVE).log2(),
            Scale::Log10 => x.max(1e-3).log10(),
        }
    }
}

const COLORS: [&str; 4] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
const W: f64 = 720.0;
const H: f64 = 420.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 60.0;

/// A round step giving about five ticks over `span`.
fn step(span: f64) -> f64 {
    let raw = span / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

fn label(value: f64) -> String {
    if value.abs() >= 1000.0 && value % 1000.0 == 0.0 {
        format!("{}k", value / 1000.0)
    } else if value.fract() == 0.0 {
        format!("{value}")
    } else {
        format!("{value:.2}")
    }
}

impl Chart {
    /// The chart as an SVG document.
    pub fn to_svg(&self) -> String {
        let points = self.series.iter().flat_map(|s| s.points.iter());
        let (mut x_min, mut x_max, mut y_max) = (f64::MAX, f64::MIN, 0f64);
        for &(x, y) in points {
            let x = self.x_scale.map(x);
            x_min = x_min.min(x);
            x_max = x_max.max(x);
            y_max = y_max.max(y);
        }
        if self.x_scale == Scale::Log10 {
            (x_min, x_max) = (x_min.floor(), x_max.ceil());
        }
        if x_max <= x_min {
            x_max = x_min + 1.0;
        }
        let y_step = step(y_max.max(1e-9));
        let y_top = (y_max / y_step).ceil() * y_step;
        let (plot_w, plot_h) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
        let px = |x: f64| LEFT + (self.x_scale.map(x) - x_min) / (x_max - x_min) * plot_w;
        let py = |y: f64| TOP + plot_h - y / y_top * plot_h;

        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
        );
        let _ = write!(svg, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
        let _ = write!(
            svg,
            r#"<text x="{}" y="24" text-anchor="middle" font-size="15">{}</text>"#,
            W / 2.0,
            escape(&self.title)
        );
        // Horizontal grid and y ticks.
        let mut y = 0.0;
        while y <= y_top + y_step / 2.0 {
            let at = py(y);
            let _ = write!(
                svg,
                r##"<line x1="{LEFT}" y1="{at:.1}" x2="{}" y2="{at:.1}" stroke="#ddd"/>"##,
                W - RIGHT
            );
            let _ = write!(
                svg,
                r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
                LEFT - 6.0,
                at + 4.0,
                label(y)
            );
            y += y_step;
        }
        // x ticks: each x of the first series (base 2) or each power of ten.
        let xs: Vec<f64> = match self.x_scale {
            Scale::Log2 => {
                self.series.first().map(|s| s.points.iter().map(|p| p.0).collect()).unwrap_or_default()
            }
            Scale::Log10 => (x_min.floor() as i32..=x_max.ceil() as i32).map(|k| 10f64.powi(k)).collect(),
        };
        for x in xs {
            let at = px(x);
            let _ = write!(
                svg,
                r##"<line x1="{at:.1}" y1="{TOP}" x2="{at:.1}" y2="{}" stroke="#eee"/>"##,
                H - BOTTOM
            );
            let _ = write!(
                svg,
                r#"<text x="{at:.1}" y="{}" text-anchor="middle">{}</text>"#,
                H - BOTTOM + 16.0,
                label(x)
            );
        }
        let _ = write!(
            svg,
            r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#444"/>"##
        );
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            LEFT + plot_w / 2.0,
            H - 16.0,
            escape(&self.x_label)
        );
        let _ = write!(
            svg,
            r#"<text transform="translate(18 {}) rotate(-90)" text-anchor="middle">{}</text>"#,
            TOP + plot_h / 2.0,
            escape(&self.y_label)
        );
        for (i, series) in self.series.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            let path: Vec<String> =
                series.points.iter().map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y))).collect();
            let _ = write!(
                svg,
                r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
                path.join(" ")
            );
            if series.points.len() <= 16 {
                for &(x, y) in &series.points {
                    let _ =
                        write!(svg, r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"/>"#, px(x), py(y));
                }
            }
            let ly = TOP + 16.0 + 18.0 * i as f64;
            let _ = write!(
                svg,
                r#"<line x1="{}" y1="{ly}" x2="{}" y2="{ly}" stroke="{color}" stroke-width="3"/>"#,
                LEFT + 12.0,
                LEFT + 36.0
            );
            let _ =
                write!(svg, r#"<text x="{}" y="{}">{}</text>"#, LEFT + 42.0, ly + 4.0, escape(&series.name));
        }
        svg.push_str("</svg>\n");
        svg
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
