"""The office's documents: DOCX drafting, numbering, the registers (issue #12)."""
