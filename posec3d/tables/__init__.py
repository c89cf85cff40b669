"""Paper tables and the report: `build` fills a declared table from its runs' files, `table`
presents it (CSV, Markdown, chart), `report` gathers the tables into results/report.md."""
