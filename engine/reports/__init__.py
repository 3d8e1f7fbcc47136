"""The measure's yearly and semiannual report: its data, its charts and its documents."""
