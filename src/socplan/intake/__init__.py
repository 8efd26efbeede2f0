"""Taking workbooks in: refusing hostile files, reading, checking and normalising, the
template that goes out, and previews and staging of uploads."""
