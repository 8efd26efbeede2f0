"""Component IDs, defined once."""

URL = "url"
PERIOD = "filter-period"
THEME = "filter-theme"
OWNER = "filter-owner"
RESET = "filter-reset"
NAV = "nav"
NAV_LINK = "nav-link"  # pattern-matching: {"type": NAV_LINK, "page": path}
GRID = "recommendations-grid"
GRID_SEARCH = "recommendations-search"
SINCE = "changes-since"
