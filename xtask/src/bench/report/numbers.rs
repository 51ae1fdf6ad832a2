//! Medians, ratios and how numbers read in the report (three significant digits and a
//! unit), and Markdown tables.

use std::fmt::Write as _;

/// The median of `values` (the mean of the two middle ones for an even count).
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if !sorted.len().is_multiple_of(2) {
        sorted.get(middle).copied()
    } else {
        Some((sorted.get(middle - 1)? + sorted.get(middle)?) / 2.0)
    }
}

/// `numerator / denominator`, or `None` when either is missing or the quotient is not
/// a finite positive number.
pub(crate) fn ratio(numerator: Option<f64>, denominator: Option<f64>) -> Option<f64> {
    let quotient = numerator? / denominator?;
    (quotient.is_finite() && quotient > 0.0).then_some(quotient)
}

/// `850 ns`, `3.57 µs`, `4.76 ms`, `1.20 s`.
pub(crate) fn duration(ns: Option<f64>) -> String {
    let Some(ns) = ns else {
        return "n/a".to_owned();
    };
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {unit}", significant(value))
}

/// `632x`, `21.4x`, `2.12x`, `0.96x`.
pub(crate) fn times(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "n/a".to_owned(), |r| format!("{}x", significant(r)))
}

/// `738/s`.
pub(crate) fn rate(per_sec: Option<f64>) -> String {
    per_sec.map_or_else(|| "n/a".to_owned(), |r| format!("{}/s", significant(r)))
}

/// `141 MiB` from KiB.
pub(crate) fn mebibytes(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "n/a".to_owned(),
        |kib| format!("{} MiB", significant(kib as f64 / 1024.0)),
    )
}

/// `1k`, `10k`, `100k`, `1`.
pub(crate) fn count(n: usize) -> String {
    if n >= 1000 && n.is_multiple_of(1000) {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

/// Three significant digits, no more than needed for the integer part.
pub(crate) fn significant(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// A Markdown table, columns padded so it also reads well in a terminal.
pub(crate) fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut out = String::from("|");
        for (cell, width) in cells.zip(&widths) {
            let pad = width.saturating_sub(cell.chars().count());
            let _ = write!(out, " {cell}{} |", " ".repeat(pad));
        }
        out.push('\n');
        out
    };
    let mut out = line(&mut headers.iter().copied());
    out.push('|');
    for width in &widths {
        let _ = write!(out, " {} |", "-".repeat((*width).max(3)));
    }
    out.push('\n');
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_value() {
        assert_eq!(median(&[9.0, 1.0, 5.0]), Some(5.0));
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn no_values_have_no_median_and_nan_is_ignored() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, 2.0]), Some(2.0));
    }

    #[test]
    fn a_ratio_needs_both_sides_and_a_positive_denominator() {
        assert_eq!(ratio(Some(10.0), Some(4.0)), Some(2.5));
        assert_eq!(ratio(None, Some(4.0)), None);
        assert_eq!(ratio(Some(1.0), Some(0.0)), None);
        assert_eq!(ratio(Some(0.0), Some(1.0)), None);
    }

    #[test]
    fn numbers_read_with_three_significant_digits_and_a_unit() {
        assert_eq!(duration(Some(850.0)), "850 ns");
        assert_eq!(duration(Some(3_571.0)), "3.57 µs");
        assert_eq!(duration(Some(4_761_231.0)), "4.76 ms");
        assert_eq!(duration(Some(12_300_000_000.0)), "12.3 s");
        assert_eq!(duration(None), "n/a");
        assert_eq!(times(Some(632.4)), "632x");
        assert_eq!(times(Some(2.118)), "2.12x");
        assert_eq!(rate(Some(738.33)), "738/s");
        assert_eq!(mebibytes(Some(141_732)), "138 MiB");
        assert_eq!(count(100_000), "100k");
        assert_eq!(count(1), "1");
    }

    #[test]
    fn tables_are_markdown_with_padded_columns() {
        let rows = vec![vec!["1".to_owned(), "3.57 µs".to_owned()]];
        assert_eq!(
            table(&["accounts", "time"], &rows),
            "| accounts | time    |\n| -------- | ------- |\n| 1        | 3.57 µs |\n"
        );
    }
}
