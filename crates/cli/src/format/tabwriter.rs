//! An equivalent of Go's `text/tabwriter` (the Docker CLI fork, which measures
//! cells by display width): tab-terminated cells in consecutive lines form a
//! column padded to a common width; the last cell of a line is never padded.

use super::width::str_width;

/// Column alignment settings, as passed to Go's `tabwriter.NewWriter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TabWriter {
    /// Minimal cell width including padding.
    pub minwidth: usize,
    /// Width of a tab when padding with tabs (unused for space padding).
    pub tabwidth: usize,
    /// Padding added to each cell's width.
    pub padding: usize,
    /// Padding character.
    pub padchar: char,
}

impl TabWriter {
    /// The settings the Docker CLI uses for tables:
    /// `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`.
    pub const DOCKER: TabWriter = TabWriter {
        minwidth: 10,
        tabwidth: 1,
        padding: 3,
        padchar: ' ',
    };

    /// Formats `text` (cells terminated by `\t` or `\v`, lines by `\n` or
    /// `\f`) into aligned columns.
    pub fn format(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() * 2);
        // A form feed ends all columns, like Go's flush on '\f'.
        let mut sections = text.split('\u{c}').peekable();
        while let Some(section) = sections.next() {
            let lines: Vec<Vec<Cell>> = section.split('\n').map(split_cells).collect();
            let mut widths = Vec::new();
            self.format_block(&lines, 0, lines.len(), &mut widths, &mut out);
            if sections.peek().is_some() {
                out.push('\n');
            }
        }
        out
    }

    /// Go's `Writer.format`: recursively sizes column `widths.len()` over
    /// blocks of consecutive lines that have a cell in that column.
    fn format_block<'t>(
        &self,
        lines: &[Vec<Cell<'t>>],
        line0: usize,
        line1: usize,
        widths: &mut Vec<usize>,
        out: &mut String,
    ) {
        let column = widths.len();
        let mut start = line0;
        let mut this = line0;
        while this < line1 {
            if column + 1 >= lines[this].len() {
                this += 1;
                continue;
            }
            self.write_lines(lines, start, this, widths, out);
            start = this;
            let mut width = self.minwidth;
            while this < line1 && column + 1 < lines[this].len() {
                width = width.max(lines[this][column].width + self.padding);
                this += 1;
            }
            widths.push(width);
            self.format_block(lines, start, this, widths, out);
            widths.pop();
            start = this;
        }
        self.write_lines(lines, start, line1, widths, out);
    }

    fn write_lines(
        &self,
        lines: &[Vec<Cell>],
        line0: usize,
        line1: usize,
        widths: &[usize],
        out: &mut String,
    ) {
        for (i, line) in lines.iter().enumerate().take(line1).skip(line0) {
            for (j, cell) in line.iter().enumerate() {
                out.push_str(cell.text);
                if let Some(&w) = widths.get(j) {
                    self.pad(cell.width, w, out);
                }
            }
            if i + 1 < lines.len() {
                out.push('\n');
            }
        }
    }

    fn pad(&self, textw: usize, cellw: usize, out: &mut String) {
        if self.padchar == '\t' {
            if self.tabwidth == 0 {
                return;
            }
            let cellw = cellw.div_ceil(self.tabwidth) * self.tabwidth;
            let n = cellw.saturating_sub(textw);
            out.extend(std::iter::repeat_n('\t', n.div_ceil(self.tabwidth)));
            return;
        }
        let n = cellw.saturating_sub(textw);
        if self.padchar == ' ' {
            const SPACES: &str = "                                                                ";
            let mut left = n;
            while left > 0 {
                let step = left.min(SPACES.len());
                out.push_str(&SPACES[..step]);
                left -= step;
            }
            return;
        }
        out.extend(std::iter::repeat_n(self.padchar, n));
    }
}

#[derive(Debug)]
struct Cell<'t> {
    text: &'t str,
    width: usize,
}

fn split_cells(line: &str) -> Vec<Cell<'_>> {
    line.split(['\t', '\u{b}'])
        .map(|text| Cell {
            text,
            width: str_width(text),
        })
        .collect()
}

/// Aligns `text` with Docker's table settings ([`TabWriter::DOCKER`]).
pub fn align(text: &str) -> String {
    TabWriter::DOCKER.format(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_ps_layout() {
        let text = "CONTAINER ID\tIMAGE\tNAMES\n0123456789ab\talpine\tweb\n";
        assert_eq!(
            align(text),
            "CONTAINER ID   IMAGE     NAMES\n0123456789ab   alpine    web\n"
        );
    }

    #[test]
    fn docker_volume_ls_layout() {
        let text = "DRIVER\tVOLUME NAME\nlocal\tdata\n";
        assert_eq!(align(text), "DRIVER    VOLUME NAME\nlocal     data\n");
    }

    #[test]
    fn long_cells_and_trailing_empty_cell() {
        let text = "A\tB\t\nlonger-than-ten\tb\t\n";
        assert_eq!(
            align(text),
            "A                 B         \nlonger-than-ten   b         \n"
        );
    }

    #[test]
    fn blocks_split_on_lines_without_cells() {
        // Go's elastic tabstops: a line with fewer cells ends the column block.
        let tw = TabWriter {
            minwidth: 0,
            tabwidth: 8,
            padding: 1,
            padchar: '.',
        };
        let text = "aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n";
        assert_eq!(
            tw.format(text),
            "aaaa.bbb.d\naa...b...dd\na....\naa...cccc.eee\n"
        );
    }

    #[test]
    fn wide_characters_count_double() {
        let text = "日本\tx\nab\ty\n";
        assert_eq!(align(text), "日本      x\nab        y\n");
    }

    #[test]
    fn tab_padding() {
        let tw = TabWriter {
            minwidth: 0,
            tabwidth: 8,
            padding: 1,
            padchar: '\t',
        };
        assert_eq!(
            tw.format("a\tb\nabcdefghij\tc\n"),
            "a\t\tb\nabcdefghij\tc\n"
        );
    }
}
