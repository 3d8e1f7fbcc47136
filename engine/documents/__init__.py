"""Official documents drafted from the record: DOCX, and PDF through LibreOffice."""
