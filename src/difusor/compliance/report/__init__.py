"""The audit report: one data document (model), rendered as HTML, PDF, Markdown, JSON, JUnit."""
